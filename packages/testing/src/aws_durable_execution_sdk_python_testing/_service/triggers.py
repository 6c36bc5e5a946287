"""Deciding what a trigger does when it fires: a timer fell due, or an invoked target ended.

Each trigger names the execution (or callback) it concerns; the decision reads it now,
since a lot may have happened since the timer was set (the operation was cancelled, the
callback answered, the execution ended), and returns no effects when nothing is left to do.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing._service.callbacks import (
    CallbackRegistry,
    decide_deadline,
)
from aws_durable_execution_sdk_python_testing._service.checkpoint import (
    decide_invoke_resolved,
    decide_step_retry_due,
    decide_wait_ended,
)
from aws_durable_execution_sdk_python_testing._service.closing import decide_close
from aws_durable_execution_sdk_python_testing._service.effects import (
    CallbackDeadline,
    Decision,
    ExecutionTimeout,
    ResolveInvoke,
    StepRetryDue,
    Trigger,
    WaitEnded,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)

__all__ = ["decide_trigger"]


def decide_trigger(
    trigger: Trigger,
    get: Callable[[str], ExecutionRecord],
    callbacks: CallbackRegistry,
    now: datetime.datetime,
) -> Decision | None:
    """The effects of ``trigger`` at ``now``; ``get`` finds an execution by ARN.

    Raises:
        ResourceNotFoundException: from ``get``, for an execution it does not know.
    """
    match trigger:
        case WaitEnded(arn, operation_id, seconds):
            return decide_wait_ended(get(arn), operation_id, seconds, now)
        case StepRetryDue(arn, operation_id):
            return decide_step_retry_due(get(arn), operation_id)
        case ResolveInvoke(arn):
            return decide_invoke_resolved(get(arn), trigger, now)
        case CallbackDeadline(callback_id):
            entry = callbacks.find(callback_id)
            if entry is None:
                return None
            return decide_deadline(get(entry.arn), entry, trigger, now)
        case ExecutionTimeout(arn):
            record = get(arn)
            if record.is_terminal:
                return None
            error = ErrorObject(
                f"Execution timed out after {record.execution_timeout} seconds",
                "ExecutionTimedOut",
            )
            return decide_close(
                record, ExecutionStatus.TIMED_OUT, now, error=error, termination_reason="TIMED_OUT"
            )
