"""A durable operation called inside a step body, a check function or a submitter is refused.

docs/decisions.md, "Durable operations are called from the handler, not from a step".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    CallbackSubmitterError,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryDecision, RetryPresets
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

NO_RETRY = StepConfig(RetryPresets.none())


def run(handler: Callable[..., Any], **options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **options) as runner:
        return runner.run(input={}, timeout=10)


def always_retry(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision.retry(Duration.from_seconds(1))


# -- durable operations inside a step --------------------------------------------------------

INSIDE = [
    pytest.param(lambda c: c.step(lambda _: 1), "context.step", id="step"),
    pytest.param(lambda c: c.wait(Duration.from_seconds(1)), "context.wait", id="wait"),
    pytest.param(lambda c: c.create_callback(), "context.create_callback", id="callback"),
    pytest.param(lambda c: c.invoke("other", {}), "context.invoke", id="invoke"),
    pytest.param(lambda c: c.map([1], lambda *a: 1), "context.map", id="map"),
    pytest.param(lambda c: c.parallel([lambda _: 1]), "context.parallel", id="parallel"),
    pytest.param(
        lambda c: c.run_in_child_context(lambda _: 1),
        "context.run_in_child_context",
        id="child",
    ),
]


@pytest.mark.parametrize(("call", "label"), INSIDE)
def test_durable_operation_inside_a_step_is_refused_at_once(
    call: Callable[[Any], Any], label: str
) -> None:
    messages: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(_: Any) -> None:
            try:
                call(context)
            except ValidationError as error:
                messages.append(str(error))
                raise

        try:
            context.step(body, name="outer", config=NO_RETRY)
        except ValidationError:
            return "refused"
        return "ran"

    result = run(handler)
    assert result.result == "refused", result.error
    [message] = messages
    assert label in message
    assert "'outer'" in message
    assert "not from inside a step" in message


def test_durable_operation_inside_a_check_or_submitter_is_refused() -> None:
    messages: list[str] = []
    kinds: list[bool] = []

    @durable_execution
    def handler(event: Any, context: Any) -> list[str]:
        def check(state: int, _: Any) -> int:
            context.wait(Duration.from_seconds(1))
            return state

        def submitter(callback_id: str, _: Any) -> None:
            context.step(lambda _: 1)

        config = WaitForConditionConfig(
            wait_strategy=lambda s, a: always_retry(ValueError(), a), initial_state=0
        )
        for attempt in (
            lambda: context.wait_for_condition(check, config, name="poll"),
            lambda: context.wait_for_callback(submitter, name="approval"),
        ):
            try:
                attempt()
            except ValidationError as error:
                # a submitter's failure is also a CallbackSubmitterError
                kinds.append(isinstance(error, CallbackSubmitterError))
                messages.append(str(error))
        return messages

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    first, second = result.result
    assert "context.wait" in first and "'poll'" in first
    assert "context.step" in second and "submitter" in second
    assert kinds == [False, True]


def test_map_started_outside_a_step_runs_steps_in_its_items() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> list[int]:
        before = context.step(lambda _: 1, name="before")
        batch = context.map(
            [1, 2, 3], lambda c, item, i, items: c.step(lambda _: item * 10 + before)
        )
        return batch.get_results()

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [11, 21, 31]
