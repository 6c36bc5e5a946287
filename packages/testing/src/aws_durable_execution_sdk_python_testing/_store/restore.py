"""Saved executions as values (``SavedExecution``), and putting them back into a service.

Any store reads its rows into ``SavedExecution`` values and hands them to ``restore``; the
codec (``snapshot``) turns each part into JSON-able dicts and back. ``restore`` is where a
restart's rules live: an invocation that was running when the server stopped is lost (its
process went with the server), so its tokens are made stale and the execution is queued
for a new invocation, as Lambda invokes again after a runtime that vanished.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import Operation, OperationType
from aws_durable_execution_sdk_python_testing._service.effects import ArmCallback
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store.snapshot import (
    SavedCallback,
    SavedTimer,
    decode_record,
)
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["SavedExecution", "callbacks_of", "restore", "saved_timers"]

_COMPLETED = "InvocationCompleted"


@attrs.frozen
class SavedExecution:
    """One execution as a store keeps it; ``record`` holds no operations and no history."""

    record: dict[str, Any]
    operations: tuple[Operation, ...] = ()
    events: tuple[dict[str, Any], ...] = ()
    timers: tuple[SavedTimer, ...] = ()
    callbacks: tuple[SavedCallback, ...] = ()


def saved_timers(service: InMemoryDurableService, arn: str) -> list[SavedTimer]:
    """The execution's live service timers (the runner's own timers have no trigger)."""
    timers = (SavedTimer.of(timer) for timer in service.changes.timers_of(arn))
    return [timer for timer in timers if timer is not None]


def callbacks_of(
    service: InMemoryDurableService, operations: Iterable[Operation]
) -> list[SavedCallback]:
    """The registry's entries for the callback ids among ``operations``."""
    saved = []
    for op in operations:
        if op.operation_type is not OperationType.CALLBACK or op.callback_details is None:
            continue
        callback_id = op.callback_details.callback_id
        entry = service.callbacks.find(callback_id)
        if entry is not None:
            saved.append(SavedCallback(callback_id, entry))
    return saved


def _rebuild(saved: SavedExecution) -> ExecutionRecord:
    record = decode_record(saved.record)
    record.operations = {op.operation_id: op for op in saved.operations}
    record.history.events = list(saved.events)
    # The same dicts as the events' details, as end_invocation keeps them.
    record.invocation_records = [
        event[f"{_COMPLETED}Details"]
        for event in record.history.events
        if event["EventType"] == _COMPLETED
    ]
    return record


def restore(
    service: InMemoryDurableService, executions: Iterable[SavedExecution], clock: float | None
) -> list[str]:
    """Put saved executions into ``service``; returns their ARNs in the saved order.

    The clock moves forward to ``clock`` (never back: time the server was down has passed).
    Executions that waited for an invocation join ``service.ready`` in the saved order;
    those that were mid-invocation get a stale token and are queued after them.

    Raises:
        DurableFunctionsTestError: the service already has an execution of a saved ARN.
        KeyError, TypeError, ValueError: a saved part this version cannot decode (the
            service is left unchanged).
    """
    # Everything is decoded and checked before the service changes: all or nothing.
    rebuilt = [(_rebuild(saved), saved) for saved in executions]
    for record, _saved in rebuilt:
        if record.arn in service.executions:
            raise DurableFunctionsTestError(
                f"cannot restore execution {record.arn}: the service already has it; "
                "restore saved executions into a fresh service"
            )
    if clock is not None:
        service.clock.advance_to(clock)
    restored = []
    for record, saved in rebuilt:
        service.restore_execution(record)
        for timer in saved.timers:
            service.schedule(record.arn, timer.effect(), timer.seq)
        for callback in saved.callbacks:
            entry = callback.entry
            armed = ArmCallback(callback.callback_id, entry.operation_id, entry.heartbeat_seconds)
            service.callbacks.arm(entry.arn, armed)
        if record.needs_invocation and not record.is_terminal:
            service.ready.append(record.arn)
        restored.append(record.arn)
    for record, _saved in rebuilt:
        if record.invoking:
            _lost_invocation(service, record)
    return restored


def _lost_invocation(service: InMemoryDurableService, record: ExecutionRecord) -> None:
    """The invocation died with the server: its tokens are stale, and a new one is due
    (once resumed, if a pause was waiting for this invocation to end: it holds now)."""
    record.invoking = False
    record.new_token()
    service.changes.touch(record.arn)
    if record.is_terminal:
        return
    service.mark_changed(record)  # queued, unless it is already waiting for an invocation
    service.settle_pause(record.arn)
