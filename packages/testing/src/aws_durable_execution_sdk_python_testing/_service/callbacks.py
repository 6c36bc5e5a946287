"""Callbacks in the service: ids, answers from outside, timeouts and heartbeats.

A callback's id locates it (no scan); its timeout and heartbeat timeout are timers on the
service's virtual clock, re-armed by each heartbeat and cancelled when it completes.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.checkpoint import event
from aws_durable_execution_sdk_python_testing._service.errors import (
    CallbackTimeoutException,
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)
from aws_durable_execution_sdk_python_testing._service.timers import Timer

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService

__all__ = ["Callbacks"]


@attrs.define
class _CallbackTimers:
    timeout: Timer | None = None
    heartbeat: Timer | None = None
    heartbeat_seconds: int = 0


class Callbacks:
    """The callbacks of every execution of one service."""

    def __init__(self, service: InMemoryDurableService) -> None:
        self._service = service
        self._callbacks: dict[str, tuple[str, str]] = {}  # callback id -> (arn, operation id)
        self._callback_timers: dict[str, _CallbackTimers] = {}

    def new_id(self, record: ExecutionRecord, operation_id: str) -> str:
        raw = f"{record.invocation_id}:{operation_id}:{uuid.uuid4().hex[:8]}".encode()
        callback_id = base64.b64encode(raw).decode()
        self._callbacks[callback_id] = (record.arn, operation_id)
        return callback_id

    def started(self, record: ExecutionRecord, op: Operation, update: OperationUpdate) -> None:
        """A callback was created: arm its timeouts, then tell the runner (declared answers)."""
        options = update.callback_options
        timers = _CallbackTimers(
            heartbeat_seconds=options.heartbeat_timeout_seconds if options else 0
        )
        callback_id = op.callback_details.callback_id if op.callback_details else ""
        if options is not None and options.timeout_seconds > 0:
            timers.timeout = self._service.timers.add(
                self._service.clock.now() + options.timeout_seconds,
                f"timeout of callback {op.name or op.operation_id}",
                lambda: self._time_out(callback_id, "Callback.Timeout", "Callback timed out"),
            )
        self._callback_timers[callback_id] = timers
        self._arm_heartbeat(callback_id)
        if self._service.callback_hook is not None:
            self._service.callback_hook(record, op)

    def _arm_heartbeat(self, callback_id: str) -> None:
        timers = self._callback_timers.get(callback_id)
        if timers is None or timers.heartbeat_seconds <= 0:
            return
        self._service.timers.cancel(timers.heartbeat)
        timers.heartbeat = self._service.timers.add(
            self._service.clock.now() + timers.heartbeat_seconds,
            "heartbeat timeout of a callback",
            lambda: self._time_out(
                callback_id, "Callback.Heartbeat", "Callback timed out on heartbeat"
            ),
        )

    def disarm(self, op: Operation) -> None:
        callback_id = op.callback_details.callback_id if op.callback_details else ""
        timers = self._callback_timers.pop(callback_id, None)
        if timers is not None:
            self._service.timers.cancel(timers.timeout)
            self._service.timers.cancel(timers.heartbeat)

    def _open(self, callback_id: str) -> tuple[ExecutionRecord, Operation]:
        where = self._callbacks.get(callback_id)
        if where is None:
            raise ResourceNotFoundException(f"Callback not found: {callback_id}")
        record = self._service.get(where[0])
        op = record.operations[where[1]]
        if op.status is OperationStatus.TIMED_OUT:
            raise CallbackTimeoutException(f"Callback {callback_id} has timed out")
        if record.is_terminal:
            raise InvalidParameterValueException(
                f"Callback {callback_id} is closed: its execution has ended"
            )
        if op.status is not OperationStatus.STARTED:
            raise InvalidParameterValueException(
                f"Callback {callback_id} is already {op.status.value}"
            )
        return record, op

    def _finish(
        self,
        record: ExecutionRecord,
        op: Operation,
        status: OperationStatus,
        suffix: str,
        details: dict[str, Any],
        result: str | None = None,
        error: ErrorObject | None = None,
    ) -> None:
        callback = op.callback_details or CallbackDetails()
        op = attrs.evolve(
            op,
            status=status,
            end_timestamp=self._service.clock.now_datetime(),
            callback_details=CallbackDetails(callback.callback_id, result, error),
        )
        record.operations[op.operation_id] = op
        self.disarm(op)
        event(record, op, suffix, details, self._service.clock.now_datetime())
        self._service.mark_changed(record, op.operation_id)

    def succeed(self, callback_id: str, result: str | None) -> None:
        record, op = self._open(callback_id)
        self._finish(
            record,
            op,
            OperationStatus.SUCCEEDED,
            "Succeeded",
            {"Result": result_details(result)},
            result=result,
        )

    def fail(self, callback_id: str, error: ErrorObject | None) -> None:
        record, op = self._open(callback_id)
        error = error or ErrorObject()
        self._finish(
            record,
            op,
            OperationStatus.FAILED,
            "Failed",
            {"Error": error_details(error)},
            error=error,
        )

    def heartbeat(self, callback_id: str) -> None:
        self._open(callback_id)
        self._arm_heartbeat(callback_id)

    def _time_out(self, callback_id: str, error_type: str, message: str) -> None:
        where = self._callbacks.get(callback_id)
        if where is None:
            return
        record = self._service.get(where[0])
        op = record.operations[where[1]]
        if op.status is not OperationStatus.STARTED or record.is_terminal:
            return
        error = ErrorObject(message, error_type)
        self._finish(
            record,
            op,
            OperationStatus.TIMED_OUT,
            "TimedOut",
            {"Error": error_details(error)},
            error=error,
        )

    def owner(self, callback_id: str) -> tuple[str, str] | None:
        return self._callbacks.get(callback_id)
