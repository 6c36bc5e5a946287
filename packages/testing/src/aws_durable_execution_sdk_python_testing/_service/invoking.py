"""One invocation's bracket on its execution: begun, its token checked, ended.

An invocation begins with a fresh checkpoint token and the first page of operations, as
Lambda's invoke event carries them; every call it makes presents that token, which is
refused with the service's invalid-token error once the execution has ended, a pause has
cut the invocation, or a later token replaced it. Its end makes every token of it stale
and appends ``InvocationCompleted``. These are the execution's own bookkeeping, not
effects of a decision: the service calls them on the record it holds.
"""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationInput,
    ErrorObject,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.history import error_details
from aws_durable_execution_sdk_python_testing._service.reading import first_state_page
from aws_durable_execution_sdk_python_testing._service.tokens import (
    check_token_format,
    refuse_token,
    same_token,
)

__all__ = ["begin", "check_token", "end"]


def begin(record: ExecutionRecord, page_size: int) -> DurableExecutionInvocationInput:
    """The execution is being invoked: its invoke event, with a fresh token."""
    record.invoking = True
    record.cut_by_pause = False
    record.needs_invocation = False
    record.invocations += 1
    token = record.new_token()
    updated = sorted(record.updated_operation_ids)
    record.updated_operation_ids.clear()
    return DurableExecutionInvocationInput(
        record.arn,
        token,
        first_state_page(record, page_size),
        updated_operation_ids=updated,
    )


def check_token(record: ExecutionRecord, token: str) -> None:
    """Raises: InvalidParameterValueException: the service's invalid-token error."""
    check_token_format(token)
    if record.is_terminal:
        refuse_token(f"execution {record.arn} has already ended")
    if record.cut_by_pause:
        refuse_token(
            f"execution {record.arn} was paused during this invocation; it is invoked "
            "again once resumed"
        )
    if not record.invoking or not same_token(token, record.token):
        refuse_token("the token is stale or belongs to another invocation")


def end(
    record: ExecutionRecord,
    now: datetime.datetime,
    start: datetime.datetime,
    request_id: str,
    error: ErrorObject | None,
) -> None:
    """The invocation that began at ``start`` returned (``error``: it failed)."""
    record.invoking = False
    record.new_token()  # tokens of a finished invocation are stale from now on
    details: dict[str, Any] = {
        "StartTimestamp": start,
        "EndTimestamp": now,
        "RequestId": request_id,
    }
    if error is not None:
        details["Error"] = error_details(error)
    record.history.append("InvocationCompleted", now, details)
    record.invocation_records.append(details)
