"""``LambdaClient`` service errors: which are retryable and which fail the execution."""

from __future__ import annotations

import pytest
from lambda_shapes import EVERY_UPDATE
from lambda_stubs import ARN, TOKEN, StubbedLambda

from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
    TerminationReason,
)
from aws_durable_execution_sdk_python.lambda_service import LambdaClient

# -- error mapping: which checkpoint errors are retryable --------------------------------------

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
