"""Workflows the server tests invoke over HTTP: each exercises one kind of operation."""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

_attempts: dict[str, int] = {}


def greet_body(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """A step, an hour's wait, a step."""
    name = context.step(lambda _: event["name"].upper(), name="shout")
    context.wait(Duration.from_hours(1), name="nap")
    return {"greeting": context.step(lambda _: f"hello {name}", name="greet")}


greet = durable_execution(greet_body)


@durable_execution
def approval(event: dict[str, Any], context: DurableContext) -> Any:
    """Waits for a callback a client answers with SendDurableExecutionCallback* (the raw
    result string, as the SDK passes a callback result through)."""
    callback = context.create_callback(
        name="approve",
        config=CallbackConfig(
            timeout=Duration.from_hours(2), heartbeat_timeout=Duration.from_hours(1)
        ),
    )
    return {"approved": callback.result(), "id": event.get("id")}


@durable_execution
def flaky(event: dict[str, Any], context: DurableContext) -> str:
    """A step that fails on its first attempt and succeeds after a 5-minute backoff."""
    key = event["key"]

    def attempt(_: Any) -> str:
        _attempts[key] = _attempts.get(key, 0) + 1
        if _attempts[key] == 1:
            raise ConnectionError("first attempt fails")
        return f"attempt {_attempts[key]}"

    retry = create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration.from_minutes(5))
    )
    return context.step(attempt, name="call", config=StepConfig(retry_strategy=retry))


@durable_execution
def fails(event: dict[str, Any], context: DurableContext) -> None:
    context.step(lambda _: "fine", name="first")
    raise ValueError(f"bad order {event.get('id')}")


@durable_execution
def steps(event: dict[str, Any], context: DurableContext) -> int:
    """``count`` sequential steps: a long history to page through."""
    total = 0
    for index in range(int(event["count"])):
        total += context.step(lambda _, i=index: i, name=f"step-{index}")
    return total


@durable_execution
def caller(event: dict[str, Any], context: DurableContext) -> Any:
    """Invokes ``greet`` as a chained invoke and returns its result."""
    return context.invoke("greet", {"name": event["name"]}, name="call-greet")


@durable_execution
def sleeper(event: dict[str, Any], context: DurableContext) -> str:
    """Waits a day: an execution that is still running when a test acts on it."""
    context.wait(Duration.from_days(1), name="day")
    return "rested"


FUNCTIONS = {
    "greet": greet,
    "approval": approval,
    "flaky": flaky,
    "fails": fails,
    "steps": steps,
    "caller": caller,
    "sleeper": sleeper,
}


@durable_execution
def dies_once(event: dict[str, Any], context: DurableContext) -> str:
    """The process dies (``os._exit``) the first time, before the step is checkpointed."""
    import os
    from pathlib import Path

    marker = Path(event["marker"])

    def risky(_: Any) -> str:
        if not marker.exists():
            marker.write_text("died")
            os._exit(3)
        return "survived"

    return context.step(risky, name="risky")


FUNCTIONS["dies-once"] = dies_once
