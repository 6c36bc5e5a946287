"""``LambdaClient`` against a real botocore ``lambda`` client.

botocore's ``Stubber`` checks every request against the service model (types, required
members, minimum lengths and values) and every stubbed response against the output shape; a
hook adds what botocore leaves out: string patterns and every maximum. A second group of
tests goes one layer lower: a fake HTTP layer answers with real JSON bodies, so botocore's
own serializer and parser run exactly as they do against Lambda.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import types
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from botocore.model import Shape
from botocore.stub import ANY, Stubber
from dateutil.tz import tzutc  # type: ignore[import-untyped]

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    ValidationError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
    TerminationReason,
)
from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    CallbackOptions,
    ChainedInvokeDetails,
    ChainedInvokeOptions,
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    ContextDetails,
    ContextOptions,
    ErrorObject,
    ExecutionDetails,
    LambdaClient,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StateOutput,
    StepDetails,
    StepOptions,
    WaitDetails,
    WaitOptions,
)
from aws_durable_execution_sdk_python.retries import RetryDecision

EXEC_ID = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"
ARN = (
    f"arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/exec-1/{EXEC_ID}"
)
TOKEN = "dG9rZW4tMQ=="  # base64, as CheckpointToken's pattern requires
TOKEN_2 = "dG9rZW4tMg=="
TOKEN_3 = "dG9rZW4tMw=="
UTC = tzutc()  # what botocore attaches to parsed timestamps


def op_id(raw: str) -> str:
    return hashlib.blake2b(raw.encode()).hexdigest()[:64]


STEP_1 = op_id("1")
STEP_2 = op_id("2")
STEP_3 = op_id("3")
WAIT_4 = op_id("4")
CALLBACK_5 = op_id("5")
CONTEXT_6 = op_id("6")
CHILD_6_1 = op_id(f"{CONTEXT_6}-1")
INVOKE_7 = op_id("7")

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T0_MS = 1767268800000


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


def test_fixture_values_match_the_service_model() -> None:
    assert STEP_1 == "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
    assert datetime.datetime.fromtimestamp(T0_MS / 1000, tz=datetime.UTC) == T0
    model = StubbedLambda().client.meta.service_model
    for shape, value in [
        ("DurableExecutionArn", ARN),
        ("CheckpointToken", TOKEN),
        ("OperationId", EXEC_ID),
        ("OperationId", STEP_1),
    ]:
        assert re.fullmatch(model.shape_for(shape).metadata["pattern"], value), shape


# -- the real client, stubbed, with the model's patterns checked too --------------------------


def model_violations(shape: Shape, value: Any, path: str) -> list[str]:
    """What botocore lets through: string patterns and every ``max`` (it checks only ``min``)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        found: list[str] = []
        for name, member in shape.members.items():
            if name in value:
                found += model_violations(member, value[name], f"{path}.{name}")
        return found
    found = []
    if shape.type_name == "list" and isinstance(value, list):
        member = shape.member
        for i, item in enumerate(value):
            found += model_violations(member, item, f"{path}[{i}]")
    limit = shape.metadata.get("max")
    size = len(value) if isinstance(value, str | list) else value
    if limit is not None and isinstance(size, int) and size > limit:
        found.append(f"{path}: {size} is over the model's max {limit}")
    pattern = shape.metadata.get("pattern")
    if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
        found.append(f"{path}={value[:80]!r} does not match {pattern}")
    return found


class StubbedLambda:
    """A real ``lambda`` client under ``Stubber``; requests and responses are checked."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "lambda",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        self.stubber = Stubber(self.client)
        self.violations: list[str] = []
        self.client.meta.events.register("before-parameter-build.lambda", self._check_request)

    def _check_request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        # Recorded, not raised: LambdaClient would turn an exception here into a CheckpointError.
        self.violations += model_violations(model.input_shape, params, model.name)

    def _check_response(self, operation: str, response: dict[str, Any]) -> None:
        model = self.client.meta.service_model.operation_model(operation)
        assert model_violations(model.output_shape, response, operation) == []

    def checkpoint(self, expected: dict[str, Any], response: dict[str, Any]) -> None:
        self._check_response("CheckpointDurableExecution", response)
        self.stubber.add_response("checkpoint_durable_execution", response, expected)

    def state(self, expected: dict[str, Any], response: dict[str, Any]) -> None:
        self._check_response("GetDurableExecutionState", response)
        self.stubber.add_response("get_durable_execution_state", response, expected)

    def error(self, method: str, code: str, status: int, message: str) -> None:
        self.stubber.add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=status
        )


@pytest.fixture
def aws() -> Iterator[StubbedLambda]:
    stubbed = StubbedLambda()
    with stubbed.stubber:
        yield stubbed
        stubbed.stubber.assert_no_pending_responses()
    assert stubbed.violations == []


def test_model_checker_catches_what_botocore_does_not() -> None:
    # Keeps the fixture's extra checks honest: botocore sends all of these unchanged.
    model = StubbedLambda().client.meta.service_model.operation_model("CheckpointDurableExecution")
    request = {
        "DurableExecutionArn": "arn:aws:lambda:us-east-1:123:function:fn",
        "CheckpointToken": TOKEN,
        "Updates": [
            {"Id": "x" * 65, "Type": "STEP", "Action": "START", "Name": "caf\u00e9"},
            {
                "Id": STEP_1,
                "Type": "WAIT",
                "Action": "START",
                "WaitOptions": {"WaitSeconds": 10**9},
            },
        ],
    }
    found = model_violations(model.input_shape, request, "in")
    assert [v.split(":")[0].split("=")[0] for v in found] == [
        "in.DurableExecutionArn",
        "in.Updates[0].Id",
        "in.Updates[0].Name",
        "in.Updates[1].WaitOptions.WaitSeconds",
    ]


# -- 1. one checkpoint with every kind of update, and every kind of operation back -----------

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


def test_update_to_dict_is_the_wire_shape() -> None:
    assert [u.to_dict() for u in EVERY_UPDATE] == EVERY_UPDATE_WIRE
    assert [OperationUpdate.from_dict(d) for d in EVERY_UPDATE_WIRE] == EVERY_UPDATE


def test_checkpoint_sends_every_update_kind_and_parses_every_operation_kind(
    aws: StubbedLambda,
) -> None:
    aws.checkpoint(
        {"DurableExecutionArn": ARN, "CheckpointToken": TOKEN, "Updates": EVERY_UPDATE_WIRE},
        {
            "CheckpointToken": TOKEN_2,
            "NewExecutionState": {"Operations": EVERY_OPERATION_WIRE},
        },
    )

    output = LambdaClient(aws.client).checkpoint(ARN, TOKEN, EVERY_UPDATE)

    assert output == CheckpointOutput(TOKEN_2, CheckpointUpdatedExecutionState(EVERY_OPERATION))
    assert output.new_execution_state.next_marker is None
    stamps = [ts for op in output.new_execution_state.operations for ts in all_timestamps(op)]
    assert len(stamps) == 16
    assert all(ts.tzinfo is not None and ts.utcoffset() == datetime.timedelta(0) for ts in stamps)
    # Parsing is lossless: the boto3 shape comes back out.
    assert [op.to_dict() for op in output.new_execution_state.operations] == EVERY_OPERATION_WIRE


def test_checkpoint_passes_client_token_and_empty_batches(aws: StubbedLambda) -> None:
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [],
            "ClientToken": "retry-7f3a",
        },
        {"CheckpointToken": TOKEN_2, "NewExecutionState": {}},
    )
    output = LambdaClient(aws.client).checkpoint(ARN, TOKEN, [], client_token="retry-7f3a")
    assert output == CheckpointOutput(TOKEN_2)


def test_checkpoint_without_a_new_token_means_the_execution_ended(aws: StubbedLambda) -> None:
    aws.checkpoint(
        {"DurableExecutionArn": ARN, "CheckpointToken": TOKEN, "Updates": EVERY_UPDATE_WIRE[-1:]},
        {"NewExecutionState": {"Operations": []}},
    )
    output = LambdaClient(aws.client).checkpoint(ARN, TOKEN, EVERY_UPDATE[-1:])
    assert output.checkpoint_token is None


@pytest.mark.parametrize(
    ("update", "field"),
    [
        (
            OperationUpdate(
                STEP_1,
                OperationType.STEP,
                OperationAction.RETRY,
                step_options=StepOptions(),
            ),
            "NextAttemptDelaySeconds",
        ),
        (
            OperationUpdate(
                WAIT_4,
                OperationType.WAIT,
                OperationAction.START,
                wait_options=WaitOptions(wait_seconds=0),
            ),
            "WaitSeconds",
        ),
    ],
    ids=["step-retry-delay-0", "wait-0s"],
)
def test_botocore_rejects_zero_delays(update: OperationUpdate, field: str) -> None:
    # The model says min 1 for both; the SDK never sends 0 (step.py clamps, wait validates),
    # and a rejected request fails the execution instead of retrying the invocation forever.
    wire = WireLambda()  # no reply queued: nothing may reach the HTTP layer
    with pytest.raises(CheckpointError) as caught:
        LambdaClient(wire.client).checkpoint(ARN, TOKEN, [update])
    assert wire.sent == []
    assert field in str(caught.value)
    assert not caught.value.is_retryable()


# -- 2. GetDurableExecutionState paging ------------------------------------------------------


def state_request(marker: str | None, max_items: int = 1000) -> dict[str, Any]:
    request: dict[str, Any] = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": TOKEN,
        "MaxItems": max_items,
    }
    if marker is not None:
        request["Marker"] = marker
    return request


def test_get_execution_state_pages_with_marker_and_max_items(aws: StubbedLambda) -> None:
    aws.state(
        state_request("m1"),
        {"Operations": EVERY_OPERATION_WIRE[:4], "NextMarker": "m2"},
    )
    aws.state(state_request("m2"), {"Operations": EVERY_OPERATION_WIRE[4:]})
    client = LambdaClient(aws.client)

    operations: list[Operation] = []
    marker: str | None = "m1"
    pages = 0
    while marker:
        page = client.get_execution_state(ARN, TOKEN, marker)
        operations += page.operations
        marker = page.next_marker
        pages += 1

    assert pages == 2
    assert operations == EVERY_OPERATION


def test_get_execution_state_custom_page_size_and_no_marker(aws: StubbedLambda) -> None:
    aws.state(state_request(None, max_items=50), {"Operations": [], "NextMarker": ""})
    page = LambdaClient(aws.client).get_execution_state(ARN, TOKEN, "", max_items=50)
    assert page == StateOutput([], None)


# -- 3. error mapping (ruling 5) -------------------------------------------------------------

ERROR_CASES = [
    ("ServiceException", 500, "internal failure", True),
    ("TooManyRequestsException", 429, "Rate exceeded", True),
    (
        "InvalidParameterValueException",
        400,
        "Invalid Checkpoint Token: token was already consumed",
        True,
    ),
    ("InvalidParameterValueException", 400, "Payload exceeds 262144 bytes", False),
    ("KMSAccessDeniedException", 502, "Lambda was unable to decrypt the payload", False),
    ("KMSDisabledException", 502, "key disabled", False),
    ("KMSInvalidStateException", 502, "key pending deletion", False),
    ("KMSNotFoundException", 502, "key not found", False),
    ("ResourceNotFoundException", 404, "Durable execution not found", False),
]

CALLS: dict[str, tuple[str, type[BotoClientError], TerminationReason]] = {
    "checkpoint": (
        "checkpoint_durable_execution",
        CheckpointError,
        TerminationReason.CHECKPOINT_FAILED,
    ),
    "state": (
        "get_durable_execution_state",
        GetExecutionStateError,
        TerminationReason.INVOCATION_ERROR,
    ),
}


def call(client: LambdaClient, which: str) -> object:
    if which == "checkpoint":
        return client.checkpoint(ARN, TOKEN, EVERY_UPDATE[:1])
    return client.get_execution_state(ARN, TOKEN, "m1")


@pytest.mark.parametrize("which", sorted(CALLS))
@pytest.mark.parametrize(
    ("code", "status", "message", "retryable"),
    ERROR_CASES,
    ids=[f"{c[0]}-{c[1]}-{'retry' if c[3] else 'fatal'}" for c in ERROR_CASES],
)
def test_service_errors_are_classified(
    aws: StubbedLambda, which: str, code: str, status: int, message: str, retryable: bool
) -> None:
    method, kind, reason = CALLS[which]
    aws.error(method, code, status, message)

    with pytest.raises(BotoClientError) as caught:
        call(LambdaClient(aws.client), which)

    error = caught.value
    assert type(error) is kind
    assert error.is_retryable() is retryable
    assert error.is_retriable() is retryable
    assert error.error_category is (
        DurableApiErrorCategory.INVOCATION if retryable else DurableApiErrorCategory.EXECUTION
    )
    assert error.termination_reason is reason
    assert error.error == {"Code": code, "Message": message}
    assert error.response_metadata is not None
    assert error.response_metadata["HTTPStatusCode"] == status
    assert code in str(error) and message in str(error)
    assert type(error.__cause__).__name__ == code  # botocore's modeled exception class


# -- real serializer and parser: a fake HTTP layer answers with JSON bodies -------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class WireLambda:
    """A real client whose HTTP layer is a queue of canned responses; no retries in botocore."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "lambda",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}),
        )
        self.sent: list[AWSPreparedRequest] = []
        self.replies: list[tuple[int, dict[str, str], Any]] = []
        self.client.meta.events.register("before-send.lambda", self._send)

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.replies.append((status, {"Content-Type": "application/json", **(headers or {})}, body))

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.sent.append(request)
        status, headers, body = self.replies.pop(0)
        return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))


ARN_IN_PATH = urllib.parse.quote(ARN, safe="")


def test_wire_checkpoint_request_and_epoch_second_timestamps() -> None:
    wire = WireLambda()
    wire.reply(
        200,
        {
            "CheckpointToken": TOKEN_2,
            "NewExecutionState": {
                "Operations": [
                    {
                        "Id": WAIT_4,
                        "Name": "cool-down",
                        "Type": "WAIT",
                        "SubType": "Wait",
                        "Status": "STARTED",
                        "StartTimestamp": T0_MS / 1000 + 0.25,
                        "WaitDetails": {"ScheduledEndTimestamp": T0_MS / 1000 + 30.25},
                    }
                ],
                "NextMarker": "more",
            },
        },
    )

    output = LambdaClient(wire.client).checkpoint(ARN, TOKEN, EVERY_UPDATE)

    request = wire.sent[0]
    assert request.method == "POST"
    assert request.url == (
        f"https://lambda.us-east-1.amazonaws.com/2025-12-01/durable-executions/{ARN_IN_PATH}"
        "/checkpoint"
    )
    body = json.loads(request.body)
    # botocore fills the idempotency token itself when the SDK leaves it out.
    assert re.fullmatch(r"[0-9a-f-]{36}", body.pop("ClientToken"))
    assert body == {"CheckpointToken": TOKEN, "Updates": EVERY_UPDATE_WIRE}

    (op,) = output.new_execution_state.operations
    assert output.checkpoint_token == TOKEN_2
    assert output.new_execution_state.next_marker == "more"
    assert op.start_timestamp == at(0.25)
    assert op.wait_details == WaitDetails(at(30.25))
    for ts in all_timestamps(op):
        assert ts.tzinfo is not None


def test_wire_get_state_query_string() -> None:
    wire = WireLambda()
    wire.reply(200, {"Operations": [], "NextMarker": "m3"})
    page = LambdaClient(wire.client).get_execution_state(ARN, TOKEN, "m2", max_items=25)
    request = wire.sent[0]
    assert request.method == "GET"
    url = urllib.parse.urlsplit(request.url)
    assert url.path == f"/2025-12-01/durable-executions/{ARN_IN_PATH}/state"
    assert urllib.parse.parse_qs(url.query) == {
        "CheckpointToken": [TOKEN],
        "Marker": ["m2"],
        "MaxItems": ["25"],
    }
    assert page == StateOutput([], "m3")


@pytest.mark.parametrize(
    ("code", "status", "body", "retryable"),
    [
        # InvalidParameterValueException's model member is lowercase ``message``.
        (
            "InvalidParameterValueException",
            400,
            {"Type": "User", "message": "Invalid Checkpoint Token: stale"},
            True,
        ),
        (
            "InvalidParameterValueException",
            400,
            {"Type": "User", "message": "Inconsistent operation type"},
            False,
        ),
        (
            "TooManyRequestsException",
            429,
            {"Type": "User", "message": "Rate exceeded", "Reason": "CallerRateLimitExceeded"},
            True,
        ),
        ("ServiceException", 500, {"Type": "Service", "Message": "boom"}, True),
        ("KMSAccessDeniedException", 502, {"Type": "User", "Message": "no decrypt"}, False),
    ],
)
def test_wire_errors_are_classified(
    code: str, status: int, body: dict[str, str], retryable: bool
) -> None:
    wire = WireLambda()
    wire.reply(status, body, {"x-amzn-ErrorType": f"{code}:http://internal.amazon.com/"})
    with pytest.raises(CheckpointError) as caught:
        LambdaClient(wire.client).checkpoint(ARN, TOKEN, EVERY_UPDATE[:1])
    message = body.get("message") or body["Message"]
    assert caught.value.is_retryable() is retryable
    assert caught.value.error is not None
    assert caught.value.error["Code"] == code
    assert caught.value.error["Message"] == message
    assert message in str(caught.value)


def test_no_response_at_all_is_retryable() -> None:
    wire = WireLambda()

    def unreachable(request: AWSPreparedRequest, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    wire.client.meta.events.register_first("before-send.lambda", unreachable)
    with pytest.raises(GetExecutionStateError) as caught:
        LambdaClient(wire.client).get_execution_state(ARN, TOKEN, "m1")
    assert caught.value.is_retryable()
    assert caught.value.error is None


# -- 4. end to end: a durable handler on the stubbed client ----------------------------------

LAMBDA_CONTEXT = types.SimpleNamespace(
    aws_request_id="7d3e0b2a-0000-4000-8000-000000000001",
    function_name="fn",
    get_remaining_time_in_millis=lambda: 900_000,
)

EXECUTION_OP_EVENT = {
    "Id": EXEC_ID,
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": T0_MS,
    "ExecutionDetails": {"InputPayload": '{"x": 1}'},
}


def event(*operations: dict[str, Any], next_marker: str = "") -> dict[str, Any]:
    return {
        "DurableExecutionArn": ARN,
        "CheckpointToken": TOKEN,
        "InitialExecutionState": {
            "Operations": [EXECUTION_OP_EVENT, *operations],
            "NextMarker": next_marker,
        },
    }


def step_wire(step_id: str, name: str, action: str, **extra: Any) -> dict[str, Any]:
    return {
        "Id": step_id,
        "Type": "STEP",
        "Action": action,
        "Name": name,
        "SubType": "Step",
        **extra,
    }


def step_op(step_id: str, name: str, result: str, start: Any, end: Any) -> dict[str, Any]:
    return {
        "Id": step_id,
        "Name": name,
        "Type": "STEP",
        "SubType": "Step",
        "Status": "SUCCEEDED",
        "StartTimestamp": start,
        "EndTimestamp": end,
        "StepDetails": {"Attempt": 1, "Result": result},
    }


@durable_step
def add_one(_step_context: StepContext, value: int) -> int:
    return value + 1


def one_step_handler(client: Any, ran: list[int] | None = None) -> Callable[..., dict[str, Any]]:
    @durable_execution(boto3_client=client)
    def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
        if ran is not None:
            ran.append(event["x"])
        return {"y": context.step(add_one(event["x"]))}

    return handler


def test_e2e_one_step_checkpoints_start_and_succeed_in_one_batch(aws: StubbedLambda) -> None:
    # START (queued: at least once) and SUCCEED go out together, in one call.
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [
                step_wire(STEP_1, "add_one", "START"),
                step_wire(STEP_1, "add_one", "SUCCEED", Payload="2"),
            ],
        },
        {
            "CheckpointToken": TOKEN_2,
            "NewExecutionState": {"Operations": [step_op(STEP_1, "add_one", "2", at(1), at(2))]},
        },
    )
    output = one_step_handler(aws.client)(event(), LAMBDA_CONTEXT)
    assert output == {"Status": "SUCCEEDED", "Result": '{"y": 2}'}


def test_e2e_wait_starts_a_timer_and_suspends(aws: StubbedLambda) -> None:
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [
                {
                    "Id": STEP_1,
                    "Type": "WAIT",
                    "Action": "START",
                    "SubType": "Wait",
                    "WaitOptions": {"WaitSeconds": 90},
                }
            ],
        },
        {
            "CheckpointToken": TOKEN_2,
            "NewExecutionState": {
                "Operations": [
                    {
                        "Id": STEP_1,
                        "Type": "WAIT",
                        "SubType": "Wait",
                        "Status": "STARTED",
                        "StartTimestamp": at(1),
                        "WaitDetails": {"ScheduledEndTimestamp": at(91)},
                    }
                ]
            },
        },
    )

    @durable_execution(boto3_client=aws.client)
    def handler(event: dict[str, Any], context: DurableContext) -> str:
        context.wait(90)
        return "late"

    assert handler(event(), LAMBDA_CONTEXT) == {"Status": "PENDING"}


def test_e2e_step_retry_then_fail(aws: StubbedLambda) -> None:
    error = {"ErrorMessage": "flaky", "ErrorType": "ValueError"}
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [
                step_wire(STEP_1, "flaky", "START"),
                step_wire(
                    STEP_1,
                    "flaky",
                    "RETRY",
                    Error=error,
                    StepOptions={"NextAttemptDelaySeconds": 5},
                ),
            ],
        },
        {
            "CheckpointToken": TOKEN_2,
            "NewExecutionState": {
                "Operations": [
                    {
                        "Id": STEP_1,
                        "Name": "flaky",
                        "Type": "STEP",
                        "SubType": "Step",
                        "Status": "PENDING",
                        "StartTimestamp": at(1),
                        "StepDetails": {
                            "Attempt": 1,
                            "NextAttemptTimestamp": at(6),
                            "Error": error,
                        },
                    }
                ]
            },
        },
    )

    def always_retry(_error: Exception, attempt: int) -> RetryDecision:
        return RetryDecision.retry(5) if attempt < 2 else RetryDecision.no_retry()

    @durable_execution(boto3_client=aws.client)
    def handler(event: dict[str, Any], context: DurableContext) -> None:
        def flaky(_: StepContext) -> None:
            raise ValueError("flaky")

        context.step(flaky, name="flaky", config=StepConfig(retry_strategy=always_retry))

    assert handler(event(), LAMBDA_CONTEXT) == {"Status": "PENDING"}

    # Second invocation: attempt 2 is due, fails, and the strategy gives up: FAIL.
    pending = {
        "Id": STEP_1,
        "Name": "flaky",
        "Type": "STEP",
        "SubType": "Step",
        "Status": "READY",
        "StartTimestamp": T0_MS + 1000,
        "StepDetails": {"Attempt": 1, "NextAttemptTimestamp": T0_MS + 6000, "Error": error},
    }
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [
                step_wire(STEP_1, "flaky", "START"),
                step_wire(STEP_1, "flaky", "FAIL", Error=error),
            ],
        },
        {"CheckpointToken": TOKEN_3, "NewExecutionState": {"Operations": []}},
    )
    output = handler(event(pending), LAMBDA_CONTEXT)
    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorType"] == "ValueError"
    assert output["Error"]["ErrorMessage"] == "flaky"


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("InvalidParameterValueException", 400, "Inconsistent operation name for id"),
        ("KMSAccessDeniedException", 502, "Lambda was unable to decrypt the payload"),
    ],
)
def test_e2e_fatal_checkpoint_error_fails_the_execution(
    aws: StubbedLambda, code: str, status: int, message: str
) -> None:
    aws.error("checkpoint_durable_execution", code, status, message)
    ran: list[int] = []
    output = one_step_handler(aws.client, ran)(event(), LAMBDA_CONTEXT)
    assert ran == [1]
    assert output["Status"] == "FAILED"
    assert set(output) == {"Status", "Error"}
    assert output["Error"]["ErrorType"] == "CheckpointError"
    assert code in output["Error"]["ErrorMessage"]
    assert message in output["Error"]["ErrorMessage"]


@pytest.mark.parametrize(
    ("code", "status", "message"),
    [
        ("ServiceException", 500, "internal failure"),
        ("TooManyRequestsException", 429, "Rate exceeded"),
        ("InvalidParameterValueException", 400, "Invalid Checkpoint Token: consumed"),
    ],
)
def test_e2e_retryable_checkpoint_error_raises_for_lambda_to_retry(
    aws: StubbedLambda, code: str, status: int, message: str
) -> None:
    aws.error("checkpoint_durable_execution", code, status, message)
    with pytest.raises(CheckpointError) as caught:
        one_step_handler(aws.client)(event(), LAMBDA_CONTEXT)
    assert caught.value.is_retryable()
    assert caught.value.termination_reason is TerminationReason.CHECKPOINT_FAILED


def test_e2e_replay_returns_the_stored_result_without_calls(aws: StubbedLambda) -> None:
    # No response is queued: any call would fail the test (Stubber has nothing to answer).
    ran: list[int] = []
    stored = step_op(STEP_1, "add_one", "41", T0_MS + 1000, T0_MS + 2000)
    output = one_step_handler(aws.client, ran)(event(stored), LAMBDA_CONTEXT)
    assert output == {"Status": "SUCCEEDED", "Result": '{"y": 41}'}
    assert ran == [1]  # the handler re-ran, the step body did not (41 is not 1 + 1)


def test_e2e_pages_in_state_before_running(aws: StubbedLambda) -> None:
    aws.state(
        state_request("m1"),
        {"Operations": [step_op(STEP_1, "add_one", "10", at(1), at(2))], "NextMarker": "m2"},
    )
    aws.state(
        state_request("m2"),
        {"Operations": [step_op(STEP_2, "add_one", "20", at(3), at(4))]},
    )

    @durable_execution(boto3_client=aws.client)
    def handler(event: dict[str, Any], context: DurableContext) -> list[int]:
        return [context.step(add_one(event["x"])), context.step(add_one(event["x"]))]

    assert handler(event(next_marker="m1"), LAMBDA_CONTEXT) == {
        "Status": "SUCCEEDED",
        "Result": "[10, 20]",
    }


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [("ServiceException", 500, "raises"), ("ResourceNotFoundException", 404, "FAILED")],
)
def test_e2e_paging_failure(aws: StubbedLambda, code: str, status: int, outcome: str) -> None:
    aws.error("get_durable_execution_state", code, status, "nope")
    handler = one_step_handler(aws.client)
    if outcome == "raises":
        with pytest.raises(GetExecutionStateError):
            handler(event(next_marker="m1"), LAMBDA_CONTEXT)
        return
    output = handler(event(next_marker="m1"), LAMBDA_CONTEXT)
    assert output["Status"] == "FAILED"
    assert output["Error"]["ErrorType"] == "GetExecutionStateError"


def test_e2e_result_over_the_response_limit_is_checkpointed(aws: StubbedLambda) -> None:
    # Every quote is escaped once in the result's JSON (4 MB, under OperationPayload's
    # 6 MiB) and again in the response envelope (8 MB, over Lambda's 6 MB response limit).
    big = '"' * 2_000_000
    payload = json.dumps(big)
    aws.checkpoint(
        {
            "DurableExecutionArn": ARN,
            "CheckpointToken": TOKEN,
            "Updates": [{"Id": ANY, "Type": "EXECUTION", "Action": "SUCCEED", "Payload": payload}],
        },
        {"NewExecutionState": {"Operations": []}},
    )

    @durable_execution(boto3_client=aws.client)
    def handler(event: dict[str, Any], context: DurableContext) -> str:
        return big

    assert handler(event(), LAMBDA_CONTEXT) == {"Status": "SUCCEEDED", "Result": ""}


# -- 5. malformed events (ruling 17) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_event", "names"),
    [
        ({}, ["DurableExecutionArn", "CheckpointToken"]),
        ({"DurableExecutionArn": "x"}, ["CheckpointToken"]),
        ({"CheckpointToken": TOKEN}, ["DurableExecutionArn"]),
        ("string", ["DurableExecutionArn", "CheckpointToken"]),
        (None, ["DurableExecutionArn", "CheckpointToken"]),
    ],
    ids=["empty", "no-token", "no-arn", "string", "none"],
)
def test_malformed_event_raises_validation_error(
    aws: StubbedLambda, bad_event: Any, names: list[str]
) -> None:
    ran: list[int] = []
    with pytest.raises(ValidationError) as caught:
        one_step_handler(aws.client, ran)(bad_event, LAMBDA_CONTEXT)
    for name in names:
        assert name in str(caught.value)
    assert ran == []
