"""``LambdaClient`` request and response shapes: every update and operation kind, and paging.

The client is a real botocore ``lambda`` client under ``Stubber`` (see ``lambda_stubs``); the
first tests keep the stub's own model checks honest.
"""

from __future__ import annotations

import datetime
import re

import pytest
from lambda_shapes import (
    EVERY_OPERATION,
    EVERY_OPERATION_WIRE,
    EVERY_UPDATE,
    EVERY_UPDATE_WIRE,
    all_timestamps,
)
from lambda_stubs import (
    ARN,
    EXEC_ID,
    STEP_1,
    T0,
    T0_MS,
    TOKEN,
    TOKEN_2,
    WAIT_4,
    StubbedLambda,
    WireLambda,
    model_violations,
    state_request,
)

from aws_durable_execution_sdk_python.exceptions import CheckpointError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    LambdaClient,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
    StateOutput,
    StepOptions,
    WaitOptions,
)


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


# -- one checkpoint with every kind of update, and every kind of operation back ----------------


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


# -- GetDurableExecutionState paging -----------------------------------------------------------


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
