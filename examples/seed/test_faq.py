"""Seed "FAQ": each step-related answer, checked against what the runner records."""

import pytest

from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed import faq
from examples.seed.faq import (
    Charges,
    handler_charge,
    handler_error_details,
    handler_loop,
    handler_retries_exhausted,
    handler_specific_exceptions,
)
from examples.seed.seed_history import assert_jittered, failed_attempts, retry_delays

# --- How do I retry only specific exceptions? --------------------------------------------------


@pytest.mark.parametrize("error", ["ConnectionError", "TimeoutError"])
@pytest.mark.durable_execution(handler=handler_specific_exceptions, lambda_function_name="faq")
def test_listed_exceptions_are_retried(durable_runner, error):
    with durable_runner:
        result = durable_runner.run(input={"error": error}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == error
    assert result.error["message"] == "price lookup failed on attempt 3"
    assert result.get_step("lookup_price").attempt == 3
    assert_jittered(retry_delays(result, "lookup_price"), [5, 10], JitterStrategy.FULL)


@pytest.mark.durable_execution(handler=handler_specific_exceptions, lambda_function_name="faq")
def test_other_exceptions_are_not_retried(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"error": "KeyError"}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "KeyError"
    assert result.get_step("lookup_price").attempt == 1


# --- What happens when retries are exhausted? / maximum number of retry attempts -------------


@pytest.mark.durable_execution(handler=handler_retries_exhausted, lambda_function_name="faq")
def test_exhausted_step_checkpoints_the_error_and_raises_it_in_the_handler(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["seat"] is None
    assert "no seat on attempt 6" in result.result["error"]
    step = result.get_step("reserve_seat")
    assert step.attempt == 6  # "The default is 6 attempts"
    assert step.error.type == "RuntimeError"
    assert step.error.message == "no seat on attempt 6"
    assert len(failed_attempts(result, "reserve_seat")) == 6


# --- How do I prevent duplicate operations on retry? -------------------------------------------


@pytest.mark.durable_execution(handler=handler_charge, lambda_function_name="faq")
def test_default_semantics_may_repeat_a_side_effect_within_an_attempt(durable_runner, monkeypatch):
    charges = Charges()
    monkeypatch.setattr(faq, "CHARGES", charges)
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"charged": True, "attempt": 1}
    assert charges.attempts == [1, 1]  # charged twice in attempt 1


@pytest.mark.durable_execution(handler=handler_charge, lambda_function_name="faq")
def test_at_most_once_runs_the_side_effect_at_most_once_per_attempt(durable_runner, monkeypatch):
    charges = Charges()
    monkeypatch.setattr(faq, "CHARGES", charges)
    with durable_runner:
        result = durable_runner.run(input={"at_most_once": True}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"charged": True, "attempt": 2}
    assert charges.attempts == [1, 2]  # never twice in the same attempt
    (failure,) = failed_attempts(result, "charge_card")
    assert failure["Error"]["Payload"]["ErrorType"] == "StepInterruptedError"


# --- Can I access error details in my code? ----------------------------------------------------


@pytest.mark.durable_execution(handler=handler_error_details, lambda_function_name="faq")
def test_deterministic_handler_prints_nothing(durable_runner, monkeypatch, capsys):
    monkeypatch.setattr(faq, "OPERATION_PICKS", ["operation_a"])
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "a"
    assert capsys.readouterr().out == ""


@pytest.mark.durable_execution(handler=handler_error_details, lambda_function_name="faq")
def test_non_deterministic_step_id_is_available_but_the_failure_is_sticky(
    durable_runner, monkeypatch, capsys
):
    monkeypatch.setattr(faq, "OPERATION_PICKS", ["operation_a", "operation_b"])
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    step = result.get_step("operation_a")  # what the first invocation checkpointed
    assert capsys.readouterr().out == f"Non-deterministic step: {step.operation_id}\n"
    # Catching it does not turn it into success: the failure is sticky.
    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "NonDeterministicExecutionError"
    assert result.error["termination_reason"] == "NON_DETERMINISTIC_EXECUTION"
    assert "operation_a" in result.error["message"]
    assert "operation_b" in result.error["message"]


# --- How do I handle errors in parallel operations? --------------------------------------------


@pytest.mark.durable_execution(handler=handler_loop, lambda_function_name="faq")
def test_each_item_failure_is_kept_in_the_results(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"items": [1, -2, 3]}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    ok_1, failed, ok_3 = result.result
    assert ok_1 == {"item": 1, "square": 1}
    assert ok_3 == {"item": 3, "square": 9}
    assert "cannot process negative item -2" in failed["error"]
    assert result.get_step("process_-2").attempt == 6  # default retries, then caught
    assert result.get_step("process_3").attempt == 1
