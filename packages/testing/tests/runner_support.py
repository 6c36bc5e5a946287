"""Callback handlers and history helpers shared by the runner's callback and invoke tests."""

from __future__ import annotations

from aws_durable_execution_sdk_python import (
    CallbackExternalError,
    CallbackTimeoutError,
    DurableContext,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, WaitForCallbackConfig

# --- handlers ----------------------------------------------------------------------------


@durable_execution
def reply_with_timeout(event: dict, context: DurableContext) -> dict:
    """A callback with ``event["timeout"]`` s to answer; then optionally ``linger`` s more."""
    callback = context.create_callback(
        name="reply", config=CallbackConfig(timeout_seconds=event.get("timeout", 0))
    )
    try:
        outcome = {"answer": callback.result()}
    except CallbackTimeoutError as error:
        outcome = {"timed_out": error.message}
    if event.get("linger"):
        context.wait(event["linger"], name="linger")
    return outcome


@durable_execution
def reply_during_a_wait(event: dict, context: DurableContext) -> str:
    """The callback is created, then a 5 s wait runs; the answer is read afterwards."""
    callback = context.create_callback(name="reply")
    context.wait(5, name="five seconds")
    return callback.result()


@durable_execution
def heartbeat_callback(event: dict, context: DurableContext) -> dict:
    callback = context.create_callback(
        name="job", config=CallbackConfig(timeout_seconds=3600, heartbeat_timeout_seconds=10)
    )
    try:
        return {"answer": callback.result()}
    except CallbackTimeoutError as error:
        return {"timed_out": error.message}


@durable_execution
def approval(event: dict, context: DurableContext) -> dict:
    """``wait_for_callback(submitter, name="approval")``, with an optional overall timeout."""
    config = WaitForCallbackConfig(timeout_seconds=event.get("timeout", 0))
    try:
        answer = context.wait_for_callback(
            lambda callback_id, ctx: None, name="approval", config=config
        )
    except CallbackExternalError as error:
        return {"failed": error.message, "callback_id": error.callback_id}
    context.step(lambda _: "after", name="after approval")
    return {"answer": answer}


@durable_execution
def callback_in_plain_child_context(event: dict, context: DurableContext) -> str:
    return context.run_in_child_context(
        lambda child: child.create_callback(name="cb").result(), name="group"
    )


# --- helpers -----------------------------------------------------------------------------


def events(result, event_type: str) -> list[dict]:
    return [e for e in result.history if e["EventType"] == event_type]


def at(result, event: dict) -> float:
    """Virtual seconds from the execution's start to ``event``."""
    (started,) = events(result, "ExecutionStarted")
    return (event["EventTimestamp"] - started["EventTimestamp"]).total_seconds()


def error_type_of(event: dict) -> str:
    return event[f"{event['EventType']}Details"]["Error"]["Payload"]["ErrorType"]
