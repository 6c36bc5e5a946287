"""Deciding an execution's end: its outcome, its closing event, and what it releases.

An ending execution stores its EXECUTION operation's final status, appends the closing
event, cancels the deadlines of its callbacks (answers after the end are rejected, not
timed out), and, when it was the target of another execution's chained invoke, resolves
that operation of its caller.
"""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationStatus
from aws_durable_execution_sdk_python_testing._service.callbacks import (
    callback_ids,
    disarm_callbacks,
)
from aws_durable_execution_sdk_python_testing._service.effects import (
    AppendEvent,
    Decision,
    Effect,
    EndExecution,
    ResolveInvoke,
    StoreOperation,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)

__all__ = ["decide_close"]

# The EXECUTION operation's status and the closing event's type for each way it ends; the
# same status then completes a caller's chained-invoke operation.
_CLOSING = {
    ExecutionStatus.SUCCEEDED: (OperationStatus.SUCCEEDED, "ExecutionSucceeded"),
    ExecutionStatus.FAILED: (OperationStatus.FAILED, "ExecutionFailed"),
    ExecutionStatus.TIMED_OUT: (OperationStatus.TIMED_OUT, "ExecutionTimedOut"),
    ExecutionStatus.STOPPED: (OperationStatus.STOPPED, "ExecutionStopped"),
}


def decide_close(
    record: ExecutionRecord,
    status: ExecutionStatus,
    now: datetime.datetime,
    *,
    result: str | None = None,
    error: ErrorObject | None = None,
    termination_reason: str | None = None,
) -> Decision:
    op_status, event_type = _CLOSING[status]
    execution_op = attrs.evolve(
        record.operations[record.invocation_id], status=op_status, end_timestamp=now
    )
    details: dict[str, Any] = (
        {"Result": result_details(result)}
        if status is ExecutionStatus.SUCCEEDED
        else {"Error": error_details(error)}
    )
    effects: list[Effect] = [
        EndExecution(status, now, result, error, termination_reason),
        StoreOperation(execution_op),
        AppendEvent(event_type, now, details, execution_op),
    ]
    for callback_id in callback_ids(record):
        effects.extend(disarm_callbacks(callback_id))
    if record.parent is not None:
        parent_arn, operation_id = record.parent
        effects.append(ResolveInvoke(parent_arn, operation_id, op_status, result, error))
    return Decision(record.arn, tuple(effects))
