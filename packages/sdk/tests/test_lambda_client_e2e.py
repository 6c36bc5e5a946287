"""End to end: durable handlers on a stubbed ``lambda`` client, and malformed events."""

from __future__ import annotations

import json
import types
from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import ANY
from lambda_stubs import (
    ARN,
    EXEC_ID,
    STEP_1,
    STEP_2,
    T0_MS,
    TOKEN,
    TOKEN_2,
    TOKEN_3,
    StubbedLambda,
    at,
    state_request,
)

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    ValidationError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.exceptions import (
    CheckpointError,
    GetExecutionStateError,
    TerminationReason,
)
from aws_durable_execution_sdk_python.retries import RetryDecision

# -- end to end: a durable handler on the stubbed client ---------------------------------------

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


# -- malformed invocation events ---------------------------------------------------------------


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
