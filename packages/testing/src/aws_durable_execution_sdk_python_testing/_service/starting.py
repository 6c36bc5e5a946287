"""Deciding an execution's start: its ARN, its record, its first events and its timeout.

A new execution's ARN names the function, its qualifier, the execution name and a fresh
invocation id (the id of its EXECUTION operation too). It begins with that operation,
``STARTED`` and carrying the input, the ``ExecutionStarted`` event, and the timer of its
execution timeout, which does not keep a run alive. The service numbers the record, takes
it in, applies the decision and queues the first invocation.
"""

from __future__ import annotations

import datetime
import uuid

from aws_durable_execution_sdk_python.lambda_service import (
    ExecutionDetails,
    Operation,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._service.effects import (
    AppendEvent,
    Decision,
    ExecutionTimeout,
    ScheduleTimer,
    StoreOperation,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.history import result_details

__all__ = ["ACCOUNT", "decide_start"]

_REGION = "us-east-1"
ACCOUNT = "123456789012"  # the account of an execution whose start names none


def decide_start(
    function_name: str,
    execution_name: str,
    input_payload: str | None,
    now: datetime.datetime,
    *,
    execution_timeout: int,
    qualifier: str,
    account_id: str,
) -> tuple[ExecutionRecord, Decision]:
    """The new execution's record, not yet numbered or held, and what its start does."""
    invocation_id = str(uuid.uuid4())
    arn = (
        f"arn:aws:lambda:{_REGION}:{account_id}:function:{function_name}:{qualifier}"
        f"/durable-execution/{execution_name}/{invocation_id}"
    )
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
    details = {"Input": result_details(input_payload), "ExecutionTimeout": execution_timeout}
    decision = Decision(
        arn,
        (
            StoreOperation(execution_op),
            AppendEvent("ExecutionStarted", now, details, execution_op),
            ScheduleTimer(
                now.timestamp() + execution_timeout,
                f"timeout of execution {execution_name}",
                ExecutionTimeout(arn),
                keeps_alive=False,
                key=ExecutionTimeout(arn),
            ),
        ),
    )
    return record, decision
