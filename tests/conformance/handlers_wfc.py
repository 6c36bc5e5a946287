"""One durable handler per wait_for_condition (6-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text: a check function
``check(state, ctx) -> new_state``, a wait strategy (``create_wait_strategy`` or a plain
``(state, attempt) -> WaitForConditionDecision``) and the initial state.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python.exceptions import WaitForConditionError
from aws_durable_execution_sdk_python.serdes import SerDes, SerDesContext
from aws_durable_execution_sdk_python.types import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)

__all__ = ["HANDLERS", "CheckFailure", "EncodedTextSerDes"]


class CheckFailure(Exception):
    """What the failing check function raises."""


def increment(state: int, ctx: WaitForConditionCheckContext) -> int:
    return state + 1


def until_at_least(threshold: int, **options: Any) -> Callable[[int, int], Any]:
    """The backoff strategy: poll while the state is below ``threshold``."""
    return create_wait_strategy(
        WaitStrategyConfig(should_continue_polling=lambda state: state < threshold, **options)
    )


def count_up(context: DurableContext, start: int, threshold: int, **options: Any) -> int:
    config = WaitForConditionConfig(
        wait_strategy=until_at_least(threshold, **options), initial_state=start
    )
    return context.wait_for_condition(increment, config=config)


@durable_execution
def wfc_basic(event: Any, context: DurableContext) -> int:  # 6-1
    return count_up(context, 0, event)


@durable_execution
def wfc_already_met(event: Any, context: DurableContext) -> int:  # 6-2
    def unchanged(state: int, ctx: WaitForConditionCheckContext) -> int:
        return state

    config = WaitForConditionConfig(wait_strategy=until_at_least(5), initial_state=5)
    return context.wait_for_condition(unchanged, config=config)


@durable_execution
def wfc_initial_state(event: Any, context: DurableContext) -> int:  # 6-4
    return count_up(context, 5, event)


@durable_execution
def wfc_fixed_delay(event: Any, context: DurableContext) -> int:  # 6-5
    return count_up(
        context,
        0,
        event,
        initial_delay_seconds=2,
        backoff_rate=1,
        jitter_strategy=JitterStrategy.NONE,
    )


def failing_check(state: Any, ctx: WaitForConditionCheckContext) -> Any:
    raise CheckFailure(f"check failed on attempt {ctx.attempt}")


FAILING = WaitForConditionConfig(wait_strategy=until_at_least(1), initial_state=0)


@durable_execution
def wfc_check_fails(event: Any, context: DurableContext) -> Any:  # 6-7
    return context.wait_for_condition(failing_check, config=FAILING)


@durable_execution
def wfc_check_fails_caught(event: Any, context: DurableContext) -> Any:  # 6-8
    try:
        return context.wait_for_condition(failing_check, config=FAILING)
    except WaitForConditionError:
        return "recovered"


def stop_at_once(state: Any, attempt: int) -> WaitForConditionDecision:
    return WaitForConditionDecision.stop_polling()


@durable_execution
def wfc_null_result(event: Any, context: DurableContext) -> Any:  # 6-10
    def returns_none(state: Any, ctx: WaitForConditionCheckContext) -> None:
        return None

    config: WaitForConditionConfig[Any] = WaitForConditionConfig(
        wait_strategy=stop_at_once, initial_state="unset"
    )
    return context.wait_for_condition(returns_none, config=config)


class EncodedTextSerDes(SerDes[str]):
    """Stores the text base64-encoded behind a tag, so the checkpoint is not plain JSON."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return "b64:" + base64.b64encode(value.encode()).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith("b64:"):
            raise ValueError(f"not an encoded state: {data!r}")
        return base64.b64decode(data[4:]).decode()


@durable_execution
def wfc_custom_serdes(event: Any, context: DurableContext) -> str:  # 6-11
    def append_x(state: str, ctx: WaitForConditionCheckContext) -> str:
        return state + "x"

    def until_two(state: str, attempt: int) -> WaitForConditionDecision:
        if len(state) >= 2:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(1)

    config = WaitForConditionConfig(
        wait_strategy=until_two, initial_state="", serdes=EncodedTextSerDes()
    )
    return context.wait_for_condition(append_x, config=config)


@durable_execution
def wfc_two_in_sequence(event: Any, context: DurableContext) -> int:  # 6-13
    first = count_up(context, 0, 2)
    return count_up(context, first, 4)


HANDLERS: dict[str, Callable[..., Any]] = {
    "6-1": wfc_basic,
    "6-2": wfc_already_met,
    "6-4": wfc_initial_state,
    "6-5": wfc_fixed_delay,
    "6-7": wfc_check_fails,
    "6-8": wfc_check_fails_caught,
    "6-10": wfc_null_result,
    "6-11": wfc_custom_serdes,
    "6-13": wfc_two_in_sequence,
}
