"""Every kind of ``OperationUpdate`` and ``Operation``, as SDK objects and in boto3's shape.

The wire forms are written out by hand; the shape, error and wire tests of ``LambdaClient``
send and receive them.
"""

from __future__ import annotations

import datetime
from typing import Any

from lambda_stubs import (
    CALLBACK_5,
    CHILD_6_1,
    CONTEXT_6,
    EXEC_ID,
    INVOKE_7,
    STEP_1,
    STEP_2,
    STEP_3,
    T0,
    WAIT_4,
    at,
)

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    CallbackOptions,
    ChainedInvokeDetails,
    ChainedInvokeOptions,
    ContextDetails,
    ContextOptions,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepDetails,
    StepOptions,
    WaitDetails,
    WaitOptions,
)

RETRY_ERROR = ErrorObject(message="card declined", type="RuntimeError")
FAIL_ERROR = ErrorObject(
    message="quantity must be positive",
    type="ValueError",
    data='{"quantity": -1}',
    stack_trace=[
        '  File "/var/task/app.py", line 12, in reserve',
        '    raise ValueError("quantity must be positive")',
    ],
)

EVERY_UPDATE = [
    OperationUpdate(
        STEP_1,
        OperationType.STEP,
        OperationAction.START,
        name="fetch",
        sub_type=OperationSubType.STEP,
    ),
    OperationUpdate(
        STEP_1,
        OperationType.STEP,
        OperationAction.SUCCEED,
        name="fetch",
        sub_type=OperationSubType.STEP,
        payload='{"rows": 3}',
    ),
    OperationUpdate(
        STEP_2,
        OperationType.STEP,
        OperationAction.RETRY,
        name="charge",
        sub_type=OperationSubType.STEP,
        error=RETRY_ERROR,
        step_options=StepOptions(next_attempt_delay_seconds=7),
    ),
    OperationUpdate(
        STEP_3,
        OperationType.STEP,
        OperationAction.FAIL,
        sub_type=OperationSubType.STEP,
        error=FAIL_ERROR,
    ),
    OperationUpdate(
        WAIT_4,
        OperationType.WAIT,
        OperationAction.START,
        name="cool-down",
        sub_type=OperationSubType.WAIT,
        wait_options=WaitOptions(wait_seconds=30),
    ),
    OperationUpdate(
        CALLBACK_5,
        OperationType.CALLBACK,
        OperationAction.START,
        name="approval",
        sub_type=OperationSubType.CALLBACK,
        callback_options=CallbackOptions(timeout_seconds=3600, heartbeat_timeout_seconds=300),
    ),
    OperationUpdate(
        CONTEXT_6,
        OperationType.CONTEXT,
        OperationAction.START,
        name="batch",
        sub_type=OperationSubType.RUN_IN_CHILD_CONTEXT,
    ),
    OperationUpdate(
        CHILD_6_1,
        OperationType.STEP,
        OperationAction.START,
        parent_id=CONTEXT_6,
        sub_type=OperationSubType.STEP,
    ),
    OperationUpdate(
        CHILD_6_1,
        OperationType.STEP,
        OperationAction.SUCCEED,
        parent_id=CONTEXT_6,
        sub_type=OperationSubType.STEP,
        payload="1",
    ),
    OperationUpdate(
        CONTEXT_6,
        OperationType.CONTEXT,
        OperationAction.SUCCEED,
        name="batch",
        sub_type=OperationSubType.RUN_IN_CHILD_CONTEXT,
        payload="[1]",
        context_options=ContextOptions(replay_children=True),
    ),
    OperationUpdate(
        INVOKE_7,
        OperationType.CHAINED_INVOKE,
        OperationAction.START,
        name="bill",
        sub_type=OperationSubType.CHAINED_INVOKE,
        payload='{"order": 7}',
        chained_invoke_options=ChainedInvokeOptions(
            function_name="billing-fn:prod", tenant_id="tenant-42"
        ),
    ),
    OperationUpdate(
        EXEC_ID, OperationType.EXECUTION, OperationAction.SUCCEED, payload='{"done": true}'
    ),
]

# Written out by hand: exactly what must reach CheckpointDurableExecution.
EVERY_UPDATE_WIRE: list[dict[str, Any]] = [
    {"Id": STEP_1, "Type": "STEP", "Action": "START", "Name": "fetch", "SubType": "Step"},
    {
        "Id": STEP_1,
        "Type": "STEP",
        "Action": "SUCCEED",
        "Name": "fetch",
        "SubType": "Step",
        "Payload": '{"rows": 3}',
    },
    {
        "Id": STEP_2,
        "Type": "STEP",
        "Action": "RETRY",
        "Name": "charge",
        "SubType": "Step",
        "Error": {"ErrorMessage": "card declined", "ErrorType": "RuntimeError"},
        "StepOptions": {"NextAttemptDelaySeconds": 7},
    },
    {
        "Id": STEP_3,
        "Type": "STEP",
        "Action": "FAIL",
        "SubType": "Step",
        "Error": {
            "ErrorMessage": "quantity must be positive",
            "ErrorType": "ValueError",
            "ErrorData": '{"quantity": -1}',
            "StackTrace": [
                '  File "/var/task/app.py", line 12, in reserve',
                '    raise ValueError("quantity must be positive")',
            ],
        },
    },
    {
        "Id": WAIT_4,
        "Type": "WAIT",
        "Action": "START",
        "Name": "cool-down",
        "SubType": "Wait",
        "WaitOptions": {"WaitSeconds": 30},
    },
    {
        "Id": CALLBACK_5,
        "Type": "CALLBACK",
        "Action": "START",
        "Name": "approval",
        "SubType": "Callback",
        "CallbackOptions": {"TimeoutSeconds": 3600, "HeartbeatTimeoutSeconds": 300},
    },
    {
        "Id": CONTEXT_6,
        "Type": "CONTEXT",
        "Action": "START",
        "Name": "batch",
        "SubType": "RunInChildContext",
    },
    {"Id": CHILD_6_1, "Type": "STEP", "Action": "START", "ParentId": CONTEXT_6, "SubType": "Step"},
    {
        "Id": CHILD_6_1,
        "Type": "STEP",
        "Action": "SUCCEED",
        "ParentId": CONTEXT_6,
        "SubType": "Step",
        "Payload": "1",
    },
    {
        "Id": CONTEXT_6,
        "Type": "CONTEXT",
        "Action": "SUCCEED",
        "Name": "batch",
        "SubType": "RunInChildContext",
        "Payload": "[1]",
        "ContextOptions": {"ReplayChildren": True},
    },
    {
        "Id": INVOKE_7,
        "Type": "CHAINED_INVOKE",
        "Action": "START",
        "Name": "bill",
        "SubType": "ChainedInvoke",
        "Payload": '{"order": 7}',
        "ChainedInvokeOptions": {"FunctionName": "billing-fn:prod", "TenantId": "tenant-42"},
    },
    {"Id": EXEC_ID, "Type": "EXECUTION", "Action": "SUCCEED", "Payload": '{"done": true}'},
]

CALLBACK_ID = "Y2FsbGJhY2stNQ=="

EVERY_OPERATION_WIRE: list[dict[str, Any]] = [
    {
        "Id": EXEC_ID,
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": T0,
        "ExecutionDetails": {"InputPayload": '{"x": 1}'},
    },
    {
        "Id": STEP_1,
        "Name": "fetch",
        "Type": "STEP",
        "SubType": "Step",
        "Status": "SUCCEEDED",
        "StartTimestamp": at(1),
        "EndTimestamp": at(2),
        "StepDetails": {"Attempt": 1, "Result": '{"rows": 3}'},
    },
    {
        "Id": STEP_2,
        "Name": "charge",
        "Type": "STEP",
        "SubType": "Step",
        "Status": "PENDING",
        "StartTimestamp": at(2),
        "StepDetails": {
            "Attempt": 1,
            "NextAttemptTimestamp": at(9),
            "Error": {"ErrorMessage": "card declined", "ErrorType": "RuntimeError"},
        },
    },
    {
        "Id": STEP_3,
        "Type": "STEP",
        "SubType": "Step",
        "Status": "FAILED",
        "StartTimestamp": at(2),
        "EndTimestamp": at(3),
        "StepDetails": {"Attempt": 1, "Error": FAIL_ERROR.to_dict()},
    },
    {
        "Id": WAIT_4,
        "Name": "cool-down",
        "Type": "WAIT",
        "SubType": "Wait",
        "Status": "STARTED",
        "StartTimestamp": at(3),
        "WaitDetails": {"ScheduledEndTimestamp": at(33)},
    },
    {
        "Id": CALLBACK_5,
        "Name": "approval",
        "Type": "CALLBACK",
        "SubType": "Callback",
        "Status": "STARTED",
        "StartTimestamp": at(3),
        "CallbackDetails": {"CallbackId": CALLBACK_ID},
    },
    {
        "Id": CONTEXT_6,
        "Name": "batch",
        "Type": "CONTEXT",
        "SubType": "RunInChildContext",
        "Status": "SUCCEEDED",
        "StartTimestamp": at(3),
        "EndTimestamp": at(4),
        "ContextDetails": {"ReplayChildren": True, "Result": "[1]"},
    },
    {
        "Id": CHILD_6_1,
        "ParentId": CONTEXT_6,
        "Type": "STEP",
        "SubType": "Step",
        "Status": "SUCCEEDED",
        "StartTimestamp": at(3),
        "EndTimestamp": at(4),
        "StepDetails": {"Attempt": 1, "Result": "1"},
    },
    {
        "Id": INVOKE_7,
        "Name": "bill",
        "Type": "CHAINED_INVOKE",
        "SubType": "ChainedInvoke",
        "Status": "FAILED",
        "StartTimestamp": at(4),
        "EndTimestamp": at(5),
        "ChainedInvokeDetails": {
            "Error": {"ErrorMessage": "no funds", "ErrorType": "PaymentError"}
        },
    },
]

EVERY_OPERATION = [
    Operation(
        EXEC_ID,
        OperationType.EXECUTION,
        OperationStatus.STARTED,
        start_timestamp=T0,
        execution_details=ExecutionDetails('{"x": 1}'),
    ),
    Operation(
        STEP_1,
        OperationType.STEP,
        OperationStatus.SUCCEEDED,
        name="fetch",
        sub_type=OperationSubType.STEP,
        start_timestamp=at(1),
        end_timestamp=at(2),
        step_details=StepDetails(attempt=1, result='{"rows": 3}'),
    ),
    Operation(
        STEP_2,
        OperationType.STEP,
        OperationStatus.PENDING,
        name="charge",
        sub_type=OperationSubType.STEP,
        start_timestamp=at(2),
        step_details=StepDetails(attempt=1, next_attempt_timestamp=at(9), error=RETRY_ERROR),
    ),
    Operation(
        STEP_3,
        OperationType.STEP,
        OperationStatus.FAILED,
        sub_type=OperationSubType.STEP,
        start_timestamp=at(2),
        end_timestamp=at(3),
        step_details=StepDetails(attempt=1, error=FAIL_ERROR),
    ),
    Operation(
        WAIT_4,
        OperationType.WAIT,
        OperationStatus.STARTED,
        name="cool-down",
        sub_type=OperationSubType.WAIT,
        start_timestamp=at(3),
        wait_details=WaitDetails(scheduled_end_timestamp=at(33)),
    ),
    Operation(
        CALLBACK_5,
        OperationType.CALLBACK,
        OperationStatus.STARTED,
        name="approval",
        sub_type=OperationSubType.CALLBACK,
        start_timestamp=at(3),
        callback_details=CallbackDetails(callback_id=CALLBACK_ID),
    ),
    Operation(
        CONTEXT_6,
        OperationType.CONTEXT,
        OperationStatus.SUCCEEDED,
        name="batch",
        sub_type=OperationSubType.RUN_IN_CHILD_CONTEXT,
        start_timestamp=at(3),
        end_timestamp=at(4),
        context_details=ContextDetails(replay_children=True, result="[1]"),
    ),
    Operation(
        CHILD_6_1,
        OperationType.STEP,
        OperationStatus.SUCCEEDED,
        parent_id=CONTEXT_6,
        sub_type=OperationSubType.STEP,
        start_timestamp=at(3),
        end_timestamp=at(4),
        step_details=StepDetails(attempt=1, result="1"),
    ),
    Operation(
        INVOKE_7,
        OperationType.CHAINED_INVOKE,
        OperationStatus.FAILED,
        name="bill",
        sub_type=OperationSubType.CHAINED_INVOKE,
        start_timestamp=at(4),
        end_timestamp=at(5),
        chained_invoke_details=ChainedInvokeDetails(
            error=ErrorObject(message="no funds", type="PaymentError")
        ),
    ),
]


def all_timestamps(op: Operation) -> list[datetime.datetime]:
    found = [op.start_timestamp, op.end_timestamp]
    if op.step_details:
        found.append(op.step_details.next_attempt_timestamp)
    if op.wait_details:
        found.append(op.wait_details.scheduled_end_timestamp)
    return [ts for ts in found if ts is not None]
