"""Faults of the service on the Nth checkpoint or state call (``ServiceFault``).

docs/decisions.md, "Which checkpoint errors are retryable" and "Exhausted invocation
retries": throttling, 5xx and a stale token fail the invocation, and the next one recovers;
any other 4xx (a payload too large) fails the execution with ``CHECKPOINT_FAILED``. The
faulted call reaches the SDK as the real service's error would, through the client.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import CheckpointError, DurableContext, durable_execution
from aws_durable_execution_sdk_python.exceptions import DurableApiErrorCategory
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing.faults import ServiceApi, ServiceError, ServiceFault

BODIES: list[str] = []


@durable_execution
def two_steps(event: Any, context: DurableContext) -> list[str]:
    return [
        context.step(lambda sc: BODIES.append("a") or "a", name="a"),
        context.step(lambda sc: BODIES.append("b") or "b", name="b"),
    ]


@pytest.fixture(autouse=True)
def _fresh_bodies() -> None:
    BODIES.clear()


def invocation_errors(result: Any) -> list[str]:
    return [
        inv.get("Error", {}).get("Payload", {}).get("ErrorMessage", "")
        for inv in result.invocations
    ]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ServiceError.THROTTLING, "TooManyRequestsException"),
        (ServiceError.SERVER_ERROR, "ServiceException"),
        (ServiceError.STALE_TOKEN, "InvalidParameterValueException: Invalid Checkpoint Token"),
    ],
)
def test_a_retryable_fault_fails_the_invocation_and_the_next_one_recovers(
    error: ServiceError, code: str
) -> None:
    with DurableFunctionTestRunner(two_steps) as runner:
        result = runner.run({}, faults=[ServiceFault(error, call=2)])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == ["a", "b"]
    assert BODIES == ["a", "b", "b"]  # a is durable; b's result was refused, so b runs again
    first, second = invocation_errors(result)
    assert "CheckpointError" not in second and second == ""
    assert code in first
    assert result.invocations[0]["Error"]["Payload"]["ErrorType"] == "CheckpointError"


def test_payload_too_large_fails_the_execution_with_checkpoint_failed() -> None:
    with DurableFunctionTestRunner(two_steps) as runner:
        result = runner.run({}, faults=[ServiceFault(ServiceError.PAYLOAD_TOO_LARGE, call=2)])

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "CheckpointError"
    assert result.error["termination_reason"] == "CHECKPOINT_FAILED"
    assert "InvalidParameterValueException" in result.error["message"]
    assert result.invocation_count == 1  # not retried: the request itself is wrong
    assert [op.name for op in result.operations] == ["a"]  # nothing of the refused call


def test_a_persistent_throttle_exhausts_invocation_retries_with_checkpoint_failed() -> None:
    with DurableFunctionTestRunner(two_steps, invocation_retries=2) as runner:
        result = runner.run({}, faults=[ServiceFault(ServiceError.THROTTLING, call=1, times=None)])

    assert result.status is InvocationStatus.FAILED
    assert result.invocation_count == 3
    assert result.error is not None
    assert result.error["termination_reason"] == "CHECKPOINT_FAILED"
    assert "TooManyRequestsException" in result.error["message"]
    assert all("TooManyRequestsException" in text for text in invocation_errors(result))


def test_times_covers_consecutive_calls() -> None:
    with DurableFunctionTestRunner(two_steps) as runner:
        result = runner.run({}, faults=[ServiceFault(ServiceError.THROTTLING, call=1, times=2)])

    assert result.result == ["a", "b"]
    assert [bool(text) for text in invocation_errors(result)] == [True, True, False]


def test_the_sdk_classifies_the_injected_errors_as_it_does_the_real_services() -> None:
    seen: list[tuple[int | None, DurableApiErrorCategory]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.step(lambda sc: "a", name="a")
        except CheckpointError as error:
            status = (error.response_metadata or {}).get("HTTPStatusCode")
            seen.append((status, error.error_category))
            raise
        return "done"

    for fault in ServiceError:
        with DurableFunctionTestRunner(handler, invocation_retries=0) as runner:
            runner.run({}, faults=[ServiceFault(fault, call=1)])

    assert seen == [
        (429, DurableApiErrorCategory.INVOCATION),
        (500, DurableApiErrorCategory.INVOCATION),
        (400, DurableApiErrorCategory.INVOCATION),
        (400, DurableApiErrorCategory.EXECUTION),
    ]


def test_a_fault_of_the_state_call_fails_loading_the_state() -> None:
    # One operation per page, so the second invocation must page its state in.
    with DurableFunctionTestRunner(two_steps, limits=Limits(state_page_size=1)) as runner:
        result = runner.run(
            {},
            crash_after=1,
            faults=[
                ServiceFault(ServiceError.THROTTLING, call=1, api=ServiceApi.GET_EXECUTION_STATE)
            ],
        )

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == ["a", "b"]
    messages = invocation_errors(result)
    assert "Runtime exited" in messages[0]
    assert "GetDurableExecutionState failed: TooManyRequestsException" in messages[1]
    assert messages[2] == ""
