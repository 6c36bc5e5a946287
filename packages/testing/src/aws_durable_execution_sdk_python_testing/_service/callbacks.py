"""Callbacks in the service: ids, answers from outside, timeouts and heartbeats, decided.

A callback's id locates it (no scan). Its timeout and heartbeat timeout are timers on the
service's virtual clock, kept under a ``CallbackDeadline`` key so that a heartbeat re-arms
one and a completion cancels both. Every function here decides and returns effects; only
``CallbackRegistry.arm`` changes anything, and the service calls it to apply ``ArmCallback``.
"""

from __future__ import annotations

import datetime

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._service.effects import (
    ArmCallback,
    CallbackDeadline,
    CancelTimer,
    Deadline,
    Decision,
    Effect,
    MarkChanged,
    ScheduleTimer,
    StoreOperation,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    CallbackTimeoutException,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.events import event
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)
from aws_durable_execution_sdk_python_testing._service.tokens import (
    check_callback_id,
    mint_callback_id,
)

__all__ = [
    "CallbackEntry",
    "CallbackRegistry",
    "callback_ids",
    "deadline_timer",
    "decide_answer",
    "decide_deadline",
    "decide_heartbeat",
    "disarm_callbacks",
    "new_callback_id",
]

_HEARTBEAT_TIMER = "heartbeat timeout of a callback"


@attrs.frozen
class CallbackEntry:
    """Where a callback id points, and how long it may go without a heartbeat."""

    arn: str
    operation_id: str
    heartbeat_seconds: int


class CallbackRegistry:
    """The callback ids of every execution of one service."""

    def __init__(self) -> None:
        self._entries: dict[str, CallbackEntry] = {}

    def arm(self, arn: str, armed: ArmCallback) -> None:
        self._entries[armed.callback_id] = CallbackEntry(
            arn, armed.operation_id, armed.heartbeat_seconds
        )

    def find(self, callback_id: str) -> CallbackEntry | None:
        return self._entries.get(callback_id)

    def owner(self, callback_id: str) -> tuple[str, str] | None:
        """The execution ARN and operation id of a callback, if the id is known."""
        entry = self._entries.get(callback_id)
        return None if entry is None else (entry.arn, entry.operation_id)

    def forget(self, callback_ids: list[str]) -> None:
        """Their execution was deleted: the ids are unknown from now on."""
        for callback_id in callback_ids:
            self._entries.pop(callback_id, None)

    def locate(self, callback_id: str) -> CallbackEntry:
        """The callback an id names, as an answer from outside gives it.

        Raises:
            InvalidParameterValueException: ``callback_id`` cannot be a callback id.
            ResourceNotFoundException: no callback has this id.
        """
        check_callback_id(callback_id)
        entry = self._entries.get(callback_id)
        if entry is None:
            raise ResourceNotFoundException(f"Callback not found: {callback_id}")
        return entry


def new_callback_id() -> str:
    """A new callback's id: random and unrelated to its execution or operation, so nobody
    can answer a callback without being told its id."""
    return mint_callback_id()


def deadline_timer(
    callback_id: str, deadline: Deadline, when: float, description: str = _HEARTBEAT_TIMER
) -> ScheduleTimer:
    key = CallbackDeadline(callback_id, deadline)
    return ScheduleTimer(when, description, key, key=key)


def disarm_callbacks(callback_id: str) -> tuple[CancelTimer, CancelTimer]:
    return (
        CancelTimer(CallbackDeadline(callback_id, Deadline.TIMEOUT)),
        CancelTimer(CallbackDeadline(callback_id, Deadline.HEARTBEAT)),
    )


def _open(record: ExecutionRecord, entry: CallbackEntry, callback_id: str) -> Operation:
    """The callback's operation, if it can still be answered.

    Raises:
        CallbackTimeoutException: it timed out.
        InvalidParameterValueException: its execution ended, or it is already complete.
    """
    op = record.operations[entry.operation_id]
    if op.status is OperationStatus.TIMED_OUT:
        raise CallbackTimeoutException(f"Callback {callback_id} has timed out")
    if record.is_terminal:
        raise InvalidParameterValueException(
            f"Callback {callback_id} is closed: its execution has ended"
        )
    if op.status is not OperationStatus.STARTED:
        raise InvalidParameterValueException(f"Callback {callback_id} is already {op.status.value}")
    return op


def _finish(
    record: ExecutionRecord,
    op: Operation,
    status: OperationStatus,
    now: datetime.datetime,
    result: str | None = None,
    error: ErrorObject | None = None,
) -> Decision:
    callback = op.callback_details or CallbackDetails()
    op = attrs.evolve(
        op,
        status=status,
        end_timestamp=now,
        callback_details=CallbackDetails(callback.callback_id, result, error),
    )
    if status is OperationStatus.SUCCEEDED:
        suffix, details = "Succeeded", {"Result": result_details(result)}
    else:
        suffix = "Failed" if status is OperationStatus.FAILED else "TimedOut"
        details = {"Error": error_details(error)}
    effects: list[Effect] = [StoreOperation(op)]
    effects.extend(disarm_callbacks(callback.callback_id))
    effects.append(event(op, suffix, details, now))
    effects.append(MarkChanged(op.operation_id))
    return Decision(record.arn, tuple(effects))


def decide_answer(
    record: ExecutionRecord,
    entry: CallbackEntry,
    callback_id: str,
    now: datetime.datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
    failed: bool = False,
) -> Decision:
    """``SendDurableExecutionCallbackSuccess`` (or ``...Failure`` with ``failed``).

    Raises:
        CallbackTimeoutException, InvalidParameterValueException: as ``_open``.
    """
    op = _open(record, entry, callback_id)
    if failed:
        return _finish(record, op, OperationStatus.FAILED, now, error=error or ErrorObject())
    return _finish(record, op, OperationStatus.SUCCEEDED, now, result=result)


def decide_heartbeat(
    record: ExecutionRecord, entry: CallbackEntry, callback_id: str, now: datetime.datetime
) -> Decision:
    """``SendDurableExecutionCallbackHeartbeat``: the heartbeat deadline starts again.

    Raises:
        CallbackTimeoutException, InvalidParameterValueException: as ``_open``.
    """
    _open(record, entry, callback_id)
    if entry.heartbeat_seconds <= 0:
        return Decision(record.arn)
    when = now.timestamp() + entry.heartbeat_seconds
    return Decision(record.arn, (deadline_timer(callback_id, Deadline.HEARTBEAT, when),))


def decide_deadline(
    record: ExecutionRecord, entry: CallbackEntry, due: CallbackDeadline, now: datetime.datetime
) -> Decision:
    """A callback's deadline passed: it times out, unless it is already complete."""
    op = record.operations[entry.operation_id]
    if op.status is not OperationStatus.STARTED or record.is_terminal:
        return Decision(record.arn)
    error = ErrorObject(due.deadline.message, due.deadline.error_type)
    return _finish(record, op, OperationStatus.TIMED_OUT, now, error=error)


def callback_ids(record: ExecutionRecord) -> list[str]:
    """The ids of the execution's callbacks (scans its operations: for its end only)."""
    return [
        op.callback_details.callback_id if op.callback_details else ""
        for op in record.operations.values()
        if op.operation_type is OperationType.CALLBACK
    ]
