"""One durable handler per chained-invoke (5-x) conformance requirement, and the targets.

Each is written from the requirement's ``handler`` / ``invocations`` text; ``TARGETS`` are
the functions the requirements describe (an echo, a failing target, a large-payload reader),
registered on the runner under their function names.
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
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import InvokeConfig
from aws_durable_execution_sdk_python.exceptions import InvokeError
from aws_durable_execution_sdk_python.serdes import SerDes, SerDesContext

__all__ = ["HANDLERS", "LARGE_PAYLOAD_CHARS", "TARGETS"]

ECHO = "echo-target"
PLAIN_ECHO = "plain-echo-target"
FAILING = "failing-target"
MEASURE = "measure-target"
# Near the 256 KiB an operation's payload may hold (the JSON adds two quotes).
LARGE_PAYLOAD_CHARS = 250 * 1024


class TargetFailure(Exception):
    """What the failing target raises."""


@durable_execution
def echo_target(event: Any, context: DurableContext) -> Any:
    return event


def plain_echo_target(event: Any, lambda_context: Any) -> Any:
    """A plain (not durable) Lambda handler."""
    return event


@durable_execution
def failing_target(event: Any, context: DurableContext) -> None:
    raise TargetFailure("the target function failed")


@durable_execution
def measure_target(event: Any, context: DurableContext) -> dict[str, Any]:
    return {"length": len(event), "head": event[:8]}


TARGETS: dict[str, tuple[Callable[..., Any], bool]] = {
    ECHO: (echo_target, True),
    PLAIN_ECHO: (plain_echo_target, False),
    FAILING: (failing_target, True),
    MEASURE: (measure_target, True),
}


@durable_execution
def invoke_basic(event: Any, context: DurableContext) -> Any:  # 5-1
    return context.invoke(ECHO, event)


@durable_execution
def invoke_with_name(event: Any, context: DurableContext) -> Any:  # 5-2
    return context.invoke(ECHO, event["payload"], name=event["name"])


@durable_execution
def invoke_null(event: Any, context: DurableContext) -> Any:  # 5-4
    return context.invoke(ECHO, None)


@durable_execution
def invoke_target_fails(event: Any, context: DurableContext) -> Any:  # 5-5
    return context.invoke(FAILING)


@durable_execution
def invoke_large_payload(event: Any, context: DurableContext) -> Any:  # 5-7
    payload = ("large-payload-" * (LARGE_PAYLOAD_CHARS // 14 + 1))[:LARGE_PAYLOAD_CHARS]
    return context.invoke(MEASURE, payload)


@durable_execution
def invoke_with_tenant(event: Any, context: DurableContext) -> Any:  # 5-8
    config: InvokeConfig[Any] = InvokeConfig(tenant_id=event["tenantId"])
    return context.invoke(ECHO, event["payload"], config=config)


@durable_execution
def invoke_failure_replayed(event: Any, context: DurableContext) -> str:  # 5-10
    try:
        context.invoke(FAILING)
        outcome = "target succeeded"
    except InvokeError as error:
        outcome = f"caught: {error.message}"
    context.wait(Duration.from_seconds(1))
    return outcome


@durable_step
def compute(step_context: StepContext) -> dict[str, Any]:
    return {"computed": 42}


@durable_execution
def step_then_invoke(event: Any, context: DurableContext) -> Any:  # 5-11
    value = context.step(compute())
    return context.invoke(ECHO, value)


@durable_with_child_context
def invoke_block(child: DurableContext) -> Any:
    return child.invoke(ECHO, "from the child context")


@durable_execution
def invoke_in_child(event: Any, context: DurableContext) -> Any:  # 5-13
    return context.run_in_child_context(invoke_block())


@durable_execution
def two_invokes(event: Any, context: DurableContext) -> list[Any]:  # 5-14
    first = context.invoke(ECHO, "first")
    second = context.invoke(PLAIN_ECHO, "second")
    return [first, second]


class UpperCaseResultSerDes(SerDes[str]):
    """Reads the result text uppercased (the JSON quotes stay)."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.upper()


@durable_execution
def invoke_result_serdes(event: Any, context: DurableContext) -> Any:  # 5-16
    config: InvokeConfig[Any] = InvokeConfig(serdes_result=UpperCaseResultSerDes())
    return context.invoke(ECHO, event, config=config)


HANDLERS: dict[str, Callable[..., Any]] = {
    "5-1": invoke_basic,
    "5-2": invoke_with_name,
    "5-4": invoke_null,
    "5-5": invoke_target_fails,
    "5-7": invoke_large_payload,
    "5-8": invoke_with_tenant,
    "5-10": invoke_failure_replayed,
    "5-11": step_then_invoke,
    "5-13": invoke_in_child,
    "5-14": two_invokes,
    "5-16": invoke_result_serdes,
}
