"""The step-fault seam (``execution.inject_step_faults``): a harness fails step attempts.

The step runner asks the installed ``StepFaultSource`` before each attempt; an exception it
returns is raised in place of the body, which does not run, and the step's retry strategy
sees it as the body's. The source is read once, when the invocation's state is built, so map
and parallel workers (threads that do not inherit context variables) ask the same one.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.execution import StepFaultSource, inject_step_faults
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus


class FirstAttemptFails:
    """Fails attempt 1 of every step; records who asked, from which thread."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, int, str]] = []

    def step_fault(self, name: str | None, operation_id: str, attempt: int) -> Exception | None:
        self.asked.append((name, attempt, threading.current_thread().name))
        return ConnectionError(f"{name} attempt {attempt}") if attempt == 1 else None


def run(handler: Any, source: StepFaultSource | None) -> Any:
    with DurableFunctionTestRunner(handler) as runner, inject_step_faults(source):
        return runner.run({}, timeout=10)


def test_an_injected_exception_replaces_the_body_and_reaches_the_retry_strategy() -> None:
    bodies: list[int] = []
    seen: list[tuple[str, int]] = []

    def strategy(error: Exception, attempts_made: int) -> Any:
        seen.append((str(error), attempts_made))
        return RetryPresets.fixed(3)(error, attempts_made)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return context.step(
            lambda sc: bodies.append(sc.attempt) or sc.attempt,
            name="charge",
            config=StepConfig(strategy),
        )

    source = FirstAttemptFails()
    result = run(handler, source)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 2
    assert bodies == [2]
    assert seen == [("charge attempt 1", 1)]
    assert [(name, attempt) for name, attempt, _thread in source.asked] == [
        ("charge", 1),
        ("charge", 2),
    ]


def test_map_workers_ask_the_source_of_their_invocation() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[int]:
        def item(ctx: Any, value: int, index: int, items: Any) -> int:
            return ctx.step(lambda sc: value * 10 + sc.attempt, name="item step")

        return context.map([1, 2, 3, 4], item, name="items").get_results()

    source = FirstAttemptFails()
    result = run(handler, source)

    assert result.result == [12, 22, 32, 42]
    assert sum(1 for name, attempt, _ in source.asked if attempt == 1) == 4


def test_without_a_source_steps_run_their_bodies() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(lambda sc: "ran", name="plain")

    assert run(handler, None).result == "ran"
