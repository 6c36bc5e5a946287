"""``DurableFunctionTestRunner(start_flush_window=...)`` overrides the function's own window
for every invocation, in both invocation modes; ``assert_durable`` uses ``math.inf`` so
which calls a run makes does not depend on the machine's speed."""

from __future__ import annotations

import math
from typing import Any

import pytest
from recording_client import recording

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
)

seen: list[bool] = []
watching: list[Any] = []  # the recording client of the running test


@durable_execution(start_flush_window=0)
def eager(event: Any, context: DurableContext) -> int:
    """Its own window sends a START at once, on its own."""

    def body(_: Any) -> int:
        if watching:
            seen.append(watching[0].started.wait(0.3))  # sent while the body runs?
        return 7

    return context.step(body, name="one")


def test_an_infinite_window_on_the_runner_holds_the_start_until_the_completion() -> None:
    seen.clear()
    with DurableFunctionTestRunner(eager, start_flush_window=math.inf) as runner:
        client = recording(runner, "one")
        watching[:] = [client]
        try:
            result = runner.run(timeout=30)
        finally:
            watching.clear()
    assert result.result == 7
    assert seen == [False]
    assert client.calls == [[("one", "START"), ("one", "SUCCEED")]]


def test_without_the_override_the_function_window_applies() -> None:
    seen.clear()
    with DurableFunctionTestRunner(eager) as runner:
        client = recording(runner, "one")
        watching[:] = [client]
        try:
            result = runner.run(timeout=30)
        finally:
            watching.clear()
    assert result.result == 7
    assert seen == [True]  # window 0: the START was sent on its own while the body ran
    assert client.calls == [[("one", "START")], [("one", "SUCCEED")]]


def test_the_override_reaches_a_child_process() -> None:
    with DurableFunctionTestRunner(
        eager, invocation_mode="subprocess", start_flush_window=math.inf
    ) as runner:
        client = recording(runner, "one")
        result = runner.run(timeout=30)
    assert result.result == 7
    assert client.calls == [[("one", "START"), ("one", "SUCCEED")]]


@pytest.mark.parametrize("value", [-1, float("nan"), "soon", True])
def test_a_bad_window_is_refused(value: Any) -> None:
    with pytest.raises(DurableFunctionsTestError, match="start_flush_window"):
        DurableFunctionTestRunner(eager, start_flush_window=value)
