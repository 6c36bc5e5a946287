"""Tests of the order workflow: an hour's wait and minutes of backoff cost no real time."""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.order_processing.workflow import handler


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_processing")
def test_order_completes_after_retries_and_cooling_off(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"order_id": "o-1", "items": 3}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "order_id": "o-1",
        "reservation": "rsv-o-1",
        "transaction_id": "txn-o-1",
        "confirmation": "confirmation sent for o-1",
    }
    reserve = result.get_step("reserve_stock")
    assert reserve.attempt == 3
    delays = [
        event["StepFailedDetails"]["RetryDetails"]["NextAttemptDelaySeconds"]
        for event in result.history
        if event["EventType"] == "StepFailed"
    ]
    assert delays == [30, 60]
    wait = result.get_wait("cooling_off")
    assert (wait.end_timestamp - wait.start_timestamp).total_seconds() >= 3600
    assert result.get_step("charge_card").result == {"transaction_id": "txn-o-1", "amount": 30}


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_processing")
def test_invalid_order_fails_without_retrying(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"order_id": "o-2", "items": 0}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["termination_reason"] == "EXECUTION_ERROR"
    assert result.get_step("validate_order").attempt == 1
    assert [op.name for op in result.operations] == ["validate_order"]
