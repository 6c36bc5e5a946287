"""Zero cost: an execution without plugins builds no hook info and no dispatcher for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from plugin_support import RETRY_TWICE, run

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
)
from aws_durable_execution_sdk_python._plugins import info as info_module
from aws_durable_execution_sdk_python._plugins import manager as manager_module
from aws_durable_execution_sdk_python._plugins import reporter as reporter_module
from aws_durable_execution_sdk_python.lambda_service import OperationType
from aws_durable_execution_sdk_python.plugin import OperationEndInfo
from aws_durable_execution_sdk_python_testing import InvocationStatus


@pytest.fixture
def no_info_objects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make building any hook info (or a dispatcher) fail loudly; return what was tried."""
    built: list[str] = []

    def forbid(name: str) -> Callable[..., None]:
        def constructor(self: Any, *args: Any, **kwargs: Any) -> None:
            built.append(name)
            raise AssertionError(f"{name} built with no plugin registered")

        return constructor

    classes = [
        value
        for value in vars(info_module).values()
        if isinstance(value, type) and value.__module__ == info_module.__name__
    ]
    assert {cls.__name__ for cls in classes} >= {
        "InvocationStartInfo",
        "InvocationEndInfo",
        "OperationInfo",
        "OperationStartInfo",
        "OperationEndInfo",
        "OperationChangeInfo",
        "UserFunctionStartInfo",
        "UserFunctionEndInfo",
    }
    for cls in classes:
        if issubclass(cls, Exception) or cls is info_module.UserFunctionOutcome:
            continue
        monkeypatch.setattr(cls, "__init__", forbid(cls.__name__))
    monkeypatch.setattr(manager_module.PluginDispatcher, "__init__", forbid("PluginDispatcher"))
    from aws_durable_execution_sdk_python._plugins import snapshots

    monkeypatch.setattr(snapshots.OperationsSnapshot, "__init__", forbid("OperationsSnapshot"))
    monkeypatch.setattr(reporter_module.PluginReporter, "__init__", forbid("PluginReporter"))
    # The reporter module's names are the same classes.
    assert reporter_module.OperationEndInfo is info_module.OperationEndInfo
    return built


def _busy_handler() -> Callable[..., Any]:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        def flaky(step_context: StepContext) -> int:
            if step_context.attempt < 3:
                raise RuntimeError("again")
            return 1

        total = context.step(lambda s: 1, name="plain")
        total += context.step(flaky, name="flaky", config=RETRY_TWICE)
        context.wait(Duration.from_seconds(10), name="pause")
        total += context.run_in_child_context(
            lambda child: child.step(lambda s: 1, name="inner"), name="child"
        )
        context.logger.info("total %d", total)
        return total

    return handler


def test_nothing_is_built_for_plugins_when_none_is_registered(
    no_info_objects: list[str],
) -> None:
    result = run(_busy_handler(), record_hooks=False)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 3
    assert result.invocation_count == 4
    assert no_info_objects == []
    assert result.hook_events == []


def test_the_zero_cost_check_would_catch_an_info_being_built(
    no_info_objects: list[str],
) -> None:
    """The same run with one plugin does try to build infos: the patch is effective."""
    run(_busy_handler(), record_hooks=True)
    assert "PluginReporter" in no_info_objects
    with pytest.raises(AssertionError, match="OperationEndInfo built"):
        OperationEndInfo(operation_id="x", operation_type=OperationType.STEP)
