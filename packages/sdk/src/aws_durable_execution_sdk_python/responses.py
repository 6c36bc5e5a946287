"""Outcomes in the shapes callers see: the seed's error response and HTTP status codes.

For functions fronted by API Gateway or a function URL. Both use
:func:`~aws_durable_execution_sdk_python.exceptions.termination_reason_for`, the one place
that maps an error to its termination reason (docs/decisions.md, "Termination reasons and
HTTP status").
"""

from __future__ import annotations

from typing import Any

import attrs

from aws_durable_execution_sdk_python._execution import stack_trace
from aws_durable_execution_sdk_python._model.enums import InvocationStatus
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.invocation import DurableExecutionInvocationOutput
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    InvocationError,
    TerminationReason,
    ValidationError,
    resolve_error_class,
    termination_reason_for,
)

__all__ = ["error_response", "http_status_for"]


def error_response(error: BaseException | ErrorObject) -> dict[str, Any]:
    """``{errorType, errorMessage, termination_reason, stackTrace}`` for a failure."""
    if isinstance(error, ErrorObject):
        recorded = error
        reason = termination_reason_for(error.type)
    else:
        recorded = ErrorObject.from_exception(error)
        reason = termination_reason_for(error)
        if recorded.stack_trace is None:
            recorded = attrs.evolve(recorded, stack_trace=stack_trace(error))
    return {
        "errorType": recorded.type,
        "errorMessage": recorded.message,
        "termination_reason": reason.value,
        "stackTrace": list(recorded.stack_trace or []),
    }


def _status_for_error(error: BaseException | ErrorObject | None) -> int:
    if isinstance(error, ErrorObject) or error is None:
        cls = resolve_error_class(error.type) if error is not None and error.type else None
        if cls is not None and issubclass(cls, ValidationError):
            return 400
        reason = termination_reason_for(error.type if error is not None else None)
        return 503 if reason is TerminationReason.INVOCATION_ERROR else 500
    if isinstance(error, ValidationError):
        return 400
    if isinstance(error, BotoClientError):
        return 503 if error.is_retryable() else 500
    if isinstance(error, InvocationError):
        return 503
    return 500


def http_status_for(
    outcome: DurableExecutionInvocationOutput | dict[str, Any] | BaseException,
) -> int:
    """200 succeeded, 202 pending, 400 invalid input, 500 failed, 503 retry the invocation.

    ``outcome`` is the handler's output (object or dict), or the exception it raised.
    """
    if isinstance(outcome, BaseException):
        return _status_for_error(outcome)
    if isinstance(outcome, dict):
        outcome = DurableExecutionInvocationOutput.from_dict(outcome)
    if outcome.status is InvocationStatus.SUCCEEDED:
        return 200
    if outcome.status is InvocationStatus.PENDING:
        return 202
    if outcome.status is InvocationStatus.RETRY:
        return 503
    return _status_for_error(outcome.error)
