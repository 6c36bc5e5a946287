"""Crashes of the "process" and steps interrupted by them.

docs/decisions.md, "What a crash is" and "Interrupted at-most-once steps".

A ``BaseException`` other than suspension escaping the handler (``sys.exit(1)``) is a runtime
crash: ``InvocationCompleted`` with ``Runtime.ExitError``, then a new invocation. An
``AT_MOST_ONCE_PER_RETRY`` step found started on replay counts as a failed attempt with
``StepInterruptedError`` (through the retry strategy); an ``AT_LEAST_ONCE_PER_RETRY`` step
found started simply runs again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    StepError,
    StepInterruptedError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

FIRST_OP_ID = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"


def run(handler: Callable[..., Any], **runner_options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


def events(result: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["EventType"] == event_type]


def crash_once(runs: list[int]) -> Callable[[Any], list[int]]:
    """A step body that kills the process on its first run, and returns after."""

    def body(step_context: Any) -> list[int]:
        runs.append(step_context.attempt)
        if len(runs) == 1:
            sys.exit(1)
        return [len(runs), step_context.attempt]

    return body


def at_most_once(retry_strategy: Any) -> StepConfig:
    return StepConfig(retry_strategy, StepSemantics.AT_MOST_ONCE_PER_RETRY)


# -- crashes -------------------------------------------------------------------------------


def test_crash_is_recorded_as_runtime_exit_error_and_invoked_again() -> None:
    invocations: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        invocations.append(1)
        if len(invocations) == 1:
            sys.exit(3)
        return "second time lucky"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "second time lucky"
    assert result.invocation_count == 2
    crashed = result.invocations[0]["Error"]["Payload"]
    assert crashed["ErrorType"] == "Runtime.ExitError"
    assert "exit status 3" in crashed["ErrorMessage"]
    assert "Error" not in result.invocations[1]


def test_crash_on_every_invocation_fails_with_unhandled_error() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        sys.exit(1)

    result = run(handler, invocation_retries=2)

    assert result.status is InvocationStatus.FAILED
    assert result.invocation_count == 3
    assert result.error is not None
    assert result.error["error_type"] == "Runtime.ExitError"
    # docs/decisions.md, "Exhausted invocation retries": a crash's cause is unhandled.
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"


# -- interrupted AT_MOST_ONCE_PER_RETRY steps ----------------------------------------------


def test_interrupted_at_most_once_step_without_retry_fails_the_execution() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.step(crash_once(runs), name="pay", config=at_most_once(RetryPresets.none()))

    result = run(handler)

    assert runs == [1]  # never run again: at most once
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "StepInterruptedError"
    assert result.error["termination_reason"] == "STEP_INTERRUPTED"
    step = result.get_step("pay")
    assert step.status is OperationStatus.FAILED
    assert step.operation_id == FIRST_OP_ID
    assert step.error is not None
    assert step.error.type == "StepInterruptedError"
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepFailed",
        "InvocationCompleted",
        "ExecutionFailed",
    ]
    crash = events(result, "InvocationCompleted")[0]["InvocationCompletedDetails"]["Error"]
    assert crash["Payload"]["ErrorType"] == "Runtime.ExitError"


def test_handler_catches_step_interrupted_error() -> None:
    runs: list[int] = []
    caught: list[dict[str, Any]] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(crash_once(runs), name="pay", config=at_most_once(RetryPresets.none()))
        except StepInterruptedError as error:
            caught.append(
                {
                    "step_id": error.step_id,
                    "is_step_error": isinstance(error, StepError),
                    "str": str(error),
                }
            )
        return "compensated"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "compensated"
    assert runs == [1]
    [seen] = caught
    assert seen["step_id"] == result.get_step("pay").operation_id == FIRST_OP_ID
    assert seen["is_step_error"]
    assert "was interrupted before its result was checkpointed" in seen["str"]


def test_handler_catches_interruption_as_step_error() -> None:
    runs: list[int] = []
    caught: list[tuple[bool, str | None]] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(crash_once(runs), name="pay", config=at_most_once(RetryPresets.none()))
        except StepError as error:
            caught.append((isinstance(error, StepInterruptedError), error.error_type))
        context.wait(1)  # the failure is rebuilt identically on replay
        return "compensated"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert caught == [(True, "StepInterruptedError"), (True, "StepInterruptedError")]


def test_interrupted_at_most_once_step_with_retry_runs_next_attempt() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.step(
            crash_once(runs), name="pay", config=at_most_once(RetryPresets.fixed(2))
        )

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert runs == [1, 2]  # attempt 2 runs the body; attempt 1 is never repeated
    assert result.result == [2, 2]
    step = result.get_step("pay")
    assert step.attempt == 2
    assert step.result == [2, 2]
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",  # the crash
        "StepFailed",  # attempt 1 counted as interrupted, retry scheduled
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    failed = events(result, "StepFailed")[0]["StepFailedDetails"]
    assert failed["Error"]["Payload"]["ErrorType"] == "StepInterruptedError"
    assert failed["RetryDetails"] == {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 2}


@pytest.mark.parametrize(
    ("retryable", "retried"),
    [
        pytest.param([ConnectionError], False, id="filter-excludes-interruption"),
        pytest.param([StepInterruptedError], True, id="filter-includes-interruption"),
    ],
)
def test_interruption_goes_through_the_retry_strategy_filters(
    retryable: list[type[Exception]], retried: bool
) -> None:
    runs: list[int] = []
    strategy = create_retry_strategy(
        RetryStrategyConfig(retryable_error_types=retryable, initial_delay_seconds=1)
    )

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.step(crash_once(runs), name="pay", config=at_most_once(strategy))

    result = run(handler)

    if retried:
        assert result.status is InvocationStatus.SUCCEEDED, result.error
        assert runs == [1, 2]
    else:
        assert result.status is InvocationStatus.FAILED
        assert result.error is not None
        assert result.error["termination_reason"] == "STEP_INTERRUPTED"
        assert runs == [1]


# -- interrupted AT_LEAST_ONCE_PER_RETRY steps ---------------------------------------------


def test_interrupted_at_least_once_step_simply_runs_again() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.step(crash_once(runs), name="send", config=StepConfig(RetryPresets.none()))

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert runs == [1, 1]  # same attempt, body executed twice
    assert result.result == [2, 1]
    assert result.get_step("send").attempt == 1
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    crash = events(result, "InvocationCompleted")[0]["InvocationCompletedDetails"]["Error"]
    assert crash["Payload"]["ErrorType"] == "Runtime.ExitError"
    assert not events(result, "StepFailed")


def test_default_step_semantics_is_at_least_once() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.step(crash_once(runs), name="send")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert runs == [1, 1]
    assert len(events(result, "StepStarted")) == 1
