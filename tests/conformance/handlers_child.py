"""One durable handler per child-context (3-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text. "Replay logging
enabled" (JavaScript's mode-unaware logger) is ``logger.with_is_replaying(lambda: False)``:
a logger that also speaks while the context replays, so a re-run body shows in the logs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import ChildConfig, JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.logger import Logger
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python.serdes import SerDes, SerDesContext

__all__ = ["HANDLERS", "LARGE_RESULT_CHARS"]

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
TWO_ATTEMPTS = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2, initial_delay_seconds=1, jitter_strategy=JitterStrategy.NONE
        )
    )
)
# Over the 256 KiB a checkpointed payload may hold: the context goes ReplayChildren.
LARGE_RESULT_CHARS = 300 * 1024


def _replay_logger(context: DurableContext) -> Logger:
    return context.logger.with_is_replaying(lambda: False)


@durable_step
def echo(step_context: StepContext, value: Any) -> Any:
    return value


@durable_step
def always_fails(step_context: StepContext) -> None:
    raise ValueError("inner step failed")


@durable_step
def fails_first_attempt(step_context: StepContext, value: Any) -> Any:
    if step_context.attempt < 2:
        raise RuntimeError(f"attempt {step_context.attempt} failed")
    return value


@durable_execution
def child_basic(event: Any, context: DurableContext) -> Any:  # 3-1
    def body(child: DurableContext) -> Any:
        return child.step(echo(event))

    return context.run_in_child_context(body)  # unnamed: a plain function has no name


@durable_execution
def child_with_name(event: Any, context: DurableContext) -> Any:  # 3-2
    def body(child: DurableContext) -> Any:
        return child.step(echo(event["value"]))

    return context.run_in_child_context(body, name=event["name"])


@durable_with_child_context
def failing_block(child: DurableContext) -> None:
    child.step(always_fails(), config=NO_RETRY)


@durable_execution
def child_error(event: Any, context: DurableContext) -> None:  # 3-4
    context.run_in_child_context(failing_block())


@durable_execution
def child_error_caught(event: Any, context: DurableContext) -> Any:  # 3-5
    # The ChildContextError is also an instance of the inner error's class.
    with contextlib.suppress(ValueError):
        context.run_in_child_context(failing_block())
    return context.step(echo(event), name="recovery")


@durable_with_child_context
def retrying_block(child: DurableContext, value: Any) -> Any:
    return child.step(fails_first_attempt(value), config=TWO_ATTEMPTS)


@durable_execution
def child_step_retry(event: Any, context: DurableContext) -> Any:  # 3-7
    return context.run_in_child_context(retrying_block(event))


@durable_with_child_context
def exhausting_block(child: DurableContext) -> None:
    child.step(always_fails(), config=TWO_ATTEMPTS)


@durable_execution
def child_retry_exhausted(event: Any, context: DurableContext) -> None:  # 3-8
    context.run_in_child_context(exhausting_block())


@durable_with_child_context
def step_then_wait(child: DurableContext, value: Any) -> Any:
    result = child.step(echo(value))
    child.wait(Duration.from_seconds(1))
    return result


@durable_execution
def child_step_and_wait(event: Any, context: DurableContext) -> Any:  # 3-10
    return context.run_in_child_context(step_then_wait(event))


@durable_with_child_context
def build_large(child: DurableContext, value: str) -> str:
    _replay_logger(child).info(f"building a large result from {value}")
    small = child.step(echo(value))
    return (small * (LARGE_RESULT_CHARS // len(small) + 1))[:LARGE_RESULT_CHARS]


@durable_execution
def child_large_result(event: Any, context: DurableContext) -> int:  # 3-11
    large = context.run_in_child_context(build_large(event))
    context.wait(Duration.from_seconds(1))
    assert large.startswith(event) and len(large) == LARGE_RESULT_CHARS
    return len(large)


@durable_with_child_context
def only_wait(child: DurableContext, value: Any) -> Any:
    child.wait(Duration.from_seconds(1))
    return value


@durable_execution
def child_wait_then_step(event: Any, context: DurableContext) -> Any:  # 3-13
    value = context.run_in_child_context(only_wait(event))
    return context.step(echo(value), name="outer")


class UpperCaseSerDes(SerDes[str]):
    """Stores the text uppercased; reads it back as stored."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value.upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


@durable_with_child_context
def echo_block(child: DurableContext, value: Any) -> Any:
    return child.step(echo(value))


@durable_execution
def child_custom_serdes(event: Any, context: DurableContext) -> Any:  # 3-14
    return context.run_in_child_context(
        echo_block(event), config=ChildConfig(serdes=UpperCaseSerDes())
    )


@durable_with_child_context
def returns_none(child: DurableContext) -> None:
    return None


@durable_execution
def child_returns_none(event: Any, context: DurableContext) -> None:  # 3-16
    return context.run_in_child_context(returns_none())


@durable_with_child_context
def log_only(child: DurableContext, value: Any) -> Any:
    _replay_logger(child).info(f"child context got {value}")
    return value


@durable_execution
def child_logger_only(event: Any, context: DurableContext) -> Any:  # 3-17
    value = context.run_in_child_context(log_only(event))
    context.wait(Duration.from_seconds(1))
    return value


HANDLERS: dict[str, Callable[..., Any]] = {
    "3-1": child_basic,
    "3-2": child_with_name,
    "3-4": child_error,
    "3-5": child_error_caught,
    "3-7": child_step_retry,
    "3-8": child_retry_exhausted,
    "3-10": child_step_and_wait,
    "3-11": child_large_result,
    "3-13": child_wait_then_step,
    "3-14": child_custom_serdes,
    "3-16": child_returns_none,
    "3-17": child_logger_only,
}
