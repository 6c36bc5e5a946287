"""Durable operations run synchronous functions: an ``async def`` is refused with a
``ValidationError`` naming it, at the call (or, for the decorators, where it is decorated),
before any id is consumed; a coroutine returned by a synchronous body is refused too, and
closed, so Python never warns that it was not awaited.
"""

from __future__ import annotations

import functools
import gc
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    DurableContext,
    ValidationError,
    durable_execution,
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import ParallelBranch
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

FIRST_OP_ID = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"


async def fetch_order(*args: Any) -> int:
    return 1


class AsyncCallable:
    async def __call__(self, *args: Any) -> int:
        return 1


def stop_now(state: Any, attempt: int) -> WaitForConditionDecision:
    return WaitForConditionDecision.stop_polling()


CONDITION = WaitForConditionConfig(wait_strategy=stop_now, initial_state=0)


def run_rejecting(call: Callable[[DurableContext], Any]) -> str:
    """Run ``call(context)`` expecting ValidationError; a step after it gets the first id.

    Returns the message. Fails if Python warned about a coroutine that was never awaited.
    """
    messages: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            call(context)
        except ValidationError as error:
            messages.append(str(error))
        context.step(lambda _: "after", name="after")
        return "done"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with DurableFunctionTestRunner(handler) as runner:
            result = runner.run(input={}, timeout=10)
        gc.collect()  # an unclosed coroutine warns when it is collected

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(messages) == 1, "expected ValidationError"
    assert result.get_step("after").operation_id == FIRST_OP_ID  # no id was consumed
    unawaited = [w for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []
    return messages[0]


@pytest.mark.parametrize(
    ("call", "operation"),
    [
        pytest.param(lambda c: c.step(fetch_order), "step", id="step"),
        pytest.param(lambda c: c.step(fetch_order, name="fetch"), "step", id="step-named"),
        pytest.param(
            lambda c: c.step(functools.partial(fetch_order, 7)), "step", id="step-partial"
        ),
        pytest.param(
            lambda c: c.run_in_child_context(fetch_order),
            "run_in_child_context",
            id="child",
        ),
        pytest.param(
            lambda c: c.wait_for_condition(fetch_order, CONDITION),
            "wait_for_condition",
            id="wait_for_condition",
        ),
        pytest.param(lambda c: c.map([1, 2], fetch_order), "map", id="map"),
        pytest.param(lambda c: c.parallel([lambda _: 1, fetch_order]), "parallel", id="parallel"),
        pytest.param(
            lambda c: c.parallel([ParallelBranch(fetch_order, "b")]),
            "parallel",
            id="parallel-branch",
        ),
        pytest.param(
            lambda c: c.wait_for_callback(fetch_order, name="approval"),
            "wait_for_callback",
            id="wait_for_callback",
        ),
    ],
)
def test_async_function_is_refused_at_the_call(
    call: Callable[[DurableContext], Any], operation: str
) -> None:
    message = run_rejecting(call)
    assert f"{operation}(" in message
    assert "fetch_order" in message
    assert "async" in message
    assert "synchronous" in message


def test_async_callable_object_is_refused() -> None:
    message = run_rejecting(lambda c: c.step(AsyncCallable()))
    assert "AsyncCallable" in message
    assert "synchronous" in message


def run_refused_when_it_runs(call: Callable[[DurableContext], Any]) -> BaseException:
    """Run ``call(context)``, which must fail as the function runs; return what it raised."""
    raised: list[BaseException] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            call(context)
        except Exception as error:
            raised.append(error)
        return "done"

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with DurableFunctionTestRunner(handler) as runner:
            result = runner.run(input={}, timeout=10)
        gc.collect()  # an unclosed coroutine warns when it is collected

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(raised) == 1, "expected the operation to fail"
    unawaited = [w for w in caught if "never awaited" in str(w.message)]
    assert unawaited == []
    return raised[0]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.step(lambda _: fetch_order(), name="fetch"), id="step"),
        pytest.param(
            lambda c: c.run_in_child_context(lambda _: fetch_order(), name="fetch"), id="child"
        ),
        pytest.param(
            lambda c: c.map([1], lambda _c, _item, _i, _all: fetch_order()).throw_if_error(),
            id="map-item",
        ),
        pytest.param(
            lambda c: c.parallel([lambda _: fetch_order()]).throw_if_error(),
            id="parallel-branch",
        ),
        pytest.param(
            lambda c: c.wait_for_condition(lambda _s, _c: fetch_order(), CONDITION, name="fetch"),
            id="wait_for_condition",
        ),
        pytest.param(
            lambda c: c.wait_for_callback(lambda _id, _c: fetch_order(), name="fetch"),
            id="wait_for_callback",
        ),
    ],
)
def test_coroutine_returned_by_a_sync_function_fails_the_operation_and_is_closed(
    call: Callable[[DurableContext], Any],
) -> None:
    error = run_refused_when_it_runs(call)
    message = str(error)
    assert "returned a coroutine" in message, message
    assert "synchronous" in message


def test_coroutine_returned_by_a_step_is_a_validation_error_and_not_retried() -> None:
    attempts: list[int] = []

    def body(step_context: Any) -> Any:
        attempts.append(step_context.attempt)
        return fetch_order()

    error = run_refused_when_it_runs(lambda c: c.step(body, name="fetch"))

    assert isinstance(error, ValidationError)
    assert "step 'fetch'" in str(error)
    assert attempts == [1]


@pytest.mark.parametrize(
    "decorate",
    [
        pytest.param(durable_step, id="durable_step"),
        pytest.param(durable_with_child_context, id="durable_with_child_context"),
        pytest.param(durable_wait_for_callback, id="durable_wait_for_callback"),
        pytest.param(durable_parallel_branch("b"), id="durable_parallel_branch"),
    ],
)
def test_decorating_an_async_function_is_refused(decorate: Callable[[Any], Any]) -> None:
    async def charge(step_context: Any, amount: int) -> int:
        return amount

    with pytest.raises(ValidationError) as raised:
        decorate(charge)
    message = str(raised.value)
    assert "charge" in message
    assert "synchronous" in message


def test_sync_functions_still_run() -> None:
    @durable_step
    def charge(step_context: Any, amount: int) -> int:
        return amount

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[Any]:
        return [
            context.step(charge(2)),
            context.step(functools.partial(lambda amount, _: amount, 3)),
            context.run_in_child_context(lambda child: child.step(lambda _: 4)),
        ]

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [2, 3, 4]
