"""The SQLite store: a restarted local server resumes its executions exactly where they were.

Real executions (a step, a retry, a wait, a callback and a chained invoke) are saved and
loaded into a fresh service, which must hold the same records, operations, events, timers
and callback ids. Executions saved while they wait (on a timer, on a callback, or in the
middle of an invocation) finish after the restart with the history they would have had
without it. Saving is incremental (rows written per save do not grow with the history),
safe under threads sharing one service, exclusive per file, and every way the file can be
unusable is a ``DurableFunctionsTestError`` naming it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, StepConfig
from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._callback_desk import open_callback
from aws_durable_execution_sdk_python_testing._client import InMemoryServiceClient
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._invocation import (
    Function,
    begin,
    call_in_process,
    settle,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionStatus
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store import SQLiteStore, open_store
from aws_durable_execution_sdk_python_testing._store.restore import saved_timers
from aws_durable_execution_sdk_python_testing._store.snapshot import RECORD_FIELDS
from aws_durable_execution_sdk_python_testing._store.sqlite import SCHEMA_VERSION
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

START = 1_700_000_000.0


class _StoppedClock(VirtualClock):
    """Moves only when told to, so that two runs stamp their events alike."""

    def __init__(self) -> None:
        super().__init__(START)
        self._now = START

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        self._now = max(self._now, when)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "executions.db"


@contextlib.contextmanager
def _store(path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(path)
    try:
        yield store
    finally:
        store.close()


def _reload(path: Path, clock: VirtualClock | None = None) -> InMemoryDurableService:
    service = InMemoryDurableService(clock or _StoppedClock())
    with _store(path) as store:
        store.load_into(service)
    return service


# -- comparing two services -------------------------------------------------------------------


def _timers(service: InMemoryDurableService) -> list[tuple[Any, ...]]:
    return [
        (t.when, t.seq, t.description, t.trigger, t.keeps_alive)
        for t in service.timers.pending()
        if t.trigger is not None
    ]


def _waiting(service: InMemoryDurableService) -> list[str]:
    return [
        arn
        for arn in dict.fromkeys(service.ready)
        if service.executions[arn].needs_invocation and not service.executions[arn].is_terminal
    ]


def _callback_ids(service: InMemoryDurableService, arn: str) -> list[str]:
    return [
        op.callback_details.callback_id
        for op in service.executions[arn].operations.values()
        if op.operation_type is OperationType.CALLBACK and op.callback_details is not None
    ]


def assert_same(original: InMemoryDurableService, restored: InMemoryDurableService) -> None:
    """Every record field, operation, event, timer and callback id, in the same order."""
    assert list(restored.executions) == list(original.executions)
    for arn, record in original.executions.items():
        back = restored.executions[arn]
        for name in RECORD_FIELDS:
            assert getattr(back, name) == getattr(record, name), (arn, name)
        assert list(back.operations.items()) == list(record.operations.items())
        assert back.history.events == record.history.events
        assert back.invocation_records == record.invocation_records
        assert saved_timers(restored, arn) == saved_timers(original, arn)
        for callback_id in _callback_ids(original, arn):
            assert restored.callbacks.find(callback_id) == original.callbacks.find(callback_id)
    assert _timers(restored) == _timers(original)
    assert _waiting(restored) == _waiting(original)
    assert restored.timers.has_progress == original.timers.has_progress
    deadlines = {key: (t.when, t.seq) for key, t in original._deadlines.items() if not t.cancelled}
    assert {key: (t.when, t.seq) for key, t in restored._deadlines.items()} == deadlines


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


@durable_execution
def napper(event: dict, context: DurableContext) -> str:
    before = context.step(lambda _: "before", name="before")
    context.wait(3600, name="nap")
    return before + context.step(lambda _: " and after", name="after")


@durable_execution
def asker(event: dict, context: DurableContext) -> dict:
    callback = context.create_callback(name="approve", config=CallbackConfig(timeout_seconds=7200))
    answer = callback.result()
    return {"answer": answer, "checked": context.step(lambda _: True, name="check")}


# -- round trip of real executions ------------------------------------------------------------


def _save_and_reload(service: InMemoryDurableService, path: Path) -> InMemoryDurableService:
    """Save what changed, then read the file as a restarted server would (the store holds
    the file's lock while open, so it is closed first)."""
    with _store(path) as store:
        store.save(service)
    return _reload(path)


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
    with DurableFunctionTestRunner(everything) as runner, _store(db) as store:
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
    assert_same(runner.service, _reload(db))
    assert_same(_reload(db), _save_everything(runner.service, tmp_path / "once.db"))


# -- restart in the middle --------------------------------------------------------------------


class _Driver:
    """What the server does, in miniature: invoke what is ready, save after each change."""

    def __init__(self, service: InMemoryDurableService, store: SQLiteStore | None) -> None:
        self.service = service
        self.store = store
        self.client = InMemoryServiceClient(service)
        self.functions = {"napper": Function(napper), "asker": Function(asker)}

    def save(self) -> None:
        if self.store is not None:
            self.store.save(self.service)

    def start(self, function_name: str, name: str, payload: dict) -> str:
        record = self.service.start_execution(function_name, name, json.dumps(payload))
        self.save()
        return record.arn

    def run_ready(self, *, die_in: str | None = None) -> None:
        """Invoke until nothing is ready; ``die_in``: that execution's invocation is lost
        after its checkpoints (the server stops before it ends)."""
        while (record := self.service.next_ready()) is not None:
            function = self.functions[record.function_name]
            begun = begin(self.service, record)
            ended = call_in_process(function, record, begun, self.client, contextlib.nullcontext)
            self.save()  # the server saved after each checkpoint request
            if record.execution_name == die_in:
                return
            settle(self.service, record, function, begun, ended, 0)
            self.save()

    def fire_timers(self) -> None:
        assert self.service.fire_next_timers()
        self.save()
        self.run_ready()

    def answer(self, name: str, result: str) -> None:
        record = self._named(name)
        callback_id = open_callback(record, "approve")
        assert callback_id is not None
        self.service.send_callback_success(callback_id, result)
        self.save()
        self.run_ready()

    def _named(self, name: str) -> Any:
        return next(r for r in self.service.executions.values() if r.execution_name == name)

    def histories(self) -> dict[str, list[dict[str, Any]]]:
        return {r.execution_name: _normalised(r) for r in self.service.executions.values()}


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _normalised(record: Any) -> list[dict[str, Any]]:
    """The history without what differs between two runs: ids, and invocation details."""
    text = json.dumps(record.history.events, default=str)
    for callback_id in (
        op.callback_details.callback_id for op in record.operations.values() if op.callback_details
    ):
        text = text.replace(callback_id, "<callback>")
    text = text.replace(record.arn, "<arn>").replace(record.invocation_id, "<invocation>")
    events: list[dict[str, Any]] = json.loads(_UUID.sub("<uuid>", text))
    for event in events:
        if event["EventType"] == "InvocationCompleted":
            event["InvocationCompletedDetails"] = "<invocation details>"
    return events


def _first_half(driver: _Driver, *, die_in: str | None = None) -> None:
    driver.start("napper", "napper", {})
    driver.start("asker", "asker", {})
    driver.run_ready(die_in=die_in)
    driver.run_ready()


def _second_half(driver: _Driver) -> None:
    driver.run_ready()  # an invocation lost in the restart runs again first
    driver.fire_timers()  # the nap ends
    driver.answer("asker", '"approved"')


def _reference() -> dict[str, list[dict[str, Any]]]:
    driver = _Driver(InMemoryDurableService(_StoppedClock()), None)
    _first_half(driver)
    _second_half(driver)
    return driver.histories()


@pytest.mark.parametrize("die_in", [None, "napper", "asker"])
def test_executions_waiting_when_the_server_stops_finish_as_without_the_restart(
    db: Path, die_in: str | None
):
    with _store(db) as store:
        before = _Driver(InMemoryDurableService(_StoppedClock()), store)
        _first_half(before, die_in=die_in)
        saved_clock = before.service.clock.now()
    # A new process: a new service and clock, the same file.
    with _store(db) as store:
        service = InMemoryDurableService(_StoppedClock())
        restored = store.load_into(service)
        assert len(restored) == 2
        assert service.clock.now() == saved_clock
        after = _Driver(service, store)
        _second_half(after)
    assert {r.status for r in service.executions.values()} == {ExecutionStatus.SUCCEEDED}
    assert after.histories() == _reference()
    assert _reload(db).executions.keys() == service.executions.keys()


def test_an_invocation_running_when_the_server_stopped_has_stale_tokens_and_runs_again(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "lost", "{}")
    token = service.begin_invocation(record.arn).checkpoint_token
    step = OperationUpdate("s1", OperationType.STEP, OperationAction.START, name="one")
    token = service.checkpoint(record.arn, token, [step]).checkpoint_token
    with _store(db) as store:
        store.save(service)
    restarted = _reload(db)
    back = restarted.executions[record.arn]
    assert not back.invoking
    assert back.token != token
    assert restarted.next_ready() is back
    with pytest.raises(InvalidParameterValueException, match="Invalid Checkpoint Token"):
        restarted.checkpoint(record.arn, token, [])
    fresh = restarted.begin_invocation(record.arn)
    assert [op.operation_id for op in fresh.initial_execution_state.operations] == [
        record.invocation_id,
        "s1",
    ]


# -- incremental ------------------------------------------------------------------------------


def _step_updates(index: int) -> list[list[OperationUpdate]]:
    op_id = f"step-{index}"
    return [
        [OperationUpdate(op_id, OperationType.STEP, OperationAction.START, name=op_id)],
        [
            OperationUpdate(
                op_id, OperationType.STEP, OperationAction.SUCCEED, name=op_id, payload=str(index)
            )
        ],
    ]


def test_saving_after_each_of_a_thousand_steps_writes_the_same_rows_each_time(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "long", "{}")
    token = service.begin_invocation(record.arn).checkpoint_token
    written: list[int] = []
    with _store(db) as store:
        store.save(service)
        for index in range(1000):
            for batch in _step_updates(index):
                token = service.checkpoint(record.arn, token, batch).checkpoint_token
                before = store.rows_written
                store.save(service)
                written.append(store.rows_written - before)
    # Each save: the execution row, one operation, one event, the timeout timer (deleted and
    # inserted again) and the clock: the same few rows at step 1 and at step 1,000.
    assert max(written) <= 6, written[:4]
    assert written[-10:] == written[2:12]
    assert sum(written) <= 6 * 2000
    back = _reload(db).executions[record.arn]
    assert len(back.operations) == 1001
    assert back.history.events == record.history.events


def test_a_save_with_nothing_changed_writes_nothing(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "idle", "{}")
    with _store(db) as store:
        store.save(service)
        before = store.rows_written
        service.get_execution_history(record.arn)  # what a read-only request does
        store.save(service)
        assert store.rows_written == before


def test_a_deleted_execution_is_deleted_from_the_file(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    kept = service.start_execution("fn", "kept", "{}")
    gone = service.start_execution("fn", "gone", "{}")
    with _store(db) as store:
        store.save(service)
        del service.executions[gone.arn]
        service.changes.touch(gone.arn)
        store.save(service)
    assert list(_reload(db).executions) == [kept.arn]
    with contextlib.closing(sqlite3.connect(db)) as raw:
        for table in ("executions", "operations", "events", "timers"):
            query = f"SELECT COUNT(*) FROM {table} WHERE arn = ?"
            assert raw.execute(query, (gone.arn,)).fetchone() == (0,), table


def test_a_failed_save_keeps_the_changes_for_the_next_one(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "kept", "{}")
    store = SQLiteStore(db)
    store.close()
    with pytest.raises(DurableFunctionsTestError, match="is closed"):
        store.save(service)
    with _store(db) as again:
        again.save(service)
    assert list(_reload(db).executions) == [record.arn]


def test_restoring_into_a_service_that_has_the_execution_is_refused(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    service.start_execution("fn", "twice", "{}")
    with _store(db) as store:
        store.save(service)
        with pytest.raises(DurableFunctionsTestError, match="already has it"):
            store.load_into(service)


# -- threads ----------------------------------------------------------------------------------


def test_threads_driving_their_own_executions_on_one_service_lose_nothing(db: Path):
    service = InMemoryDurableService(_StoppedClock())
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
                    for batch in _step_updates(index):
                        with lock:
                            token = service.checkpoint(arn, token, batch).checkpoint_token
                            store.save(service)
                with lock:
                    service.end_invocation(arn, service.clock.now_datetime(), f"r-{worker}")
                    service.succeed(arn, json.dumps(worker))
                    store.save(service)
        except BaseException as error:
            failures.append(error)

    with _store(db) as store:
        threads = [threading.Thread(target=drive, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
    restored = _reload(db)
    assert_same(service, restored)
    assert len(restored.executions) == 12
    for record in restored.executions.values():
        assert record.status is ExecutionStatus.SUCCEEDED
        assert len(record.operations) == 16
        assert [e["EventId"] for e in record.history.events] == list(
            range(1, len(record.history.events) + 1)
        )


# -- one store per file -----------------------------------------------------------------------


def test_a_second_store_on_the_same_file_is_refused_until_the_first_closes(db: Path):
    with _store(db):
        with pytest.raises(DurableFunctionsTestError, match="is in use") as refused:
            SQLiteStore(db)
        assert str(db) in str(refused.value)
    with _store(db):
        pass


def test_a_store_in_another_process_is_refused_too(db: Path):
    script = (
        "import sys\n"
        "from aws_durable_execution_sdk_python_testing._store import SQLiteStore\n"
        "from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError\n"
        "try:\n"
        "    SQLiteStore(sys.argv[1])\n"
        "except DurableFunctionsTestError as error:\n"
        "    print(error)\n"
        "    sys.exit(3)\n"
    )
    with _store(db):
        child = subprocess.run(
            [sys.executable, "-c", script, str(db)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    assert child.returncode == 3, child.stderr
    assert "is in use" in child.stdout


# -- open_store and unusable files ------------------------------------------------------------


def test_open_store_names_memory_or_a_sqlite_file(db: Path):
    assert open_store("memory") is None
    store = open_store(f"sqlite:{db}")
    assert isinstance(store, SQLiteStore)
    store.close()


@pytest.mark.parametrize(
    "spec",
    ["", "Memory", "sqlite", "sqlite:", "sqlite:  ", "postgres://localhost/db", "file:x.db"],
)
def test_open_store_refuses_other_specs_naming_the_accepted_forms(spec: str):
    with pytest.raises(DurableFunctionsTestError, match="sqlite:PATH"):
        open_store(spec)


def _text_file(path: Path) -> None:
    path.write_text("these are my notes, not a database\n" * 200)


def _corrupt(path: Path) -> None:
    service = InMemoryDurableService(_StoppedClock())
    for index in range(30):
        service.start_execution("fn", f"run-{index}", json.dumps({"pad": "x" * 500}))
    with _store(path) as store:
        store.save(service)
    data = bytearray(path.read_bytes())
    data[100:] = bytes(range(256)) * ((len(data) - 100) // 256 + 1)
    path.write_bytes(bytes(data[: len(data)]))


def _other_version(path: Path) -> None:
    with _store(path):
        pass
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")


def _other_program(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")


def _edited_row(path: Path) -> None:
    service = InMemoryDurableService(_StoppedClock())
    service.start_execution("fn", "run", "{}")
    with _store(path) as store:
        store.save(service)
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE executions SET data = '{\"arn\": 1}'")


@pytest.mark.parametrize(
    ("prepare", "relative", "message"),
    [
        pytest.param(lambda path: None, "missing/executions.db", "cannot be opened", id="no dir"),
        pytest.param(lambda path: path.mkdir(), "adir", "cannot be opened", id="a directory"),
        pytest.param(_text_file, "notes.txt", "is not a SQLite database", id="not sqlite"),
        pytest.param(_corrupt, "corrupt.db", "is corrupt|not a SQLite", id="corrupt"),
        pytest.param(_other_version, "old.db", "schema version 99", id="schema version"),
        pytest.param(_other_program, "app.db", "tables of another program", id="other tables"),
        pytest.param(_edited_row, "edited.db", "cannot read", id="unreadable row"),
    ],
)
def test_an_unusable_file_is_an_error_naming_it_and_what_to_do(
    tmp_path: Path, prepare: Callable[[Path], None], relative: str, message: str
):
    path = tmp_path / relative
    prepare(path)
    with pytest.raises(DurableFunctionsTestError, match=message) as error, _store(path) as store:
        store.load_into(InMemoryDurableService(_StoppedClock()))
    assert str(path) in str(error.value)
    assert re.search(r": [a-z][^:]{10,}$", str(error.value)), "ends with what to do"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_file_without_write_permission_is_an_error_naming_it(db: Path):
    with _store(db):
        pass
    db.chmod(0o444)
    service = InMemoryDurableService(_StoppedClock())
    service.start_execution("fn", "run", "{}")
    with pytest.raises(DurableFunctionsTestError, match=re.escape(str(db))), _store(db) as store:
        store.save(service)


def test_the_schema_version_is_written_in_the_file(db: Path):
    with _store(db):
        pass
    with contextlib.closing(sqlite3.connect(db)) as raw:
        version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        mode = raw.execute("PRAGMA journal_mode").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert mode == ("wal",)


def test_a_callback_answered_after_the_restart_completes_its_operation(db: Path):
    with _store(db) as store:
        driver = _Driver(InMemoryDurableService(_StoppedClock()), store)
        arn = driver.start("asker", "asker", {})
        driver.run_ready()
    service = _reload(db)
    record = service.executions[arn]
    callback_id = open_callback(record, "approve")
    assert callback_id is not None
    service.send_callback_success(callback_id, '"late"')
    op = next(o for o in record.operations.values() if o.operation_type is OperationType.CALLBACK)
    assert op.status is OperationStatus.SUCCEEDED
    assert service.next_ready() is record


def test_a_timer_that_fires_and_decides_nothing_is_gone_after_the_restart_too(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "ended", "{}", execution_timeout=60)
    service.succeed(record.arn, '"done"')
    with _store(db) as store:
        store.save(service)
        timeout = service.timers.peek()
        assert timeout is not None and timeout.when == START + 60
        service.clock.advance_to(timeout.when)
        service.timers.pop().fire()  # the ended execution's timeout: nothing to do
        store.save(service)
    assert service.timers.pending() == []
    assert _reload(db).timers.pending() == []


def test_the_input_is_written_once_not_at_every_save(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    payload = json.dumps({"blob": "x" * 200_000})
    record = service.start_execution("fn", "big", payload)
    token = service.begin_invocation(record.arn).checkpoint_token
    with _store(db) as store:
        store.save(service)
        for index in range(3):
            for batch in _step_updates(index):
                token = service.checkpoint(record.arn, token, batch).checkpoint_token
                store.save(service)
    with contextlib.closing(sqlite3.connect(db)) as raw:
        created, state = raw.execute(
            "SELECT length(created), length(data) FROM executions"
        ).fetchone()
    assert created > 200_000 > 10 * state
    assert _reload(db).executions[record.arn].input_payload == payload


# -- pauses -----------------------------------------------------------------------------------


def test_a_paused_execution_stays_paused_after_the_restart_and_resumes_on_request(db: Path):
    with _store(db) as store:
        driver = _Driver(InMemoryDurableService(_StoppedClock()), store)
        arn = driver.start("napper", "napper", {})
        driver.run_ready()  # waiting on its nap
        driver.service.pause_execution(arn, "maintenance", client_token="pause-1")
        store.save(driver.service)
        assert driver.service.executions[arn].status is ExecutionStatus.PAUSED
        saved = driver.service
    restored = _reload(db)
    assert_same(saved, restored)
    record = restored.executions[arn]
    assert record.status is ExecutionStatus.PAUSED
    assert record.pause is not None and record.pause.reason == "maintenance"
    assert restored.fire_next_timers()  # the nap ends while paused: no invocation starts
    assert restored.next_ready() is None
    restored.resume_execution(arn)
    assert restored.next_ready() is record


def test_a_pause_waiting_for_an_invocation_the_restart_lost_takes_effect(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    record = service.start_execution("fn", "pausing", "{}")
    service.begin_invocation(record.arn)
    service.pause_execution(record.arn)
    assert record.status is ExecutionStatus.PAUSING
    with _store(db) as store:
        store.save(service)
    restored = _reload(db)
    back = restored.executions[record.arn]
    assert back.status is ExecutionStatus.PAUSED
    assert not back.invoking
    assert restored.next_ready() is None
    restored.resume_execution(record.arn)
    assert restored.next_ready() is back


def test_executions_started_after_a_restart_are_numbered_after_the_restored_ones(db: Path):
    service = InMemoryDurableService(_StoppedClock())
    first = service.start_execution("fn", "one", "{}")
    second = service.start_execution("fn", "two", "{}")
    with _store(db) as store:
        store.save(service)
    restored = _reload(db)
    third = restored.start_execution("fn", "three", "{}")
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    listed = restored.list_executions("fn")
    names = [item["DurableExecutionName"] for item in listed["DurableExecutions"]]
    assert sorted(names) == ["one", "three", "two"]
