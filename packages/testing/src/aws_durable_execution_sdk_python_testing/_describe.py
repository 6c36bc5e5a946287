"""``GetDurableExecution`` for the runner: an execution's status and outcome, as the API
returns it, so tests written against a deployed function can poll the local runner."""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord

__all__ = ["describe_execution"]


def describe_execution(record: ExecutionRecord, include_execution_data: bool) -> dict[str, Any]:
    """The ``GetDurableExecution`` response (botocore's member names) for ``record``."""
    function_arn = record.arn.split("/durable-execution/", 1)[0]
    response: dict[str, Any] = {
        "DurableExecutionArn": record.arn,
        "DurableExecutionName": record.execution_name,
        "FunctionArn": function_arn,
        "Status": record.status.value,
        "StartTimestamp": record.start,
        "Version": function_arn.rsplit(":", 1)[-1],
        "ExecutionDataIncluded": include_execution_data,
        "ExpectedExecutionTimeoutTimestamp": record.start
        + datetime.timedelta(seconds=record.execution_timeout),
    }
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
