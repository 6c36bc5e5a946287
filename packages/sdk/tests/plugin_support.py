"""Helpers for the plugin tests: a runner shortcut, a recording plugin and views of hook calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

RETRY_TWICE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay_seconds=10,
            backoff_rate=2,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


def run(handler: Callable[..., Any], **runner_options: Any) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


class Recorder(DurableInstrumentationPlugin):
    """Appends ``(label, hook, info)`` for every hook call to a shared list."""

    def __init__(self, calls: list[tuple[str, str, Any]], label: str = "recorder") -> None:
        self.calls = calls
        self.label = label

    def _note(self, hook: str, info: Any) -> None:
        self.calls.append((self.label, hook, info))

    def on_invocation_start(self, info: Any) -> None:
        self._note("on_invocation_start", info)

    def on_invocation_end(self, info: Any) -> None:
        self._note("on_invocation_end", info)

    def on_operation_start(self, info: Any) -> None:
        self._note("on_operation_start", info)

    def on_operation_end(self, info: Any) -> None:
        self._note("on_operation_end", info)

    def on_operation_change(self, info: Any) -> None:
        self._note("on_operation_change", info)

    def on_user_function_start(self, info: Any) -> None:
        self._note("on_user_function_start", info)

    def on_user_function_end(self, info: Any) -> None:
        self._note("on_user_function_end", info)


def by_invocation(result: DurableFunctionTestResult) -> list[list[tuple[str, Any]]]:
    """The runner's recorded hook calls, one list per invocation."""
    invocations: list[list[tuple[str, Any]]] = []
    for event in result.hook_events:
        if event.hook == "on_invocation_start":
            invocations.append([])
        invocations[-1].append((event.hook, event.info))
    return invocations


def names(calls: list[tuple[str, Any]], hook: str) -> list[str | None]:
    return [info.name for h, info in calls if h == hook]


def _one(event: Any, context: DurableContext) -> int:
    return context.step(lambda step_context: 1, name="one")
