"""Seed "Getting started": the order handler succeeds, or turns a ValueError into a response."""

import pytest

from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed.getting_started import handler
from examples.seed.seed_history import assert_jittered, retry_delays


@pytest.mark.durable_execution(handler=handler, lambda_function_name="getting_started")
def test_order_is_processed(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"order_id": "order-42"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"order_id": "order-42", "status": "processed"}
    step = result.get_step("process_order")
    assert step.attempt == 1
    assert step.result == {"order_id": "order-42", "status": "processed"}


@pytest.mark.durable_execution(handler=handler, lambda_function_name="getting_started")
def test_missing_order_id_returns_structured_error(durable_runner):
    """1. ValueError raised from the step; 2. caught by the handler; 3. structured response."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    # The execution itself succeeds: the handler handled the error gracefully.
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.error is None
    assert result.result["error"] == "InvalidInput"
    assert "Order ID is required" in result.result["message"]
    # docs/decisions.md, "A failed step raises its original error": str() is the original's.
    assert result.result["message"] == "Order ID is required"

    # The step has no retry strategy, so the default one (6 attempts, 5 s initial delay, 60 s
    # cap, FULL jitter) retried the ValueError before the handler saw it.
    step = result.get_step("process_order")
    assert step.attempt == 6
    assert step.error.type == "ValueError"
    assert step.error.message == "Order ID is required"
    assert_jittered(retry_delays(result, "process_order"), [5, 10, 20, 40, 60], JitterStrategy.FULL)
