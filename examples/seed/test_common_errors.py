"""Seed "Common error scenarios": each handler's answer for good input and each failure mode."""

from collections import Counter

import pytest

from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed import common_errors
from examples.seed.common_errors import (
    handler_input_validation,
    handler_multiple,
    handler_permanent,
    handler_transient,
)
from examples.seed.seed_history import assert_jittered, failed_attempts, retry_delays

ENDPOINT = "https://api.example.com/orders"


@pytest.fixture(autouse=True)
def fresh_call_counts(monkeypatch):
    calls = Counter()
    monkeypatch.setattr(common_errors, "CALLS", calls)
    return calls


def invocation_error_types(result):
    return [d.get("Error", {}).get("Payload", {}).get("ErrorType") for d in result.invocations]


# --- Handling input validation -------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, "user_id is required"),
        ({"action": "delete"}, "user_id is required"),
        ({"user_id": "u-1"}, "action is required"),
        ({"user_id": "u-1", "action": ""}, "action is required"),
    ],
)
@pytest.mark.durable_execution(handler=handler_input_validation, lambda_function_name="input")
def test_invalid_input_returns_error_response(durable_runner, event, message):
    with durable_runner:
        result = durable_runner.run(input=event, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"error": "InvalidInput", "message": message}
    assert result.get_all_operations() == []  # validated before any durable operation


@pytest.mark.durable_execution(handler=handler_input_validation, lambda_function_name="input")
def test_valid_input_is_processed(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"user_id": "u-1", "action": "delete"}, timeout=10)

    expected = {"user_id": "u-1", "action": "delete", "status": "completed"}
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == expected
    assert result.get_step("process_action").result == expected


# --- Handling transient failures -----------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_transient, lambda_function_name="transient")
def test_transient_call_succeeds_first_time(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"endpoint": ENDPOINT}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "status": "success",
        "data": {"endpoint": ENDPOINT, "status_code": 200, "calls": 1},
    }
    assert result.get_step("call_external_api").attempt == 1


@pytest.mark.durable_execution(handler=handler_transient, lambda_function_name="transient")
def test_transient_failures_are_retried(durable_runner):
    endpoint = f"{ENDPOINT}?fail_first=2"
    with durable_runner:
        result = durable_runner.run(input={"endpoint": endpoint}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "success"
    assert result.result["data"]["calls"] == 3
    assert result.get_step("call_external_api").attempt == 3
    # transient preset: 5 s then 10 s before HALF jitter.
    assert_jittered(retry_delays(result, "call_external_api"), [5, 10], JitterStrategy.HALF)


@pytest.mark.durable_execution(handler=handler_transient, lambda_function_name="transient")
def test_transient_retries_exhausted(durable_runner, fresh_call_counts):
    endpoint = f"{ENDPOINT}?fail_first=99"
    with durable_runner:
        result = durable_runner.run(input={"endpoint": endpoint}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED  # the handler caught it
    assert result.result["status"] == "failed"
    assert "connection reset (call 3)" in result.result["error"]
    assert fresh_call_counts[endpoint] == 3  # the transient preset's 3 attempts
    assert result.get_step("call_external_api").attempt == 3


# --- Handling permanent failures -----------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_permanent, lambda_function_name="payment")
def test_valid_card_is_charged(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"amount": 25.5, "card": "4111111111111111"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "status": "success",
        "transaction": {"transaction_id": "txn_123", "amount": 25.5},
    }


@pytest.mark.durable_execution(handler=handler_permanent, lambda_function_name="payment")
def test_invalid_card_fails_fast(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"amount": 25.5, "card": "4111111111111112"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "failed"
    assert "Invalid card number" in result.result["error"]
    step = result.get_step("process_payment")
    assert step.attempt == 1  # ExecutionError is never retried
    assert step.error.type == "ExecutionError"
    assert retry_delays(result, "process_payment") == []


# --- Handling multiple error types -----------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_multiple, lambda_function_name="multiple")
def test_multiple_success(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"amount": 10}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"status": "success", "result": {"charged": 10, "calls": 1}}


@pytest.mark.durable_execution(handler=handler_multiple, lambda_function_name="multiple")
def test_multiple_value_error_is_invalid(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "invalid"
    assert "Data is required" in result.result["error"]
    # A plain ValueError goes through the default retry strategy (6 attempts) first.
    assert result.get_step("complex_operation").attempt == 6
    assert_jittered(
        retry_delays(result, "complex_operation"), [5, 10, 20, 40, 60], JitterStrategy.FULL
    )


@pytest.mark.durable_execution(handler=handler_multiple, lambda_function_name="multiple")
def test_multiple_execution_error_is_failed(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"amount": -5}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "failed"
    assert "Amount must be positive" in result.result["error"]
    assert result.get_step("complex_operation").attempt == 1


@pytest.mark.durable_execution(handler=handler_multiple, lambda_function_name="multiple")
def test_multiple_invocation_error_lets_lambda_retry(durable_runner, fresh_call_counts):
    with durable_runner:
        result = durable_runner.run(input={"amount": 10, "outages": 1}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"status": "success", "result": {"charged": 10, "calls": 2}}
    assert invocation_error_types(result) == ["InvocationError", None]
    assert failed_attempts(result, "complex_operation") == []  # the step recorded no failure


@pytest.mark.durable_execution(
    handler=handler_multiple, lambda_function_name="multiple", invocation_retries=3
)
def test_multiple_invocation_error_until_retries_run_out(durable_runner, fresh_call_counts):
    with durable_runner:
        result = durable_runner.run(input={"amount": 10, "outages": 100}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "InvocationError"
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    assert invocation_error_types(result) == ["InvocationError"] * 4
    assert fresh_call_counts["payment_service"] == 4
