"""The SQLite store saves what changed and gives back exactly what it was given.

Real executions (a step, a retry, a wait, a callback with a heartbeat and a chained invoke)
are saved and loaded into a fresh service, which must hold the same records, operations,
events, timers and callback ids, whether saved once or at every turn. Saving is incremental
(rows written per save do not grow with the history; the input is written once), deletes
what was deleted, keeps what a failed save could not write, and loses nothing when threads
driving their own executions share one service and store.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from clock_support import START, StoppedClock
from store_support import assert_same, open_file, reload, step_updates

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, StepConfig
from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._callback_desk import open_callback
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionStatus
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store import SQLiteStore
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "executions.db"


# -- handlers ---------------------------------------------------------------------------------

_attempts: dict[str, int] = {}
_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=3)))


@durable_execution
def echo(event: dict, context: DurableContext) -> dict:
    context.wait(30, name="think")
    return {"echo": event}


@durable_execution
def everything(event: dict, context: DurableContext) -> dict:
    """A step, a retried step, a wait, a callback with a heartbeat and a chained invoke."""
    key = event["key"]

    def flaky(_: Any) -> int:
        _attempts[key] = _attempts.get(key, 0) + 1
        if _attempts[key] == 1:
            raise ConnectionError("first attempt fails")
        return _attempts[key]

    first = context.step(lambda _: "one", name="first")
    attempts = context.step(flaky, name="flaky", config=_RETRY)
    context.wait(60, name="pause")
    callback = context.create_callback(
        name="approve", config=CallbackConfig(timeout_seconds=3600, heartbeat_timeout_seconds=600)
    )
    invoked = context.invoke("echo", {"n": 1}, name="call echo")
    return {"first": first, "attempts": attempts, "answer": callback.result(), "echo": invoked}


# -- round trip of real executions ------------------------------------------------------------


def _save_and_reload(service: InMemoryDurableService, path: Path) -> InMemoryDurableService:
    """Save what changed, then read the file as a restarted server would (the store holds
    the file's lock while open, so it is closed first)."""
    with open_file(path) as store:
        store.save(service)
    return reload(path)


def _save_everything(service: InMemoryDurableService, path: Path) -> InMemoryDurableService:
    """Save the whole service at once into a new file, and read it back."""
    for record in service.executions.values():
        service.changes.touch(record.arn)
        for operation_id in record.operations:
            service.changes.touch(record.arn, operation_id)
    return _save_and_reload(service, path)


def _answer_and_finish(runner: DurableFunctionTestRunner, arn: str) -> Any:
    callback_id = runner.wait_for_callback(arn, "approve")
    runner.send_callback_success(callback_id, "yes")
    return runner.wait_for_result(arn)


def test_real_executions_come_back_exactly_mid_run_and_at_the_end(db: Path):
    with DurableFunctionTestRunner(everything) as runner:
        runner.register_durable_function("echo", echo)
        done = _answer_and_finish(runner, runner.run_async({"key": "done"}, execution_name="done"))
        assert done.status.value == "SUCCEEDED", done.error
        open_arn = runner.run_async({"key": "open"}, execution_name="open")
        callback_id = runner.wait_for_callback(open_arn, "approve")
        runner.send_callback_heartbeat(callback_id)  # the heartbeat timer is replaced
        assert_same(runner.service, _save_and_reload(runner.service, db))

        runner.send_callback_success(callback_id, "yes")
        finished = runner.wait_for_result(open_arn)
        assert finished.result["answer"] == "yes"
        # Only what changed since the first save is written now, by a reopened store.
        assert_same(runner.service, _save_and_reload(runner.service, db))
    kinds = {e["EventType"] for e in finished.history}
    assert {"ChainedInvokeStarted", "StepFailed", "WaitStarted", "CallbackStarted"} <= kinds


def test_saving_at_every_turn_gives_what_one_save_at_the_end_gives(db: Path, tmp_path: Path):
    with DurableFunctionTestRunner(everything) as runner, open_file(db) as store:
        runner.register_durable_function("echo", echo)
        arn = runner.start({"key": "turns"}, execution_name="turns")
        record = runner.service.executions[arn]
        turns = 0
        while not record.is_terminal:
            if (callback_id := open_callback(record, "approve")) is not None:
                runner.send_callback_success(callback_id, "ok")
            runner.advance_time(10)
            store.save(runner.service)
            turns += 1
        assert turns > 5
    assert_same(runner.service, reload(db))
    assert_same(reload(db), _save_everything(runner.service, tmp_path / "once.db"))


# -- incremental ------------------------------------------------------------------------------


def test_saving_after_each_of_a_thousand_steps_writes_the_same_rows_each_time(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "long", "{}")
    token = service.begin_invocation(record.arn).checkpoint_token
    written: list[int] = []
    with open_file(db) as store:
        store.save(service)
        for index in range(1000):
            for batch in step_updates(index):
                token = service.checkpoint(record.arn, token, batch).checkpoint_token
                before = store.rows_written
                store.save(service)
                written.append(store.rows_written - before)
    # Each save: the execution row, one operation, one event, the timeout timer (deleted and
    # inserted again) and the clock: the same few rows at step 1 and at step 1,000.
    assert max(written) <= 6, written[:4]
    assert written[-10:] == written[2:12]
    assert sum(written) <= 6 * 2000
    back = reload(db).executions[record.arn]
    assert len(back.operations) == 1001
    assert back.history.events == record.history.events


def test_a_save_with_nothing_changed_writes_nothing(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "idle", "{}")
    with open_file(db) as store:
        store.save(service)
        before = store.rows_written
        service.get_execution_history(record.arn)  # what a read-only request does
        store.save(service)
        assert store.rows_written == before


def test_a_deleted_execution_is_deleted_from_the_file(db: Path):
    service = InMemoryDurableService(StoppedClock())
    kept = service.start_execution("fn", "kept", "{}")
    gone = service.start_execution("fn", "gone", "{}")
    token = service.begin_invocation(gone.arn).checkpoint_token
    callback = OperationUpdate("cb", OperationType.CALLBACK, OperationAction.START, name="cb")
    service.checkpoint(gone.arn, token, [callback])
    service.stop(gone.arn)
    with open_file(db) as store:
        store.save(service)
        service.delete_execution(gone.arn)  # DeleteDurableExecution
        store.save(service)
    assert list(reload(db).executions) == [kept.arn]
    with contextlib.closing(sqlite3.connect(db)) as raw:
        for table in ("executions", "operations", "events", "timers", "callbacks"):
            query = f"SELECT COUNT(*) FROM {table} WHERE arn = ?"
            assert raw.execute(query, (gone.arn,)).fetchone() == (0,), table


def test_a_failed_save_keeps_the_changes_for_the_next_one(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "kept", "{}")
    store = SQLiteStore(db)
    store.close()
    with pytest.raises(DurableFunctionsTestError, match="is closed"):
        store.save(service)
    with open_file(db) as again:
        again.save(service)
    assert list(reload(db).executions) == [record.arn]


def test_restoring_into_a_service_that_has_the_execution_is_refused(db: Path):
    service = InMemoryDurableService(StoppedClock())
    service.start_execution("fn", "twice", "{}")
    with open_file(db) as store:
        store.save(service)
        with pytest.raises(DurableFunctionsTestError, match="already has it"):
            store.load_into(service)


# -- threads ----------------------------------------------------------------------------------


def test_threads_driving_their_own_executions_on_one_service_lose_nothing(db: Path):
    service = InMemoryDurableService(StoppedClock())
    lock = threading.Lock()  # the server's service lock
    failures: list[BaseException] = []

    def drive(worker: int) -> None:
        try:
            for run in range(3):
                with lock:
                    arn = service.start_execution("fn", f"w{worker}-r{run}", "{}").arn
                    token = service.begin_invocation(arn).checkpoint_token
                    store.save(service)
                for index in range(15):
                    for batch in step_updates(index):
                        with lock:
                            token = service.checkpoint(arn, token, batch).checkpoint_token
                            store.save(service)
                with lock:
                    service.end_invocation(arn, service.clock.now_datetime(), f"r-{worker}")
                    service.succeed(arn, json.dumps(worker))
                    store.save(service)
        except BaseException as error:
            failures.append(error)

    with open_file(db) as store:
        threads = [threading.Thread(target=drive, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    restored = reload(db)
    assert_same(service, restored)
    assert len(restored.executions) == 12
    for record in restored.executions.values():
        assert record.status is ExecutionStatus.SUCCEEDED
        assert len(record.operations) == 16
        assert [e["EventId"] for e in record.history.events] == list(
            range(1, len(record.history.events) + 1)
        )


def test_a_timer_that_fires_and_decides_nothing_is_gone_after_the_restart_too(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "ended", "{}", execution_timeout=60)
    service.succeed(record.arn, '"done"')
    with open_file(db) as store:
        store.save(service)
        timeout = service.timers.peek()
        assert timeout is not None and timeout.when == START + 60
        service.clock.advance_to(timeout.when)
        service.timers.pop().fire()  # the ended execution's timeout: nothing to do
        store.save(service)
    assert service.timers.pending() == []
    assert reload(db).timers.pending() == []


def test_the_input_is_written_once_not_at_every_save(db: Path):
    service = InMemoryDurableService(StoppedClock())
    payload = json.dumps({"blob": "x" * 200_000})
    record = service.start_execution("fn", "big", payload)
    token = service.begin_invocation(record.arn).checkpoint_token
    with open_file(db) as store:
        store.save(service)
        for index in range(3):
            for batch in step_updates(index):
                token = service.checkpoint(record.arn, token, batch).checkpoint_token
                store.save(service)
    with contextlib.closing(sqlite3.connect(db)) as raw:
        created, state = raw.execute(
            "SELECT length(created), length(data) FROM executions"
        ).fetchone()
    assert created > 200_000 > 10 * state
    assert reload(db).executions[record.arn].input_payload == payload


def _run_a_step(service: InMemoryDurableService) -> str:
    record = service.start_execution("fn", "early", "{}")
    token = service.begin_invocation(record.arn).checkpoint_token
    for batch in step_updates(0):
        token = service.checkpoint(record.arn, token, batch).checkpoint_token
    service.end_invocation(record.arn, service.clock.now_datetime(), "request-1")
    return record.arn


def test_a_service_without_a_store_keeps_no_record_of_changes():
    service = InMemoryDurableService(StoppedClock())
    _run_a_step(service)
    assert service.changes.drain() == {}


def test_a_store_given_a_service_that_already_ran_saves_all_of_it_at_its_first_save(db: Path):
    service = InMemoryDurableService(StoppedClock())
    _run_a_step(service)
    with open_file(db) as store:
        store.save(service)
        arn = _run_a_step(service)  # recorded from now on
        store.save(service)
    assert_same(service, reload(db))
    assert len(reload(db).executions[arn].operations) == 2
