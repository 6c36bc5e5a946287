"""One durable handler per step (1-x) and wait (2-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text, JavaScript names
read as their Python equivalents. "Fails on the first N attempts" uses the step's
``attempt`` (deterministic on every replay), not a counter kept across invocations.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import (
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)

__all__ = ["HANDLERS", "TransientError"]

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


class TransientError(Exception):
    """The custom error of 1-16, which its retry strategy refuses to retry."""


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@durable_step
def greet_with_logs(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step started for: {name}")
    greeting = f"Hello, {name}!"
    step_context.logger.info(f"Greeting step completed with: {greeting}")
    return greeting


@durable_step
def build_response(step_context: StepContext, event: dict[str, Any]) -> dict[str, Any]:
    tags = list(event["tags"])
    return {"user": {"name": event["name"], "tags": tags}, "count": len(tags)}


def fails_until(succeeding_attempt: int, result: str) -> Callable[[StepContext], str]:
    """A step body that raises on every attempt before ``succeeding_attempt``."""

    def unreliable_func(step_context: StepContext) -> str:
        if step_context.attempt < succeeding_attempt:
            raise RuntimeError(f"attempt {step_context.attempt} failed")
        return result

    return unreliable_func


@durable_execution
def step_basic(event: Any, context: DurableContext) -> str:  # 1-1
    return context.step(greet(event))


@durable_execution
def step_with_name(event: Any, context: DurableContext) -> str:  # 1-2
    return context.step(lambda _: f"Hello, {event}!", name="custom_step_name")


@durable_execution
def step_complex_result(event: Any, context: DurableContext) -> dict[str, Any]:  # 1-4
    return context.step(build_response(event))


@durable_execution
def step_none_result(event: Any, context: DurableContext) -> None:  # 1-5
    def do_nothing(_: StepContext) -> None:
        return None

    return context.step(do_nothing)


@durable_execution
def step_with_logger(event: Any, context: DurableContext) -> str:  # 1-7
    return context.step(greet_with_logs(event))


@durable_execution
def step_then_wait(event: Any, context: DurableContext) -> str:  # 1-8
    result = context.step(lambda _: "computed")
    context.wait(Duration.from_seconds(2))
    return result


@durable_execution
def replay_rethrows_failed_step(event: Any, context: DurableContext) -> None:  # 1-10
    def always_fails(step_context: StepContext) -> None:
        step_context.logger.info("step executed")
        raise RuntimeError("permanent failure")

    with contextlib.suppress(RuntimeError):  # the step's error, a RuntimeError and StepError
        context.step(always_fails, config=NO_RETRY)
    context.wait(Duration.from_seconds(1))


@durable_execution
def step_retry_then_succeed(event: Any, context: DurableContext) -> str:  # 1-11
    retry = create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay_seconds=1, jitter_strategy="NONE")
    )
    return context.step(
        fails_until(2, "Operation succeeded"), config=StepConfig(retry_strategy=retry)
    )


@durable_execution
def step_default_retry(event: Any, context: DurableContext) -> str:  # 1-13
    return context.step(fails_until(3, "succeeded on attempt 3"))


@durable_execution
def step_custom_retry(event: Any, context: DurableContext) -> str:  # 1-14
    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration.from_seconds(2),
            backoff_rate=3,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    return context.step(
        fails_until(3, "succeeded on attempt 3"), config=StepConfig(retry_strategy=retry)
    )


def no_retry_on_transient_error(error: BaseException, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError):
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration.from_seconds(1))


@durable_execution
def step_non_retryable_error(event: Any, context: DurableContext) -> None:  # 1-16
    def func(_: StepContext) -> None:
        raise TransientError("transient failure that the strategy does not retry")

    context.step(func, config=StepConfig(retry_strategy=no_retry_on_transient_error))


@durable_execution
def at_most_once_crash(event: Any, context: DurableContext) -> None:  # 1-17
    def crash(step_context: StepContext) -> None:
        step_context.logger.info(f"Processing input: {event}")
        sys.exit(1)  # the runner treats SystemExit as a runtime crash (Runtime.ExitError)

    config = StepConfig(
        retry_strategy=RetryPresets.none(),
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
    )
    context.step(crash, name="at_most_once_flaky_step", config=config)


@durable_execution
def step_fails_permanently(event: Any, context: DurableContext) -> None:  # 1-19
    def failing_func(_: StepContext) -> None:
        raise ValueError("this step always fails")

    context.step(failing_func, config=NO_RETRY)


@durable_execution
def step_error_caught(event: Any, context: DurableContext) -> str:  # 1-20
    def failing_func(_: StepContext) -> str:
        raise ValueError("this step always fails")

    try:
        value = context.step(failing_func, config=NO_RETRY)
    except ValueError:
        value = "fallback_result"
    return context.step(lambda _: value, name="use_value")


@durable_execution
def wait_basic(event: Any, context: DurableContext) -> None:  # 2-1
    context.wait(Duration.from_seconds(2))


@durable_execution
def wait_with_name(event: Any, context: DurableContext) -> None:  # 2-2
    context.wait(Duration.from_seconds(2), name="custom_wait_name")


@durable_execution
def wait_minutes(event: Any, context: DurableContext) -> None:  # 2-4
    context.wait(Duration.from_minutes(1))


@durable_execution
def wait_hours(event: Any, context: DurableContext) -> None:  # 2-5
    context.wait(Duration.from_hours(1))


HANDLERS: dict[str, Callable[..., Any]] = {
    "1-1": step_basic,
    "1-2": step_with_name,
    "1-4": step_complex_result,
    "1-5": step_none_result,
    "1-7": step_with_logger,
    "1-8": step_then_wait,
    "1-10": replay_rethrows_failed_step,
    "1-11": step_retry_then_succeed,
    "1-13": step_default_retry,
    "1-14": step_custom_retry,
    "1-16": step_non_retryable_error,
    "1-17": at_most_once_crash,
    "1-19": step_fails_permanently,
    "1-20": step_error_caught,
    "2-1": wait_basic,
    "2-2": wait_with_name,
    "2-4": wait_minutes,
    "2-5": wait_hours,
}
