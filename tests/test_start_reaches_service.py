"""An at-least-once step's START reaches the service while the step runs.

A START needs no answer, so it waits to travel with the step's completion; a step still
running after the start flush window has its START sent on its own, so a long step shows as
started at the service and a crash mid-step leaves ``StepStarted`` in the history. The re-run
then checkpoints ``StepSucceeded`` without a second ``StepStarted``, as the service records
it. Nothing here sleeps: step bodies block on events (with timeouts, so nothing can hang)
that a recording client double sets when the service has accepted the START.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import attrs
import pytest
from recording_client import recording

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.context import ExecutionContext
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

# Long enough for any test machine to notice a START that was not sent on its own.
PATIENCE = 10.0


def step_events(history: list[dict[str, Any]], name: str) -> list[str]:
    return [e["EventType"] for e in history if e.get("Name") == name]


def test_a_long_step_shows_as_started_at_the_service_while_it_runs() -> None:
    seen_while_running: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        arn = context.execution_context.durable_execution_arn

        def long_step(_: Any) -> str:
            seen_while_running.append(client.started.wait(PATIENCE))
            history = runner.get_execution_history(arn)["Events"]
            seen_while_running.append(step_events(history, "long"))
            return "done"

        return context.step(long_step, name="long")

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner, "long")
        result = runner.run(timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert seen_while_running == [True, ["StepStarted"]]
    assert client.calls == [[("long", "START")], [("long", "SUCCEED")]]
    assert step_events(result.history, "long") == ["StepStarted", "StepSucceeded"]


def test_a_fast_step_costs_one_call() -> None:
    """Within the window the START travels with the SUCCEED (a long window keeps this
    deterministic on a loaded machine; the benchmark counts calls with the default)."""

    @durable_execution(start_flush_window=60)
    def handler(event: Any, context: DurableContext) -> int:
        return context.step(lambda _: 7, name="fast") + context.step(lambda _: 8, name="next")

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner, "fast")
        result = runner.run(timeout=30)

    assert result.result == 15
    assert client.calls == [
        [("fast", "START"), ("fast", "SUCCEED")],
        [("next", "START"), ("next", "SUCCEED")],
    ]


def test_an_infinite_window_sends_the_start_only_with_the_completion() -> None:
    ran: list[bool] = []

    @durable_execution(start_flush_window=math.inf)
    def handler(event: Any, context: DurableContext) -> None:
        def body(_: Any) -> None:
            ran.append(client.started.is_set())

        context.step(body, name="only")

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner, "only")
        result = runner.run(timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert ran == [False]
    assert client.calls == [[("only", "START"), ("only", "SUCCEED")]]


def test_a_crash_mid_step_in_a_child_context_reruns_without_a_second_start() -> None:
    attempts: list[bool] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        client.dead = False  # a new invocation: a new process

        def flaky(_: Any) -> str:
            if not attempts:
                attempts.append(client.started.wait(PATIENCE))
                client.dead = True  # the process dies: nothing more reaches the service
                raise SystemExit(137)
            attempts.append(True)
            return "second run"

        def child(child_context: DurableContext) -> str:
            return child_context.step(flaky, name="flaky")

        return context.run_in_child_context(child, name="child")

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner, "flaky")
        result = runner.run(timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "second run"
    assert attempts == [True, True]  # the START had reached the service before the crash
    assert step_events(result.history, "flaky") == ["StepStarted", "StepSucceeded"]
    assert [e["EventType"] for e in result.history].count("InvocationCompleted") == 2
    # The STARTs went on their own while the step ran; the re-run sends only completions.
    assert client.calls == [
        [("child", "START"), ("flaky", "START")],
        [("flaky", "SUCCEED")],
        [("child", "SUCCEED")],
    ]


def test_no_thread_outlives_the_invocation() -> None:
    flushed: list[bool] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        def body(_: Any) -> str:
            flushed.append(client.started.wait(PATIENCE))  # the flusher thread ran
            return "ok"

        return context.step(body, name="running")

    before = set(threading.enumerate())
    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner, "running")
        result = runner.run(timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert flushed == [True]
    assert set(threading.enumerate()) - before == set()


def test_execution_context_is_one_frozen_value_shared_by_every_context() -> None:
    seen: list[ExecutionContext] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        seen.append(context.execution_context)

        def child(child_context: DurableContext) -> None:
            seen.append(child_context.execution_context)

        context.run_in_child_context(child, name="child")
        context.map([1, 2], lambda item_context, *_: seen.append(item_context.execution_context))
        context.parallel([lambda branch: seen.append(branch.execution_context)])
        context.wait(1)  # a second invocation: an equal value, built again

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.start()
        result = runner.wait_for_result(arn, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    first, second = seen[:5], seen[5:]
    assert len(first) == 5
    assert all(value is first[0] for value in first)
    assert first[0].durable_execution_arn == arn
    assert second and all(value == first[0] for value in second)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        first[0].durable_execution_arn = "other"  # type: ignore[misc]


@pytest.mark.parametrize(
    "window",
    [-1, -0.001, math.nan, "0.05", True, None, [0.05]],
    ids=["negative", "slightly-negative", "nan", "string", "bool", "none", "list"],
)
def test_start_flush_window_must_be_seconds(window: Any) -> None:
    with pytest.raises(ValidationError, match="start_flush_window"):
        durable_execution(start_flush_window=window)
