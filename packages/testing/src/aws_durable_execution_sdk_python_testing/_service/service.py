"""``InMemoryDurableService``: the durable-execution API, in memory, on a virtual clock.

It owns executions, applies checkpoints as the real service does, appends history as things
happen, and keeps each execution's timers in a heap ordered by virtual time. Every lookup is
a dict access or a heap operation; nothing scans all operations per checkpoint.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableExecutionInvocationInput,
    ErrorObject,
    ExecutionDetails,
    InitialExecutionState,
    Operation,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._service.checkpoint import CheckpointProcessor
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    Limits,
    Timer,
)
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)

__all__ = ["MAX_EXECUTION_TIMEOUT_SECONDS", "InMemoryDurableService"]

# DurableConfig.ExecutionTimeout: at most 366 days.
MAX_EXECUTION_TIMEOUT_SECONDS = 31_622_400
_REGION = "us-east-1"
_ACCOUNT = "123456789012"


class InMemoryDurableService:
    """Executions by ARN; the same semantics the SDK sees from Lambda."""

    def __init__(self, clock: VirtualClock | None = None, limits: Limits | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.limits = limits or Limits()
        self.executions: dict[str, ExecutionRecord] = {}
        self._processors: dict[str, CheckpointProcessor] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start_execution(
        self,
        function_name: str,
        execution_name: str,
        input_payload: str,
        execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        qualifier: str = "$LATEST",
    ) -> ExecutionRecord:
        invocation_id = str(uuid.uuid4())
        arn = (
            f"arn:aws:lambda:{_REGION}:{_ACCOUNT}:function:{function_name}:{qualifier}"
            f"/durable-execution/{execution_name}/{invocation_id}"
        )
        now = self.clock.now_datetime()
        record = ExecutionRecord(
            arn, function_name, execution_name, invocation_id, now, input_payload, execution_timeout
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
                "Input": {"Payload": input_payload, "Truncated": False},
                "ExecutionTimeout": execution_timeout,
            },
            execution_op,
        )
        self.executions[arn] = record
        self._processors[arn] = CheckpointProcessor(record, self.clock, self.limits)
        return record

    def get(self, arn: str) -> ExecutionRecord:
        record = self.executions.get(arn)
        if record is None:
            raise ResourceNotFoundException(f"Execution not found: {arn}")
        return record

    def begin_invocation(self, arn: str) -> DurableExecutionInvocationInput:
        """A fresh token and the first page of operations, as Lambda's invoke event carries."""
        record = self.get(arn)
        record.invoking = True
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
        details: dict[str, Any] = {
            "StartTimestamp": start,
            "EndTimestamp": self.clock.now_datetime(),
            "RequestId": request_id,
        }
        if error is not None:
            details["Error"] = error_details(error)
        record.history.append("InvocationCompleted", self.clock.now_datetime(), details)
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
            f"Execution timed out after {record.execution_timeout} seconds",
            "ExecutionTimedOut",
        )
        self._close(arn, ExecutionStatus.TIMED_OUT, error=error, termination_reason="TIMED_OUT")

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
        record.timers.clear()
        op_status = {
            ExecutionStatus.SUCCEEDED: OperationStatus.SUCCEEDED,
            ExecutionStatus.FAILED: OperationStatus.FAILED,
            ExecutionStatus.TIMED_OUT: OperationStatus.TIMED_OUT,
            ExecutionStatus.STOPPED: OperationStatus.STOPPED,
        }[status]
        execution_op = record.operations[record.invocation_id]
        record.operations[record.invocation_id] = attrs.evolve(
            execution_op, status=op_status, end_timestamp=now
        )
        if status is ExecutionStatus.SUCCEEDED:
            details: dict[str, Any] = {"Result": result_details(result)}
        else:
            details = {"Error": error_details(error)}
        event = {
            ExecutionStatus.SUCCEEDED: "ExecutionSucceeded",
            ExecutionStatus.FAILED: "ExecutionFailed",
            ExecutionStatus.TIMED_OUT: "ExecutionTimedOut",
            ExecutionStatus.STOPPED: "ExecutionStopped",
        }[status]
        record.history.append(event, now, details, record.operations[record.invocation_id])

    # -- timers --------------------------------------------------------------------------

    def next_timer(self, arn: str) -> Timer | None:
        return self.get(arn).next_timer()

    def fire_next_timers(self, arn: str) -> list[Timer]:
        """Jump the clock to the earliest timer and fire every timer due by then.

        The execution timeout is not a timer: a run with nothing left to wait for must fail
        at once as stuck, not sleep a virtual year into a timeout.
        """
        record = self.get(arn)
        first = record.next_timer()
        if first is None:
            return []
        deadline = record.start.timestamp() + record.execution_timeout
        if first.when > deadline:
            self.clock.advance_to(deadline)
            self.time_out(arn)
            return []
        self.clock.advance_to(first.when)
        fired = []
        while (timer := record.next_timer()) is not None and timer.when <= first.when:
            record.pop_timer()
            timer.fire()
            fired.append(timer)
            if record.is_terminal:
                break
        return fired

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
        size = max(1, min(max_items, 1000))
        end = start + size
        return StateOutput(operations[start:end], str(end) if end < len(operations) else None)

    def get_execution_history(
        self,
        arn: str,
        include_execution_data: bool = False,
        max_items: int = 1000,
        marker: str | None = None,
        reverse_order: bool = False,
    ) -> dict[str, Any]:
        """``GetDurableExecutionHistory``'s response, paged by event id."""
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
            "Events": [_redact(e) if not include_execution_data else e for e in page]
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
