"""One durable handler per wait_for_callback (7-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text, with the existing
SDK's form ``context.wait_for_callback(submitter, name=, config=)``: a WaitForCallback
context holding the callback and the submitter step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import CallbackTimeoutError
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.types import WaitForCallbackContext

__all__ = ["HANDLERS", "SubmitterFailure"]


class SubmitterFailure(Exception):
    """What the always-failing submitter raises."""


def register(callback_id: str, ctx: WaitForCallbackContext) -> None:
    """Hands the id to nobody: the test's declared callback actions answer it."""
    ctx.logger.info(f"callback id ready: {callback_id}")


@durable_execution
def wfcb_basic(event: Any, context: DurableContext) -> Any:  # 7-1
    return context.wait_for_callback(register, name=event)


@durable_wait_for_callback
def approval(callback_id: str, ctx: WaitForCallbackContext) -> None:
    ctx.logger.info(f"approval requested: {callback_id}")


@durable_execution
def wfcb_static_name(event: Any, context: DurableContext) -> Any:  # 7-2
    return context.wait_for_callback(approval())  # named "approval" by the decorator


@durable_execution
def wfcb_external_failure(event: Any, context: DurableContext) -> Any:  # 7-4
    return context.wait_for_callback(register, name=event)


@durable_execution
def wfcb_timeout(event: Any, context: DurableContext) -> Any:  # 7-5
    config = WaitForCallbackConfig(timeout_seconds=3)
    return context.wait_for_callback(register, name=event, config=config)


def always_fails(callback_id: str, ctx: WaitForCallbackContext) -> None:
    raise SubmitterFailure("could not hand the callback id over")


@durable_execution
def wfcb_submitter_exhausted(event: Any, context: DurableContext) -> Any:  # 7-7
    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2, initial_delay_seconds=1, jitter_strategy=JitterStrategy.NONE
        )
    )
    config = WaitForCallbackConfig(retry_strategy=retry)
    return context.wait_for_callback(always_fails, name=event, config=config)


@durable_with_child_context
def wrapper(child: DurableContext, name: str) -> Any:
    return child.wait_for_callback(register, name=name)


@durable_execution
def wfcb_in_child(event: Any, context: DurableContext) -> Any:  # 7-8
    return context.run_in_child_context(wrapper(event))


@durable_step
def fixed_data(step_context: StepContext) -> dict[str, Any]:
    return {"order": 7, "items": ["a", "b"]}


@durable_execution
def wfcb_after_wait_and_step(event: Any, context: DurableContext) -> Any:  # 7-10
    context.wait(Duration.from_seconds(1))
    context.step(fixed_data())
    return context.wait_for_callback(register, name=event)


@durable_execution
def wfcb_json_result(event: Any, context: DurableContext) -> Any:  # 7-11
    config = WaitForCallbackConfig(serdes=JsonSerDes())
    answer = context.wait_for_callback(register, name=event, config=config)
    return answer["status"]


@durable_execution
def wfcb_heartbeat(event: Any, context: DurableContext) -> Any:  # 7-13
    config = WaitForCallbackConfig(heartbeat_timeout_seconds=10)
    return context.wait_for_callback(register, name=event, config=config)


@durable_execution
def wfcb_timeout_caught(event: Any, context: DurableContext) -> Any:  # 7-14
    config = WaitForCallbackConfig(timeout_seconds=3)
    try:
        return context.wait_for_callback(register, name=event, config=config)
    except CallbackTimeoutError:
        return "timed-out-handled"


HANDLERS: dict[str, Callable[..., Any]] = {
    "7-1": wfcb_basic,
    "7-2": wfcb_static_name,
    "7-4": wfcb_external_failure,
    "7-5": wfcb_timeout,
    "7-7": wfcb_submitter_exhausted,
    "7-8": wfcb_in_child,
    "7-10": wfcb_after_wait_and_step,
    "7-11": wfcb_json_result,
    "7-13": wfcb_heartbeat,
    "7-14": wfcb_timeout_caught,
}
