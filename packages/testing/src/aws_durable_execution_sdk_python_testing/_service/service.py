"""``InMemoryDurableService``: the durable-execution API, in memory, on a virtual clock.

It owns executions, applies checkpoints as the real service does, appends history as things
happen, and keeps every timer in one heap ordered by virtual time. Executions that need an
invocation (a timer fired, a callback was answered, an invoked target finished) wait in a
FIFO queue for the runner. Every lookup is a dict access or a heap operation.
"""

from __future__ import annotations

import collections
import datetime
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    ChainedInvokeDetails,
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableExecutionInvocationInput,
    ErrorObject,
    ExecutionDetails,
    InitialExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._service.callbacks import Callbacks
from aws_durable_execution_sdk_python_testing._service.checkpoint import CheckpointProcessor, event
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)
from aws_durable_execution_sdk_python_testing._service.timers import Timer, TimerQueue

__all__ = ["MAX_EXECUTION_TIMEOUT_SECONDS", "InMemoryDurableService"]

# DurableConfig.ExecutionTimeout: at most 366 days.
MAX_EXECUTION_TIMEOUT_SECONDS = 31_622_400
_REGION = "us-east-1"
_ACCOUNT = "123456789012"

_CLOSING = {
    ExecutionStatus.SUCCEEDED: (OperationStatus.SUCCEEDED, "ExecutionSucceeded"),
    ExecutionStatus.FAILED: (OperationStatus.FAILED, "ExecutionFailed"),
    ExecutionStatus.TIMED_OUT: (OperationStatus.TIMED_OUT, "ExecutionTimedOut"),
    ExecutionStatus.STOPPED: (OperationStatus.STOPPED, "ExecutionStopped"),
}
# How a finished target execution completes the caller's chained-invoke operation.
_INVOKE_OUTCOME = {
    ExecutionStatus.SUCCEEDED: (OperationStatus.SUCCEEDED, "Succeeded"),
    ExecutionStatus.FAILED: (OperationStatus.FAILED, "Failed"),
    ExecutionStatus.TIMED_OUT: (OperationStatus.TIMED_OUT, "TimedOut"),
    ExecutionStatus.STOPPED: (OperationStatus.STOPPED, "Stopped"),
}

# start_chained_invoke asks this hook for the target: it returns the target execution's ARN,
# or None when no function of that name exists.
InvokeHook = Callable[[ExecutionRecord, Operation, str, str], "str | None"]
CallbackHook = Callable[[ExecutionRecord, Operation], None]


class InMemoryDurableService:
    """Executions by ARN; the same semantics the SDK sees from Lambda."""

    def __init__(self, clock: VirtualClock | None = None, limits: Limits | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.limits = limits or Limits()
        self.executions: dict[str, ExecutionRecord] = {}
        self.timers = TimerQueue()
        self.ready: collections.deque[str] = collections.deque()
        self.invoke_hook: InvokeHook | None = None
        self.callback_hook: CallbackHook | None = None
        self._processors: dict[str, CheckpointProcessor] = {}
        self.callbacks = Callbacks(self)

    # -- lifecycle -----------------------------------------------------------------------

    def start_execution(
        self,
        function_name: str,
        execution_name: str,
        input_payload: str | None,
        execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        qualifier: str = "$LATEST",
        account_id: str = _ACCOUNT,
    ) -> ExecutionRecord:
        invocation_id = str(uuid.uuid4())
        arn = (
            f"arn:aws:lambda:{_REGION}:{account_id}:function:{function_name}:{qualifier}"
            f"/durable-execution/{execution_name}/{invocation_id}"
        )
        now = self.clock.now_datetime()
        record = ExecutionRecord(
            arn,
            function_name,
            execution_name,
            invocation_id,
            now,
            input_payload or "",
            execution_timeout,
        )
        execution_op = Operation(
            operation_id=invocation_id,
            operation_type=OperationType.EXECUTION,
            status=OperationStatus.STARTED,
            name=execution_name,
            start_timestamp=now,
            execution_details=ExecutionDetails(input_payload),
        )
        record.operations[invocation_id] = execution_op
        record.history.append(
            "ExecutionStarted",
            now,
            {
                "Input": result_details(input_payload),
                "ExecutionTimeout": execution_timeout,
            },
            execution_op,
        )
        self.executions[arn] = record
        self._processors[arn] = CheckpointProcessor(record, self)
        self.timers.add(
            now.timestamp() + execution_timeout,
            f"timeout of execution {execution_name}",
            lambda: self.time_out(arn),
            keeps_alive=False,
        )
        self.ready.append(arn)
        return record

    def get(self, arn: str) -> ExecutionRecord:
        record = self.executions.get(arn)
        if record is None:
            raise ResourceNotFoundException(f"Execution not found: {arn}")
        return record

    def mark_changed(self, record: ExecutionRecord, operation_id: str | None = None) -> None:
        """Something the execution waits on changed: it needs another invocation."""
        if operation_id is not None:
            record.updated_operation_ids.add(operation_id)
        if not record.needs_invocation and not record.is_terminal:
            record.needs_invocation = True
            self.ready.append(record.arn)

    def next_ready(self) -> ExecutionRecord | None:
        while self.ready:
            record = self.executions[self.ready.popleft()]
            if record.needs_invocation and not record.is_terminal:
                return record
        return None

    def begin_invocation(self, arn: str) -> DurableExecutionInvocationInput:
        """A fresh token and the first page of operations, as Lambda's invoke event carries."""
        record = self.get(arn)
        record.invoking = True
        record.needs_invocation = False
        record.invocations += 1
        token = record.new_token()
        operations = list(record.operations.values())
        page = self.limits.state_page_size
        marker = str(page) if len(operations) > page else ""
        updated = sorted(record.updated_operation_ids)
        record.updated_operation_ids.clear()
        return DurableExecutionInvocationInput(
            arn,
            token,
            InitialExecutionState(operations[:page], marker),
            updated_operation_ids=updated,
        )

    def end_invocation(
        self,
        arn: str,
        start: datetime.datetime,
        request_id: str,
        error: ErrorObject | None = None,
    ) -> None:
        record = self.get(arn)
        record.invoking = False
        record.new_token()  # tokens of a finished invocation are stale from now on
        now = self.clock.now_datetime()
        details: dict[str, Any] = {
            "StartTimestamp": start,
            "EndTimestamp": now,
            "RequestId": request_id,
        }
        if error is not None:
            details["Error"] = error_details(error)
        record.history.append("InvocationCompleted", now, details)
        record.invocation_records.append(details)

    def succeed(self, arn: str, result: str | None) -> None:
        self._close(arn, ExecutionStatus.SUCCEEDED, result=result)

    def fail(self, arn: str, error: ErrorObject, termination_reason: str) -> None:
        self._close(arn, ExecutionStatus.FAILED, error=error, termination_reason=termination_reason)

    def time_out(self, arn: str) -> None:
        record = self.get(arn)
        if record.is_terminal:
            return
        error = ErrorObject(
            f"Execution timed out after {record.execution_timeout} seconds", "ExecutionTimedOut"
        )
        self._close(arn, ExecutionStatus.TIMED_OUT, error=error, termination_reason="TIMED_OUT")

    def stop(self, arn: str, error: ErrorObject | None = None) -> None:
        """``StopDurableExecution``."""
        record = self.get(arn)
        if record.is_terminal:
            raise InvalidParameterValueException(f"execution {arn} has already ended")
        error = error or ErrorObject("Execution stopped", "ExecutionStopped")
        self._close(arn, ExecutionStatus.STOPPED, error=error, termination_reason="STOPPED")

    def _close(
        self,
        arn: str,
        status: ExecutionStatus,
        *,
        result: str | None = None,
        error: ErrorObject | None = None,
        termination_reason: str | None = None,
    ) -> None:
        record = self.get(arn)
        now = self.clock.now_datetime()
        record.status = status
        record.result = result
        record.error = error
        record.termination_reason = termination_reason
        record.end = now
        op_status, event_type = _CLOSING[status]
        execution_op = attrs.evolve(
            record.operations[record.invocation_id], status=op_status, end_timestamp=now
        )
        record.operations[record.invocation_id] = execution_op
        details: dict[str, Any] = (
            {"Result": result_details(result)}
            if status is ExecutionStatus.SUCCEEDED
            else {"Error": error_details(error)}
        )
        record.history.append(event_type, now, details, execution_op)
        for op in record.operations.values():
            if op.operation_type is OperationType.CALLBACK:
                self.callbacks.disarm(op)
        if record.parent is not None:
            self._complete_invoke(record)

    # -- timers --------------------------------------------------------------------------

    def fire_next_timers(self) -> list[Timer]:
        """Jump the clock to the earliest timer and fire every timer due by then.

        Returns nothing when no timer can make progress (only execution timeouts remain):
        the caller reports the run as stuck rather than sleeping into a timeout.
        """
        if not self.timers.has_progress:
            return []
        first = self.timers.peek()
        if first is None:
            return []
        self.clock.advance_to(first.when)
        fired = []
        while (timer := self.timers.peek()) is not None and timer.when <= first.when:
            self.timers.pop()
            timer.fire()
            fired.append(timer)
        return fired

    # -- callbacks (answers from outside) ------------------------------------------------

    def send_callback_success(self, callback_id: str, result: str | None) -> None:
        self.callbacks.succeed(callback_id, result)

    def send_callback_failure(self, callback_id: str, error: ErrorObject | None) -> None:
        self.callbacks.fail(callback_id, error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        self.callbacks.heartbeat(callback_id)

    def new_callback_id(self, record: ExecutionRecord, operation_id: str) -> str:
        return self.callbacks.new_id(record, operation_id)

    def after_apply(self, record: ExecutionRecord, op: Operation, update: OperationUpdate) -> None:
        """Side effects of an applied update that outlive the checkpoint call."""
        if op.operation_type is OperationType.CALLBACK and update.action is OperationAction.START:
            self.callbacks.started(record, op, update)

    # -- chained invokes -----------------------------------------------------------------

    def start_chained_invoke(
        self,
        record: ExecutionRecord,
        op: Operation,
        function_name: str,
        payload: str | None,
        tenant_id: str | None,
    ) -> str | None:
        target_arn = (
            self.invoke_hook(record, op, function_name, payload or "null")
            if self.invoke_hook is not None
            else None
        )
        if target_arn is None:
            error = ErrorObject(
                f"Function not found: {function_name}. Register the target on the test runner "
                f"with runner.register_durable_function({function_name!r}, handler) or "
                f"runner.register_function({function_name!r}, func).",
                "ResourceNotFoundException",
            )
            self.timers.add(
                self.clock.now(),
                f"failure of chained invoke {op.name or op.operation_id}",
                lambda: self._finish_invoke(
                    record, op.operation_id, OperationStatus.FAILED, "Failed", error=error
                ),
            )
        return target_arn

    def _complete_invoke(self, target: ExecutionRecord) -> None:
        assert target.parent is not None
        parent_arn, operation_id = target.parent
        parent = self.get(parent_arn)
        status, suffix = _INVOKE_OUTCOME[target.status]
        self._finish_invoke(parent, operation_id, status, suffix, target.result, target.error)

    def _finish_invoke(
        self,
        record: ExecutionRecord,
        operation_id: str,
        status: OperationStatus,
        suffix: str,
        result: str | None = None,
        error: ErrorObject | None = None,
    ) -> None:
        op = record.operations.get(operation_id)
        if op is None or op.status is not OperationStatus.STARTED or record.is_terminal:
            return
        now = self.clock.now_datetime()
        op = attrs.evolve(
            op,
            status=status,
            end_timestamp=now,
            chained_invoke_details=ChainedInvokeDetails(result, error),
        )
        record.operations[operation_id] = op
        details = (
            {"Result": result_details(result)}
            if status is OperationStatus.SUCCEEDED
            else {"Error": error_details(error)}
        )
        event(record, op, suffix, details, now)
        self.mark_changed(record, operation_id)

    # -- the API the SDK calls -----------------------------------------------------------

    def _check_token(self, record: ExecutionRecord, token: str) -> None:
        if record.is_terminal:
            raise InvalidParameterValueException(
                f"Invalid Checkpoint Token: execution {record.arn} has already ended"
            )
        if token != record.token or not record.invoking:
            raise InvalidParameterValueException(
                "Invalid Checkpoint Token: the token is stale or belongs to another invocation"
            )

    def checkpoint(
        self,
        arn: str,
        token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        record = self.get(arn)
        self._check_token(record, token)
        processor = self._processors[arn]
        processor.validate(updates)
        touched = processor.apply(updates)
        return CheckpointOutput(record.new_token(), CheckpointUpdatedExecutionState(touched, None))

    def get_execution_state(
        self, arn: str, token: str, marker: str, max_items: int = 1000
    ) -> StateOutput:
        record = self.get(arn)
        self._check_token(record, token)
        try:
            start = int(marker or 0)
        except ValueError:
            raise InvalidParameterValueException(f"Invalid marker: {marker!r}") from None
        operations = list(record.operations.values())
        if start < 0 or start > len(operations):
            raise InvalidParameterValueException(f"Invalid marker: {marker!r}")
        end = start + max(1, min(max_items, 1000))
        return StateOutput(operations[start:end], str(end) if end < len(operations) else None)

    def get_execution_history(
        self,
        arn: str,
        include_execution_data: bool = False,
        max_items: int = 1000,
        marker: str | None = None,
        reverse_order: bool = False,
    ) -> dict[str, Any]:
        """``GetDurableExecutionHistory``'s response, paged by position."""
        record = self.get(arn)
        events = record.history.events
        if reverse_order:
            events = events[::-1]
        start = 0
        if marker:
            try:
                start = int(marker)
            except ValueError:
                raise InvalidParameterValueException(f"Invalid marker: {marker!r}") from None
        page = events[start : start + max(1, max_items)]
        out: dict[str, Any] = {
            "Events": [e if include_execution_data else _redact(e) for e in page]
        }
        if start + len(page) < len(events):
            out["NextMarker"] = str(start + len(page))
        return out


def _redact(event: dict[str, Any]) -> dict[str, Any]:
    """Without execution data, inputs and results are dropped and marked truncated."""
    copy = dict(event)
    key = f"{event['EventType']}Details"
    details = dict(copy.get(key) or {})
    for field in ("Input", "Result"):
        if field in details:
            details[field] = {"Truncated": True}
    copy[key] = details
    return copy
