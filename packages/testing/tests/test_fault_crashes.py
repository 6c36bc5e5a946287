"""Crash points: the Lambda dies right before a checkpoint call is sent, or right after it has
been applied (``faults`` module).

docs/decisions.md, "What a crash is" and "Interrupted at-most-once steps". The two crash
points differ exactly for at-most-once steps: a START the service has applied makes the next
attempt an interrupted one; a START it never saw leaves the step unstarted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepInterruptedError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import RetryDecision, RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
)


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


def crashes(result: Any) -> list[str]:
    """The error type of each invocation: "" for one that ended without an error."""
    return [
        inv.get("Error", {}).get("Payload", {}).get("ErrorType", "") for inv in result.invocations
    ]


def at_most_once(strategy: Callable[[Exception, int], RetryDecision]) -> StepConfig:
    return StepConfig(strategy, StepSemantics.AT_MOST_ONCE_PER_RETRY)


class Pay:
    """An at-most-once payment step whose retry strategy records what it was asked about."""

    def __init__(self) -> None:
        self.bodies: list[int] = []  # the attempts whose body ran
        self.seen: list[tuple[str, int]] = []  # (error type, attempts made) the strategy saw

    def strategy(self, error: Exception, attempts_made: int) -> RetryDecision:
        self.seen.append((type(error).__name__, attempts_made))
        return RetryPresets.fixed(3)(error, attempts_made)

    def handler(self) -> Callable[..., Any]:
        @durable_execution
        def handler(event: Any, context: DurableContext) -> str:
            def pay(step_context: Any) -> str:
                self.bodies.append(step_context.attempt)
                return f"paid on attempt {step_context.attempt}"

            return context.step(pay, name="pay", config=at_most_once(self.strategy))

        return handler


def test_crash_after_an_applied_at_most_once_start_interrupts_the_attempt() -> None:
    pay = Pay()
    with DurableFunctionTestRunner(pay.handler()) as runner:
        result = runner.run({}, crash_after=1)  # call 1 carries the step's START

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert pay.bodies == [2]  # attempt 1 never ran: it was interrupted, not repeated
    assert pay.seen == [("StepInterruptedError", 1)]  # through the retry strategy
    assert result.result == "paid on attempt 2"
    assert crashes(result) == ["Runtime.ExitError", "", ""]
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",  # the crash
        "StepFailed",  # attempt 1: interrupted, retried
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    failed = next(e for e in result.history if e["EventType"] == "StepFailed")
    payload = failed["StepFailedDetails"]["Error"]["Payload"]
    assert payload["ErrorType"] == "StepInterruptedError"


def test_crash_after_the_start_without_retries_reaches_the_handler() -> None:
    bodies: list[int] = []
    caught: list[str | None] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.step(
                lambda sc: bodies.append(sc.attempt),
                name="pay",
                config=at_most_once(RetryPresets.none()),
            )
        except StepInterruptedError as error:
            caught.append(error.step_id)
            return "refund manually"
        return "paid"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, faults=[CrashAfterCheckpoint(1)])

    assert result.result == "refund manually"
    assert bodies == []
    assert caught == [result.get_step("pay").operation_id]
    assert result.get_step("pay").status is OperationStatus.FAILED


def test_crash_before_the_start_is_sent_lets_the_step_run_normally() -> None:
    pay = Pay()
    with DurableFunctionTestRunner(pay.handler()) as runner:
        result = runner.run({}, faults=[CrashBeforeCheckpoint(1)])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert pay.bodies == [1]  # the service never saw the START: nothing was interrupted
    assert pay.seen == []
    assert result.result == "paid on attempt 1"
    assert crashes(result) == ["Runtime.ExitError", ""]
    assert event_types(result) == [
        "ExecutionStarted",
        "InvocationCompleted",  # the crash, before anything was checkpointed
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]


def three_steps(bodies: list[str]) -> Callable[..., Any]:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[str]:
        out = []
        for name in ("a", "b", "c"):
            out.append(context.step(lambda sc, n=name: bodies.append(n) or n, name=name))
        return out

    return handler


def test_nothing_checkpointed_before_a_crash_is_lost() -> None:
    bodies: list[str] = []
    with DurableFunctionTestRunner(three_steps(bodies)) as runner:
        result = runner.run({}, crash_after=2)  # a, then b, are durable; then the crash

    assert result.result == ["a", "b", "c"]
    assert bodies == ["a", "b", "c"]  # a and b are replayed from their checkpoints
    assert crashes(result) == ["Runtime.ExitError", ""]
    assert [op.name for op in result.operations] == ["a", "b", "c"]


def test_a_crash_before_a_completion_reruns_the_at_least_once_step() -> None:
    bodies: list[str] = []
    with DurableFunctionTestRunner(three_steps(bodies)) as runner:
        result = runner.run({}, faults=[CrashBeforeCheckpoint(2)])

    assert result.result == ["a", "b", "c"]
    assert bodies == ["a", "b", "b", "c"]  # b's result never reached the service: run again
    assert crashes(result) == ["Runtime.ExitError", ""]


def test_calls_are_counted_across_invocations_and_each_crash_fires_once() -> None:
    bodies: list[str] = []
    with DurableFunctionTestRunner(three_steps(bodies)) as runner:
        # Call 1 (a) crashes after it is applied; the second invocation replays a and
        # makes call 2 (b), which crashes before it is sent; the third makes call 3 (b
        # again) and call 4 (c).
        result = runner.run({}, faults=[CrashAfterCheckpoint(1), CrashBeforeCheckpoint(2)])

    assert result.result == ["a", "b", "c"]
    assert bodies == ["a", "b", "b", "c"]
    assert crashes(result) == ["Runtime.ExitError", "Runtime.ExitError", ""]
    assert result.invocation_count == 3


def test_a_crash_is_one_invocation_failure_of_the_retry_budget() -> None:
    bodies: list[str] = []
    with DurableFunctionTestRunner(three_steps(bodies), invocation_retries=1) as runner:
        result = runner.run({}, faults=[CrashAfterCheckpoint(1), CrashAfterCheckpoint(2)])

    # Two crashes in a row exhaust one retry: the execution fails as a crash does.
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "Runtime.ExitError"
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"


def test_user_code_that_catches_the_crash_cannot_survive_it() -> None:
    swallowed: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.step(lambda sc: "a", name="a")
        except BaseException as error:  # what careless code does
            swallowed.append(type(error).__name__)
        return "pretends all is well"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, crash_after=1)

    assert swallowed  # the handler did catch it ...
    assert crashes(result) == ["Runtime.ExitError", ""]  # ... the invocation still crashed
    assert result.result == "pretends all is well"


def test_a_crash_inside_a_map_item_ends_the_invocation() -> None:
    bodies: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[int]:
        def item(ctx: Any, value: int, index: int, items: Any) -> int:
            return ctx.step(lambda sc: bodies.append(value) or value * 10, name="times ten")

        return context.map([1, 2, 3], item, name="scale").get_results()

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, crash_after=2)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [10, 20, 30]
    assert crashes(result)[0] == "Runtime.ExitError"
