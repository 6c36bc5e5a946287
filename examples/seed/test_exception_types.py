"""Seed "Exception types": what each SDK exception does when raised, caught or left uncaught."""

import logging

import pytest

from aws_durable_execution_sdk_python import ValidationError
from aws_durable_execution_sdk_python.config import CallbackConfig, JitterStrategy
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed import exception_types
from examples.seed.exception_types import (
    FlakyService,
    Interruptions,
    base_exceptions_snippet,
    handler_any_sdk_error,
    handler_execution_error,
    handler_invocation_error,
    handler_serdes,
    handler_serdes_caught,
    handler_step_interrupted,
    handler_step_interrupted_with_config,
    handler_unrecoverable,
    handler_validation,
    handler_validation_wait,
    unrecoverable_snippet,
)
from examples.seed.seed_history import assert_jittered, failed_attempts, retry_delays


def invocation_error_types(result):
    """The ErrorType of each invocation (None for one that did not fail)."""
    return [
        details.get("Error", {}).get("Payload", {}).get("ErrorType")
        for details in result.invocations
    ]


# --- Base exceptions ---------------------------------------------------------------------


def test_base_exceptions_snippet_runs(capsys):
    base_exceptions_snippet()
    assert capsys.readouterr().out == ""  # nothing in the try, nothing to handle


@pytest.mark.parametrize(
    ("code", "caught", "text"),
    [
        ("empty_name", "ValidationError", "name"),
        ("failed_step", "StepError", "no such record"),
    ],
)
@pytest.mark.durable_execution(handler=handler_any_sdk_error, lambda_function_name="base_errors")
def test_durable_executions_error_catches_any_sdk_exception(
    durable_runner, capsys, code, caught, text
):
    with durable_runner:
        result = durable_runner.run(input={"code": code}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["caught"] == caught
    assert text in result.result["message"]
    assert f"SDK error: {result.result['message']}" in capsys.readouterr().out


def test_unrecoverable_snippet_runs(capsys):
    unrecoverable_snippet()
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("kind", "step_name", "reason", "recorded_failures"),
    [
        # ExecutionError: the step's failure is checkpointed once, never retried.
        ("execution", "reject_order", "EXECUTION_ERROR", 1),
        # InvocationError: bypasses the step's retry, records nothing, fails the invocation.
        ("invocation", "call_unavailable_service", "INVOCATION_ERROR", 0),
    ],
)
@pytest.mark.durable_execution(handler=handler_unrecoverable, lambda_function_name="unrecoverable")
def test_unrecoverable_errors_carry_termination_reason(
    durable_runner, capsys, kind, step_name, reason, recorded_failures
):
    with durable_runner:
        result = durable_runner.run(input={"raise": kind}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"termination_reason": reason}
    assert f"Execution terminated: TerminationReason.{reason}" in capsys.readouterr().out
    assert len(failed_attempts(result, step_name)) == recorded_failures
    assert retry_delays(result, step_name) == []  # neither kind goes through the retry strategy
    assert result.invocation_count == 1


# --- Validation errors -------------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_validation, lambda_function_name="validation")
def test_validation_error_from_create_callback(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["error"] == "InvalidConfiguration"
    # The message names the parameter and the bad value.
    assert "timeout_seconds" in result.result["message"]
    assert "-1" in result.result["message"]
    assert result.get_all_operations() == []  # raised before anything was checkpointed


def test_negative_callback_timeout_is_a_validation_error():
    with pytest.raises(ValidationError, match="timeout_seconds"):
        CallbackConfig(timeout_seconds=-1)


@pytest.mark.durable_execution(handler=handler_validation_wait, lambda_function_name="validation")
def test_validation_error_is_raised_before_anything_is_checkpointed(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["error"] == "InvalidConfiguration"
    assert "negative" in result.result["message"]
    assert result.get_all_operations() == []


# --- Execution errors --------------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_execution_error, lambda_function_name="exec_error")
def test_execution_error_not_raised_for_valid_data(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"required_field": "present"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"processed": True}


@pytest.mark.durable_execution(handler=handler_execution_error, lambda_function_name="exec_error")
def test_execution_error_fails_without_retry(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["message"] == "Required field missing"
    assert result.error["termination_reason"] == "EXECUTION_ERROR"
    step = result.get_step("process_data")
    assert step.attempt == 1
    assert retry_delays(result, "process_data") == []
    assert result.invocation_count == 1


# --- Invocation errors -------------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_invocation_error, lambda_function_name="inv_error")
def test_invocation_error_makes_lambda_invoke_again(durable_runner, monkeypatch):
    service = FlakyService(failures=1)
    monkeypatch.setattr(exception_types, "API", service)
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"service": "ok", "calls": 2}
    assert invocation_error_types(result) == ["InvocationError", None]
    # The step's own retry strategy was bypassed: attempt 1, run again by the new invocation.
    assert result.get_step("call_external_service").attempt == 1
    assert failed_attempts(result, "call_external_service") == []


@pytest.mark.durable_execution(
    handler=handler_invocation_error, lambda_function_name="inv_error", invocation_retries=2
)
def test_invocation_error_until_invocation_retries_run_out(durable_runner, monkeypatch):
    service = FlakyService(failures=100)
    monkeypatch.setattr(exception_types, "API", service)
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "InvocationError"
    assert result.error["message"] == "Service unavailable"
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    assert invocation_error_types(result) == ["InvocationError"] * 3
    assert service.calls == 3


# --- Step interrupted errors ---------------------------------------------------------------


def interrupted_warnings(caplog):
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Step interrupted")]


@pytest.mark.durable_execution(handler=handler_step_interrupted, lambda_function_name="interrupted")
def test_interrupted_step_with_default_semantics_runs_again(durable_runner, monkeypatch, caplog):
    """AT_LEAST_ONCE_PER_RETRY (the default): the new invocation simply runs the step again."""
    interruptions = Interruptions(crashes=1)
    monkeypatch.setattr(exception_types, "INTERRUPTIONS", interruptions)
    with caplog.at_level(logging.WARNING), durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"finished_on_attempt": 1}
    assert interruptions.runs == [1, 1]  # the same attempt ran twice
    assert invocation_error_types(result) == ["Runtime.ExitError", None]
    assert failed_attempts(result, "long_running_operation") == []
    assert interrupted_warnings(caplog) == []  # no StepInterruptedError with these semantics


@pytest.mark.durable_execution(
    handler=handler_step_interrupted_with_config, lambda_function_name="interrupted"
)
def test_interrupted_at_most_once_step_is_a_failed_attempt_then_retried(
    durable_runner, monkeypatch, caplog
):
    """AT_MOST_ONCE_PER_RETRY: the interruption is a failed attempt; the retry strategy retries."""
    interruptions = Interruptions(crashes=1)
    monkeypatch.setattr(exception_types, "INTERRUPTIONS", interruptions)
    with caplog.at_level(logging.WARNING), durable_runner:
        result = durable_runner.run(input={"config": "at_most_once"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"finished_on_attempt": 2}
    assert interruptions.runs == [1, 2]  # never twice in one attempt
    (failure,) = failed_attempts(result, "long_running_operation")
    assert failure["Error"]["Payload"]["ErrorType"] == "StepInterruptedError"
    # Default strategy: first retry after 5 s before FULL jitter.
    assert_jittered(retry_delays(result, "long_running_operation"), [5], JitterStrategy.FULL)
    assert result.get_step("long_running_operation").attempt == 2
    assert interrupted_warnings(caplog) == []  # the handler never saw it


@pytest.mark.durable_execution(
    handler=handler_step_interrupted_with_config, lambda_function_name="interrupted"
)
def test_interrupted_at_most_once_step_without_retry_reaches_the_handler(
    durable_runner, monkeypatch, caplog
):
    interruptions = Interruptions(crashes=1)
    monkeypatch.setattr(exception_types, "INTERRUPTIONS", interruptions)
    with caplog.at_level(logging.WARNING), durable_runner:
        result = durable_runner.run(input={"config": "at_most_once_no_retry"}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "StepInterruptedError"
    assert result.error["termination_reason"] == "STEP_INTERRUPTED"
    assert interruptions.runs == [1]
    step = result.get_step("long_running_operation")
    assert interrupted_warnings(caplog) == [f"Step interrupted: {step.operation_id}"]


# --- Serialization errors ----------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_serdes, lambda_function_name="serdes")
def test_serializable_step_result(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"data": {"n": [1, 2, 3]}}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"result": {"n": [1, 2, 3]}}


@pytest.mark.durable_execution(handler=handler_serdes, lambda_function_name="serdes")
def test_unserializable_step_result_fails_with_serdes_error(durable_runner):
    """The step body returns before serialisation, so its own ``except SerDesError`` can't fire."""
    with durable_runner:
        result = durable_runner.run(input={"unserializable": True}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "SerDesError"
    assert result.error["termination_reason"] == "SERIALIZATION_ERROR"
    assert "process_complex_data" in result.error["message"]
    assert retry_delays(result, "process_complex_data") == []  # not retried


@pytest.mark.durable_execution(handler=handler_serdes_caught, lambda_function_name="serdes")
def test_serdes_error_caught_at_the_call_site(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"error": "Cannot serialize result"}
