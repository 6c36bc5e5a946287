"""A recording plugin made by a factory, for the tests of the plugin API of SDK 3.0.

Each invocation's plugin appends ``(hook, info)`` to its factory's log, after the factory's
own ``("create_plugin", start_info)``, so the log splits into invocations.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

Log = list[tuple[str, Any]]


class Recording(DurableInstrumentationPlugin):
    """Appends ``(hook, info)`` to the factory's log for each hook."""

    def __init__(self, log: Log, trace: Any = None) -> None:
        self.log = log
        self.trace = trace

    def on_invocation_start(self, info: Any) -> None:
        self.log.append(("on_invocation_start", info))

    def on_invocation_end(self, info: Any) -> None:
        self.log.append(("on_invocation_end", info))

    def on_operation_start(self, info: Any) -> None:
        self.log.append(("on_operation_start", info))

    def on_operation_end(self, info: Any) -> None:
        self.log.append(("on_operation_end", info))

    def on_operation_change(self, info: Any) -> None:
        self.log.append(("on_operation_change", info))

    def on_user_function_start(self, info: Any) -> None:
        self.log.append(("on_user_function_start", info))

    def on_user_function_end(self, info: Any) -> None:
        self.log.append(("on_user_function_end", info))

    def provide_propagation_metadata(self, info: Any) -> Any:
        self.log.append(("provide_propagation_metadata", info))
        return self.trace() if callable(self.trace) else self.trace


class RecordingFactory:
    def __init__(self, trace: Any = None) -> None:
        self.log: Log = []
        self.made: list[Recording] = []
        self.trace = trace

    def create_plugin(self, info: InvocationStartInfo) -> Recording:
        self.log.append(("create_plugin", info))
        plugin = Recording(self.log, self.trace)
        self.made.append(plugin)
        return plugin

    def invocations(self) -> list[Log]:
        """The log, one list per invocation (each begins with ``create_plugin``)."""
        split: list[Log] = []
        for hook, info in self.log:
            if hook == "create_plugin":
                split.append([])
            split[-1].append((hook, info))
        return split


def infos(calls: Log, hook: str) -> list[Any]:
    return [info for h, info in calls if h == hook]


def sequence(calls: Log, *, skip: tuple[str, ...] = ("on_operation_change",)) -> list[Any]:
    """``(hook, name)`` in order; invocation hooks by hook alone."""
    return [
        (hook, getattr(info, "name", None)) if "operation" in hook or "user" in hook else hook
        for hook, info in calls
        if hook not in skip
    ]


def run_with(
    factory: Any, body: Callable[[Any, DurableContext], Any], **options: Any
) -> tuple[DurableFunctionTestResult, Any]:
    """Run ``body`` decorated with ``plugins=[factory]`` (input ``{"x": 1}`` by default).

    An infinite START flush window: which thread reports a step's start, and when, must not
    depend on whether the machine was slow enough for the flusher to send the START alone.
    """
    handler = durable_execution(plugins=[factory])(body)
    with DurableFunctionTestRunner(
        handler, record_hooks=False, start_flush_window=math.inf
    ) as runner:
        result = runner.run(input=options.pop("input", {"x": 1}), timeout=10, **options)
    return result, factory


NO_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))


def once_then_ok() -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=2, initial_delay_seconds=2, jitter_strategy=JitterStrategy.NONE
            )
        )
    )


EXECUTION_START = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
EXECUTION_ID = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"
EXECUTION_ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/exec-1/"
    + EXECUTION_ID
)


def first_event(details: dict[str, Any]) -> dict[str, Any]:
    """A first invocation's event whose EXECUTION operation has ``details``."""
    execution = {
        "Id": EXECUTION_ID,
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": EXECUTION_START,
        "ExecutionDetails": details,
    }
    return {
        "DurableExecutionArn": EXECUTION_ARN,
        "CheckpointToken": "dG9rZW4tMQ==",
        "InitialExecutionState": {"Operations": [execution]},
    }
