"""One durable handler per callback (4-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text. "Blocks on the
callback result" is ``callback.result()`` or the seed's ``context.wait_for_callback(callback)``;
"returns the deserialized result" uses a JSON serdes (the default hands back the raw text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    CallbackError,
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackTimeoutError
from aws_durable_execution_sdk_python.serdes import JsonSerDes, SerDes, SerDesContext

__all__ = ["HANDLERS"]

JSON = CallbackConfig(serdes=JsonSerDes())


@durable_step
def prepare(step_context: StepContext) -> str:
    return "prepared"


@durable_execution
def callback_basic(event: Any, context: DurableContext) -> Any:  # 4-1
    callback = context.create_callback(name=event, config=JSON)
    return callback.result()


@durable_execution
def callback_named(event: Any, context: DurableContext) -> Any:  # 4-2
    callback = context.create_callback(name="approval", config=JSON)
    return context.wait_for_callback(callback)


@durable_execution
def callback_heartbeat_timeout(event: Any, context: DurableContext) -> Any:  # 4-4
    callback = context.create_callback(name=event, config=CallbackConfig(heartbeat_timeout=5))
    return callback.result()


@durable_execution
def callback_heartbeat_then_success(event: Any, context: DurableContext) -> Any:  # 4-5
    config = CallbackConfig(heartbeat_timeout_seconds=10, serdes=JsonSerDes())
    callback = context.create_callback(name=event, config=config)
    return callback.result()


@durable_execution
def callback_step_failure(event: Any, context: DurableContext) -> Any:  # 4-7
    callback = context.create_callback(name=event, config=JSON)
    context.step(prepare())
    return callback.result()


@durable_execution
def callback_step_timeout(event: Any, context: DurableContext) -> Any:  # 4-8
    callback = context.create_callback(name=event, config=CallbackConfig(timeout_seconds=5))
    context.step(prepare())
    return callback.result()


@durable_execution
def callback_wait_failure(event: Any, context: DurableContext) -> Any:  # 4-10
    callback = context.create_callback(name=event, config=JSON)
    context.wait(Duration.from_seconds(5))
    return callback.result()


@durable_execution
def callback_wait_timeout(event: Any, context: DurableContext) -> Any:  # 4-11
    callback = context.create_callback(name=event, config=CallbackConfig(timeout_seconds=3))
    context.wait(Duration.from_seconds(6))
    return callback.result()


@durable_execution
def callback_failure_caught(event: Any, context: DurableContext) -> str:  # 4-13
    callback = context.create_callback(name=event, config=JSON)
    try:
        message = f"approved: {callback.result()}"
    except CallbackError as error:
        message = f"callback failed: {error.message}"
    context.wait(Duration.from_seconds(2))
    return message


@durable_execution
def callback_timeout_caught(event: Any, context: DurableContext) -> str:  # 4-14
    callback = context.create_callback(name=event, config=CallbackConfig(timeout_seconds=3))
    try:
        message = f"answered: {callback.result()}"
    except CallbackTimeoutError as error:
        message = f"callback timed out: {error.message}"
    context.wait(Duration.from_seconds(2))
    return message


class NumberSerDes(SerDes[int]):
    """Reads the callback's text as a number."""

    def serialize(self, value: int, serdes_context: SerDesContext) -> str:
        return str(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> int:
        return int(data)


@durable_execution
def callback_numeric_serdes(event: Any, context: DurableContext) -> dict[str, int]:  # 4-16
    callback = context.create_callback(name=event, config=CallbackConfig(serdes=NumberSerDes()))
    count = callback.result()
    assert isinstance(count, int)
    return {"count": count, "doubled": count * 2}


@durable_execution
def two_callbacks_in_turn(event: Any, context: DurableContext) -> list[Any]:  # 4-17
    first = context.create_callback(name=event[0], config=JSON)
    a = first.result()
    second = context.create_callback(name=event[1], config=JSON)
    b = second.result()
    return [a, b]


@durable_execution
def two_callbacks_reversed(event: Any, context: DurableContext) -> list[Any]:  # 4-19
    first = context.create_callback(name=event[0], config=JSON)
    second = context.create_callback(name=event[1], config=JSON)
    b = context.wait_for_callback(second)
    a = context.wait_for_callback(first)
    return [a, b]


HANDLERS: dict[str, Callable[..., Any]] = {
    "4-1": callback_basic,
    "4-2": callback_named,
    "4-4": callback_heartbeat_timeout,
    "4-5": callback_heartbeat_then_success,
    "4-7": callback_step_failure,
    "4-8": callback_step_timeout,
    "4-10": callback_wait_failure,
    "4-11": callback_wait_timeout,
    "4-13": callback_failure_caught,
    "4-14": callback_timeout_caught,
    "4-16": callback_numeric_serdes,
    "4-17": two_callbacks_in_turn,
    "4-19": two_callbacks_reversed,
}
