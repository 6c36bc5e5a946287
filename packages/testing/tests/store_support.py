"""Helpers shared by the SQLite store's tests: a store opened and closed around a block, a
file read back into a fresh service (on ``clock_support``'s stopped clock), checkpoint
batches, and the comparison of a service with its restored copy."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clock_support import StoppedClock

from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store import SQLiteStore
from aws_durable_execution_sdk_python_testing._store.restore import saved_timers
from aws_durable_execution_sdk_python_testing._store.snapshot import RECORD_FIELDS


@contextlib.contextmanager
def open_file(path: Path) -> Iterator[SQLiteStore]:
    store = SQLiteStore(path)
    try:
        yield store
    finally:
        store.close()


def reload(path: Path, clock: VirtualClock | None = None) -> InMemoryDurableService:
    service = InMemoryDurableService(clock or StoppedClock())
    with open_file(path) as store:
        store.load_into(service)
    return service


def step_updates(index: int) -> list[list[OperationUpdate]]:
    op_id = f"step-{index}"
    return [
        [OperationUpdate(op_id, OperationType.STEP, OperationAction.START, name=op_id)],
        [
            OperationUpdate(
                op_id, OperationType.STEP, OperationAction.SUCCEED, name=op_id, payload=str(index)
            )
        ],
    ]


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
