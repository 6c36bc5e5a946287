"""A restart in the middle: executions saved while they wait finish as without it.

Saved while one waits on a timer and another on a callback, or while an invocation runs (its
process dies with the server), they are loaded into a fresh service on a new clock set to
the saved position; the timer fires, the callback is answered, a lost invocation runs again,
and each history is what it would have been without the restart (apart from the ids of
invocations). A paused execution stays paused, and a pause that waited for the lost
invocation takes effect.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from clock_support import StoppedClock
from store_support import assert_same, open_file, reload

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._callback_desk import open_callback
from aws_durable_execution_sdk_python_testing._client import InMemoryServiceClient
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
from aws_durable_execution_sdk_python_testing._store import SQLiteStore


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "executions.db"


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
    driver = _Driver(InMemoryDurableService(StoppedClock()), None)
    _first_half(driver)
    _second_half(driver)
    return driver.histories()


@pytest.mark.parametrize("die_in", [None, "napper", "asker"])
def test_executions_waiting_when_the_server_stops_finish_as_without_the_restart(
    db: Path, die_in: str | None
):
    with open_file(db) as store:
        before = _Driver(InMemoryDurableService(StoppedClock()), store)
        _first_half(before, die_in=die_in)
        saved_clock = before.service.clock.now()
    # A new process: a new service and clock, the same file.
    with open_file(db) as store:
        service = InMemoryDurableService(StoppedClock())
        restored = store.load_into(service)
        assert len(restored) == 2
        assert service.clock.now() == saved_clock
        after = _Driver(service, store)
        _second_half(after)
    assert {r.status for r in service.executions.values()} == {ExecutionStatus.SUCCEEDED}
    assert after.histories() == _reference()
    assert reload(db).executions.keys() == service.executions.keys()


def test_an_invocation_running_when_the_server_stopped_has_stale_tokens_and_runs_again(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "lost", "{}")
    token = service.begin_invocation(record.arn).checkpoint_token
    step = OperationUpdate("s1", OperationType.STEP, OperationAction.START, name="one")
    token = service.checkpoint(record.arn, token, [step]).checkpoint_token
    with open_file(db) as store:
        store.save(service)
    restarted = reload(db)
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


def test_a_callback_answered_after_the_restart_completes_its_operation(db: Path):
    with open_file(db) as store:
        driver = _Driver(InMemoryDurableService(StoppedClock()), store)
        arn = driver.start("asker", "asker", {})
        driver.run_ready()
    service = reload(db)
    record = service.executions[arn]
    callback_id = open_callback(record, "approve")
    assert callback_id is not None
    service.send_callback_success(callback_id, '"late"')
    op = next(o for o in record.operations.values() if o.operation_type is OperationType.CALLBACK)
    assert op.status is OperationStatus.SUCCEEDED
    assert service.next_ready() is record


# -- pauses -----------------------------------------------------------------------------------


def test_a_paused_execution_stays_paused_after_the_restart_and_resumes_on_request(db: Path):
    with open_file(db) as store:
        driver = _Driver(InMemoryDurableService(StoppedClock()), store)
        arn = driver.start("napper", "napper", {})
        driver.run_ready()  # waiting on its nap
        driver.service.pause_execution(arn, "maintenance", client_token="pause-1")
        store.save(driver.service)
        assert driver.service.executions[arn].status is ExecutionStatus.PAUSED
        saved = driver.service
    restored = reload(db)
    assert_same(saved, restored)
    record = restored.executions[arn]
    assert record.status is ExecutionStatus.PAUSED
    assert record.pause is not None and record.pause.reason == "maintenance"
    assert restored.fire_next_timers()  # the nap ends while paused: no invocation starts
    assert restored.next_ready() is None
    restored.resume_execution(arn)
    assert restored.next_ready() is record


def test_a_pause_waiting_for_an_invocation_the_restart_lost_takes_effect(db: Path):
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "pausing", "{}")
    service.begin_invocation(record.arn)
    service.pause_execution(record.arn)
    assert record.status is ExecutionStatus.PAUSING
    with open_file(db) as store:
        store.save(service)
    restored = reload(db)
    back = restored.executions[record.arn]
    assert back.status is ExecutionStatus.PAUSED
    assert not back.invoking
    assert restored.next_ready() is None
    restored.resume_execution(record.arn)
    assert restored.next_ready() is back


def test_executions_started_after_a_restart_are_numbered_after_the_restored_ones(db: Path):
    service = InMemoryDurableService(StoppedClock())
    first = service.start_execution("fn", "one", "{}")
    second = service.start_execution("fn", "two", "{}")
    with open_file(db) as store:
        store.save(service)
    restored = reload(db)
    third = restored.start_execution("fn", "three", "{}")
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]
    listed = restored.list_executions("fn")
    names = [item["DurableExecutionName"] for item in listed["DurableExecutions"]]
    assert sorted(names) == ["one", "three", "two"]
