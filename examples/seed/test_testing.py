"""Seed "Testing": its six tests as written, each followed by checks of what it implies."""

import pytest

from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed.my_function import (
    handler,
    handler_always_fails,
    handler_with_error,
    handler_with_invalid_config,
    handler_with_retry,
    handler_with_validation,
)
from examples.seed.seed_history import retry_delays


@pytest.mark.durable_execution(
    handler=handler,
    lambda_function_name="my_function",
)
def test_success(durable_runner):
    """Test successful execution."""
    with durable_runner:
        result = durable_runner.run(input={"data": "test"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"data": "TEST"}
    assert "function:my_function" in result.execution_arn


@pytest.mark.durable_execution(
    handler=handler_with_validation,
    lambda_function_name="validation_function",
)
def test_input_validation(durable_runner):
    """Test input validation handling."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    # Function should return error response for invalid input
    assert result.status is InvocationStatus.SUCCEEDED
    assert "error" in result.result
    assert result.result["error"] == "InvalidInput"
    assert result.get_all_operations() == []


@pytest.mark.durable_execution(
    handler=handler_with_invalid_config,
    lambda_function_name="sdk_validation_function",
)
def test_sdk_validation_error(durable_runner):
    """Test SDK validation error handling."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    # SDK should catch invalid configuration
    assert result.status is InvocationStatus.FAILED
    assert "ValidationError" in str(result.error)
    # "Fails immediately": one invocation, nothing checkpointed, the bad value named.
    assert "max_attempts=0" in result.error["message"]
    assert result.invocation_count == 1
    assert result.get_all_operations() == []


@pytest.mark.durable_execution(
    handler=handler_with_retry,
    lambda_function_name="retry_function",
)
def test_retry_success(durable_runner):
    """Test that retries eventually succeed."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=30)

    # Should succeed after retries
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"fetched": True, "attempt": 3}
    assert result.get_step("flaky_fetch").attempt == 3
    assert retry_delays(result, "flaky_fetch") == [1, 2]


@pytest.mark.durable_execution(
    handler=handler_always_fails,
    lambda_function_name="failing_function",
)
def test_retry_exhausted(durable_runner):
    """Test that execution fails after exhausting retries."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=30)

    # Should fail after all retries
    assert result.status is InvocationStatus.FAILED
    assert "RuntimeError" in str(result.error)
    assert result.error["message"] == "permanent outage (attempt 3)"
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"
    assert result.get_step("broken_fetch").attempt == 3
    assert retry_delays(result, "broken_fetch") == [1, 2]


@pytest.mark.durable_execution(
    handler=handler_with_error,
    lambda_function_name="error_function",
)
def test_error_details(durable_runner):
    """Test error details are captured."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    # Check error details
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert "error_type" in result.error
    assert "message" in result.error
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["message"] == "Order validation failed"
    assert result.error["termination_reason"] == "EXECUTION_ERROR"
    assert any("validate_order" in line for line in result.error["stack_trace"])


@pytest.mark.durable_execution(handler=handler_with_error, lambda_function_name="error_function")
def test_error_stack_trace_shows_where_the_step_raised(durable_runner):
    """The seed's error response: ``File ..., in process_order`` / ``raise ExecutionError(...)``."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    trace = "\n".join(result.error["stack_trace"])
    assert "in validate_order" in trace
    assert 'raise ExecutionError("Order validation failed")' in trace
