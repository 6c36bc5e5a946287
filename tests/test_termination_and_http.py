"""One public function maps an error (instance or ``ErrorType`` name) to its termination reason.

docs/decisions.md, "Termination reasons and HTTP status".

``termination_reason_for`` covers all eight reasons of the seed; unknown user errors are
``UNHANDLED_ERROR``. The runner uses it for ``result.error["termination_reason"]``.

``responses.error_response`` gives the seed's error response and ``responses.http_status_for``
the HTTP status (200 / 202 / 400 / 500 / 503) for API Gateway and function URLs.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    CallbackError,
    CheckpointError,
    ExecutionError,
    InvocationError,
    NonDeterministicExecutionError,
    SerDesError,
    StepError,
    StepInterruptedError,
    TerminationReason,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    DurableApiErrorCategory,
    GetExecutionStateError,
    error_type_name,
    termination_reason_for,
)
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus


class PaymentDeclinedError(ExecutionError):
    """A user subclass of ExecutionError, importable by its module-qualified name."""


class PlainUserError(Exception):
    pass


R = TerminationReason

INSTANCES = [
    pytest.param(ValueError("x"), R.UNHANDLED_ERROR, id="ValueError"),
    pytest.param(PlainUserError("x"), R.UNHANDLED_ERROR, id="user-error"),
    pytest.param(StepError("x"), R.UNHANDLED_ERROR, id="StepError"),
    pytest.param(InvocationError("x"), R.INVOCATION_ERROR, id="InvocationError"),
    pytest.param(GetExecutionStateError("x"), R.INVOCATION_ERROR, id="GetExecutionStateError"),
    pytest.param(BotoClientError("x"), R.INVOCATION_ERROR, id="BotoClientError"),
    pytest.param(ExecutionError("x"), R.EXECUTION_ERROR, id="ExecutionError"),
    pytest.param(PaymentDeclinedError("x"), R.EXECUTION_ERROR, id="ExecutionError-subclass"),
    pytest.param(CheckpointError("x"), R.CHECKPOINT_FAILED, id="CheckpointError"),
    pytest.param(
        CheckpointError("x", DurableApiErrorCategory.EXECUTION),
        R.CHECKPOINT_FAILED,
        id="CheckpointError-fatal",
    ),
    pytest.param(
        NonDeterministicExecutionError("x", step_id="1"),
        R.NON_DETERMINISTIC_EXECUTION,
        id="NonDeterministicExecutionError",
    ),
    pytest.param(StepInterruptedError("x", step_id="1"), R.STEP_INTERRUPTED, id="StepInterrupted"),
    pytest.param(CallbackError("x"), R.CALLBACK_ERROR, id="CallbackError"),
    pytest.param(CallbackTimeoutError("x"), R.CALLBACK_ERROR, id="CallbackTimeoutError"),
    pytest.param(CallbackExternalError("x"), R.CALLBACK_ERROR, id="CallbackExternalError"),
    pytest.param(CallbackSubmitterError("x"), R.CALLBACK_ERROR, id="CallbackSubmitterError"),
    pytest.param(SerDesError("x"), R.SERIALIZATION_ERROR, id="SerDesError"),
]

NAMES = [
    pytest.param("ValueError", R.UNHANDLED_ERROR, id="ValueError"),
    pytest.param("KeyError", R.UNHANDLED_ERROR, id="KeyError"),
    pytest.param(f"{__name__}.PlainUserError", R.UNHANDLED_ERROR, id="user-error"),
    pytest.param("no_such_module.NoSuchError", R.UNHANDLED_ERROR, id="unknown-qualified"),
    pytest.param("NoSuchError", R.UNHANDLED_ERROR, id="unknown"),
    pytest.param("", R.UNHANDLED_ERROR, id="empty"),
    pytest.param("StepError", R.UNHANDLED_ERROR, id="StepError"),
    pytest.param("InvocationError", R.INVOCATION_ERROR, id="InvocationError"),
    pytest.param("Runtime.ExitError", R.UNHANDLED_ERROR, id="Runtime.ExitError"),
    pytest.param("Sandbox.Timedout", R.UNHANDLED_ERROR, id="Sandbox.Timedout"),
    pytest.param("ExecutionError", R.EXECUTION_ERROR, id="ExecutionError"),
    pytest.param(f"{__name__}.PaymentDeclinedError", R.EXECUTION_ERROR, id="ExecErr-subclass"),
    pytest.param("CheckpointError", R.CHECKPOINT_FAILED, id="CheckpointError"),
    pytest.param(
        "NonDeterministicExecutionError",
        R.NON_DETERMINISTIC_EXECUTION,
        id="NonDeterministicExecutionError",
    ),
    pytest.param("StepInterruptedError", R.STEP_INTERRUPTED, id="StepInterruptedError"),
    pytest.param("CallbackError", R.CALLBACK_ERROR, id="CallbackError"),
    pytest.param("CallbackTimeoutError", R.CALLBACK_ERROR, id="CallbackTimeoutError"),
    pytest.param("SerDesError", R.SERIALIZATION_ERROR, id="SerDesError"),
]


def test_there_are_exactly_the_eight_seed_reasons() -> None:
    assert {r.value for r in TerminationReason} == {
        "UNHANDLED_ERROR",
        "INVOCATION_ERROR",
        "EXECUTION_ERROR",
        "CHECKPOINT_FAILED",
        "NON_DETERMINISTIC_EXECUTION",
        "STEP_INTERRUPTED",
        "CALLBACK_ERROR",
        "SERIALIZATION_ERROR",
    }
    assert all(r.name == r.value for r in TerminationReason)


@pytest.mark.parametrize(("error", "reason"), INSTANCES)
def test_reason_for_exception_instance(error: BaseException, reason: TerminationReason) -> None:
    assert termination_reason_for(error) is reason


@pytest.mark.parametrize(("name", "reason"), NAMES)
def test_reason_for_error_type_name(name: str, reason: TerminationReason) -> None:
    assert termination_reason_for(name) is reason


def test_reason_for_none_is_unhandled() -> None:
    assert termination_reason_for(None) is TerminationReason.UNHANDLED_ERROR


@pytest.mark.parametrize(("error", "reason"), INSTANCES)
def test_instance_and_its_type_name_agree(error: BaseException, reason: TerminationReason) -> None:
    """What the runner reads back from the wire (a name) maps like the live exception."""
    assert termination_reason_for(error_type_name(type(error))) is reason


def test_unrecoverable_error_reason_attribute_is_used_for_instances() -> None:
    error = InvocationError("x", termination_reason=TerminationReason.CHECKPOINT_FAILED)
    assert termination_reason_for(error) is TerminationReason.CHECKPOINT_FAILED


@pytest.mark.parametrize(
    ("raised", "reason"),
    [
        pytest.param(ValueError("x"), R.UNHANDLED_ERROR, id="ValueError"),
        pytest.param(PaymentDeclinedError("x"), R.EXECUTION_ERROR, id="ExecutionError-subclass"),
    ],
)
def test_failed_step_error_maps_by_its_original_class(
    raised: Exception, reason: TerminationReason
) -> None:
    caught: list[BaseException] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(_: Any) -> None:
            raise raised

        try:
            context.step(body, name="s", config=StepConfig(RetryPresets.none()))
        except StepError as error:
            caught.append(error)
        return "ok"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    [error] = caught
    assert termination_reason_for(error) is reason


def test_runner_reports_reason_from_the_mapping() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        raise PaymentDeclinedError("card declined")

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == f"{__name__}.PaymentDeclinedError"
    assert result.error["termination_reason"] == "EXECUTION_ERROR"
    assert result.termination_reason == "EXECUTION_ERROR"
    assert "PaymentDeclinedError" in str(result.error)
    assert "termination_reason=EXECUTION_ERROR" in str(result.error)


def test_seed_error_response_format() -> None:
    from aws_durable_execution_sdk_python.responses import error_response

    def fail() -> None:
        raise ExecutionError("Order validation failed")

    try:
        fail()
    except ExecutionError as error:
        response = error_response(error)
    assert response["errorType"] == "ExecutionError"
    assert response["errorMessage"] == "Order validation failed"
    assert response["termination_reason"] == "EXECUTION_ERROR"
    assert any("in fail" in line for line in response["stackTrace"])
    trace = "\n".join(response["stackTrace"])
    assert 'raise ExecutionError("Order validation failed")' in trace


def test_error_response_from_a_failed_result() -> None:
    from aws_durable_execution_sdk_python.responses import error_response

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        context.step(
            lambda _: (_ for _ in ()).throw(KeyError("k")),
            name="s",
            config=StepConfig(RetryPresets.none()),
        )

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run()
    response = error_response(result.error.to_error_object())
    assert response["errorType"] == "KeyError"
    assert response["termination_reason"] == "UNHANDLED_ERROR"


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ({"Status": "SUCCEEDED", "Result": "1"}, 200),
        ({"Status": "PENDING"}, 202),
        ({"Status": "FAILED", "Error": {"ErrorType": "ValidationError", "ErrorMessage": "x"}}, 400),
        ({"Status": "FAILED", "Error": {"ErrorType": "ExecutionError", "ErrorMessage": "x"}}, 500),
        ({"Status": "FAILED", "Error": {"ErrorType": "ValueError", "ErrorMessage": "x"}}, 500),
        ({"Status": "FAILED", "Error": {"ErrorType": "InvocationError", "ErrorMessage": "x"}}, 503),
        (ValidationError("bad"), 400),
        (InvocationError("again"), 503),
        (CheckpointError("throttled"), 503),
        (CheckpointError("bad", error_category=DurableApiErrorCategory.EXECUTION), 500),
        (ExecutionError("no"), 500),
        (RuntimeError("boom"), 500),
    ],
)
def test_http_status_mapping(outcome: Any, status: int) -> None:
    from aws_durable_execution_sdk_python.responses import http_status_for

    assert http_status_for(outcome) == status
