"""``LambdaClient`` through botocore's real serializer and parser, over a fake HTTP layer."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import EndpointConnectionError
from lambda_shapes import EVERY_UPDATE, EVERY_UPDATE_WIRE, all_timestamps
from lambda_stubs import ARN, T0_MS, TOKEN, TOKEN_2, WAIT_4, WireLambda, at

from aws_durable_execution_sdk_python.exceptions import CheckpointError, GetExecutionStateError
from aws_durable_execution_sdk_python.lambda_service import LambdaClient, StateOutput, WaitDetails

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
