"""``GetDurableExecution`` for the runner: an execution's status and outcome, as the API
returns it, so tests written against a deployed function can poll the local runner.

A paused (or pausing) execution has ``PauseDetails``; its ``Reason`` is execution data, shown
only with ``IncludeExecutionData`` as botocore says. While a pause holds the execution
timeout no timeout timestamp can be promised, so ``ExpectedExecutionTimeoutTimestamp`` is
left out until the resume re-arms it.
"""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord

__all__ = ["describe_execution"]


def describe_execution(record: ExecutionRecord, include_execution_data: bool) -> dict[str, Any]:
    """The ``GetDurableExecution`` response (botocore's member names) for ``record``."""
    function_arn = record.function_arn
    response: dict[str, Any] = {
        "DurableExecutionArn": record.arn,
        "DurableExecutionName": record.execution_name,
        "FunctionArn": function_arn,
        "Status": record.status.value,
        "StartTimestamp": record.start,
        "Version": function_arn.rsplit(":", 1)[-1],
        "ExecutionDataIncluded": include_execution_data,
    }
    if record.timeout_at is not None:
        response["ExpectedExecutionTimeoutTimestamp"] = datetime.datetime.fromtimestamp(
            record.timeout_at, tz=datetime.UTC
        )
    pause = record.pause
    if pause is not None and record.status.is_paused:
        details: dict[str, Any] = {"PauseRequestTimestamp": pause.requested}
        if include_execution_data and pause.reason is not None:
            details["Reason"] = pause.reason
        details["ExecutionTimeoutPaused"] = pause.execution_timeout_paused
        response["PauseDetails"] = details
    if record.end is not None:
        response["EndTimestamp"] = record.end
    if record.error is not None:
        response["Error"] = record.error.to_dict()
    if record.trace_header is not None:
        response["TraceHeader"] = {"XAmznTraceId": record.trace_header}
    if include_execution_data:
        response["InputPayload"] = record.input_payload
        if record.result is not None:
            response["Result"] = record.result
    return response
