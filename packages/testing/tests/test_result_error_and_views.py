"""``result.error`` is an ``ErrorObject``; typed getters refuse operations of another type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)
from aws_durable_execution_sdk_python_testing.runner import (
    CallbackOperation,
    ContextOperation,
    InvokeOperation,
    StepOperation,
    WaitOperation,
)


class OrderRejected(Exception):
    pass


@durable_execution
def rejects(event: dict, context: DurableContext) -> None:
    raise OrderRejected("order o-1 rejected")


@durable_execution
def one_of_each(event: dict, context: DurableContext) -> str:
    context.step(lambda _: 1, name="a step")
    context.wait(1, name="a wait")
    context.run_in_child_context(
        lambda child: child.step(lambda _: 2, name="inner"), name="a child"
    )
    callback = context.create_callback(name="a callback")
    context.invoke("target", {}, name="an invoke")
    return callback.result() or "done"


@durable_execution
def target(event: dict, context: DurableContext) -> str:
    return "invoked"


# --- result.error -------------------------------------------------------------------------


def _failed() -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(rejects) as runner:
        result = runner.run(input={})
    assert result.status is InvocationStatus.FAILED
    return result


def test_the_error_is_the_sdks_error_object():
    error = _failed().error
    assert isinstance(error, ErrorObject)
    assert error.message == "order o-1 rejected"
    assert error.type is not None and error.type.endswith("OrderRejected")
    assert error.data is None
    wire = error.to_dict()
    assert wire["ErrorMessage"] == "order o-1 rejected"
    assert wire["ErrorType"] == error.type
    assert wire.get("StackTrace") == error.stack_trace
    assert "termination_reason" not in wire  # not a wire field
    assert ErrorObject.from_dict(error.to_dict()) == error.to_error_object()


def test_the_error_keeps_its_mapping_and_termination_reason():
    error = _failed().error
    assert error is not None
    assert "error_type" in error
    assert "message" in error
    assert error["message"] == "order o-1 rejected"
    assert error["termination_reason"] == error.termination_reason == "UNHANDLED_ERROR"
    assert "OrderRejected" in str(error)
    assert error.error_type == error.type
    with pytest.raises(KeyError):
        error["ErrorMessage"]


# --- typed getters ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def each() -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(one_of_each) as runner:
        runner.register_durable_function("target", target)
        result = runner.run(input={}, callbacks={"a callback": "answered"})
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    return result


GETTERS: dict[str, tuple[Callable[[Any, str], Any], type]] = {
    "a step": (DurableFunctionTestResult.get_step, StepOperation),
    "a wait": (DurableFunctionTestResult.get_wait, WaitOperation),
    "a child": (DurableFunctionTestResult.get_context, ContextOperation),
    "a callback": (DurableFunctionTestResult.get_callback, CallbackOperation),
    "an invoke": (DurableFunctionTestResult.get_invoke, InvokeOperation),
}
WRONG = [
    pytest.param(name, getter_name, id=f"{getter_name}-on-{name}")
    for name in GETTERS
    for getter_name in GETTERS
    if getter_name != name
]


@pytest.mark.parametrize("name", list(GETTERS))
def test_each_getter_finds_its_own_type(each: DurableFunctionTestResult, name: str):
    getter, kind = GETTERS[name]
    assert type(getter(each, name)) is kind


@pytest.mark.parametrize(("name", "getter_name"), WRONG)
def test_a_getter_refuses_another_operation_type(
    each: DurableFunctionTestResult, name: str, getter_name: str
):
    getter, kind = GETTERS[getter_name]
    with pytest.raises(DurableFunctionsTestError, match=rf"not a {kind.__name__}"):
        getter(each, name)


def test_no_view_type_is_another_view_type():
    kinds = [kind for _getter, kind in GETTERS.values()]
    for kind in kinds:
        for other in kinds:
            assert kind is other or not issubclass(kind, other), (kind, other)


def test_the_getters_work_inside_a_context(each: DurableFunctionTestResult):
    child = each.get_context("a child")
    assert child.get_step("inner").result == 2
    with pytest.raises(DurableFunctionsTestError, match="not a ContextOperation"):
        child.get_context("inner")
