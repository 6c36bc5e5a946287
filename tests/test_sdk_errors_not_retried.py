"""SDK exceptions a step cannot recover from, and what exhausted invocation retries report.

docs/decisions.md, "Non-retryable SDK exceptions inside steps" and "Exhausted invocation
retries".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    CheckpointError,
    ExecutionError,
    InvocationError,
    SerDesError,
    UnrecoverableError,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import RetryDecision, WithRetryConfig, with_retry
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus


def run(handler: Callable[..., Any], **options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **options) as runner:
        return runner.run(input={}, timeout=10)


# -- SDK exceptions that no retry strategy may retry ----------------------------------------

NOT_RETRYABLE = [
    pytest.param(lambda: ValidationError("bad"), ValidationError, id="ValidationError"),
    pytest.param(lambda: SerDesError("bad"), SerDesError, id="SerDesError"),
    pytest.param(lambda: UnrecoverableError("bad"), UnrecoverableError, id="Unrecoverable"),
    pytest.param(lambda: ExecutionError("bad"), ExecutionError, id="ExecutionError"),
]


def always_retry(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision.retry(Duration.from_seconds(1))


@pytest.mark.parametrize(("make", "cls"), NOT_RETRYABLE)
def test_non_retryable_sdk_errors_fail_the_step_at_once(
    make: Callable[[], Exception], cls: type[Exception]
) -> None:
    runs: list[int] = []
    caught: list[str] = []

    def body(_: Any) -> None:
        runs.append(1)
        raise make()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="s", config=StepConfig(retry_strategy=always_retry))
        except cls as error:
            caught.append(type(error).__name__)
        return "ok"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert runs == [1]
    assert caught == ["StepError"]
    assert result.get_step("s").status is OperationStatus.FAILED


@pytest.mark.parametrize(("make", "cls"), NOT_RETRYABLE)
def test_with_retry_does_not_retry_non_retryable_sdk_errors(
    make: Callable[[], Exception], cls: type[Exception]
) -> None:

    attempts: list[int] = []

    def block(ctx: Any, attempt: int) -> None:
        attempts.append(attempt)
        raise make()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            with_retry(context, block, WithRetryConfig(retry_strategy=always_retry))
        except cls:
            return "caught"
        return "not caught"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "caught"
    assert attempts == [1]


def test_wait_for_condition_check_raising_validation_error_fails_with_its_type() -> None:
    runs: list[int] = []

    def check(state: int, _: Any) -> int:
        runs.append(state)
        raise ValidationError("no")

    config = WaitForConditionConfig(
        wait_strategy=lambda s, a: always_retry(ValueError(), a), initial_state=0
    )

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.wait_for_condition(check, config)
        except ValidationError:
            return "caught"
        return "no"

    result = run(handler)
    assert result.result == "caught", result.error
    assert runs == [0]


# -- exhausted invocation retries ------------------------------------------------------------

REASONS = [
    pytest.param(lambda: CheckpointError("throttled"), "CHECKPOINT_FAILED", id="CheckpointError"),
    pytest.param(lambda: InvocationError("down"), "INVOCATION_ERROR", id="InvocationError"),
    pytest.param(lambda: SystemExit(1), "UNHANDLED_ERROR", id="crash"),
]


@pytest.mark.parametrize(("make", "reason"), REASONS)
def test_exhausted_invocation_retries_keep_the_cause_as_reason(
    make: Callable[[], BaseException], reason: str
) -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        raise make()

    result = run(handler, invocation_retries=1)
    assert result.status is InvocationStatus.FAILED
    assert result.invocation_count == 2
    assert result.error["termination_reason"] == reason
