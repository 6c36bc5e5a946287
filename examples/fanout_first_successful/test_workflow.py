"""Tests of the quote fan-out: the first provider to answer wins; the slow one is not awaited."""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationSubType
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.fanout_first_successful.workflow import handler


@pytest.mark.durable_execution(handler=handler, lambda_function_name="quote_fanout")
def test_the_first_provider_to_answer_wins_without_waiting_for_the_slow_one(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"item": "sku-42"}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["winner"] == {"provider": "express", "item": "sku-42", "price_cents": 1400}
    assert result.result["completion_reason"] == "MIN_SUCCESSFUL_REACHED"
    statuses = result.result["statuses"]
    assert statuses["express"] == "SUCCEEDED"
    assert statuses["bulk"] == "STARTED"  # still in its 30 s queue when express answered
    # primary fails at once; it is FAILED unless express answered first (a race).
    assert statuses["primary"] in ("FAILED", "STARTED")
    # One invocation: the 30 s wait was never awaited, the slow provider never called.
    assert result.invocation_count == 1
    quotes = result.get_context("quotes")
    assert quotes.sub_type is OperationSubType.PARALLEL
    assert [branch.name for branch in quotes.child_operations] == ["primary", "bulk", "express"]
    assert {branch.sub_type for branch in quotes.child_operations} == {
        OperationSubType.PARALLEL_BRANCH
    }
    bulk = quotes.get_context("bulk")
    assert bulk.status is OperationStatus.STARTED
    assert bulk.get_wait("bulk queue").status is OperationStatus.STARTED
    assert [op.name for op in bulk.child_operations] == ["bulk queue"]
    batch = quotes.result
    assert batch.completion_reason.value == "MIN_SUCCESSFUL_REACHED"
    assert batch.success_count == 1
    assert batch.get_results() == [result.result["winner"]]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="quote_fanout")
def test_when_only_the_slow_provider_is_up_it_wins_after_its_wait(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"item": "sku-7", "down": ["primary", "express"]}, timeout=10
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "winner": {"provider": "bulk", "item": "sku-7", "price_cents": 950},
        # The winner is the last branch to finish: all done wins over min_successful.
        "completion_reason": "ALL_COMPLETED",
        "statuses": {"primary": "FAILED", "bulk": "SUCCEEDED", "express": "FAILED"},
    }
    # The wait suspended the execution; the next invocation replayed and called bulk.
    assert result.invocation_count == 2
    wait = result.get_context("quotes").get_context("bulk").get_wait("bulk queue")
    assert (wait.end_timestamp - wait.start_timestamp).total_seconds() >= 30


@pytest.mark.durable_execution(handler=handler, lambda_function_name="quote_fanout")
def test_when_every_provider_is_down_the_execution_fails(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"item": "sku-9", "down": ["primary", "bulk", "express"]}, timeout=10
        )

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ExecutionError"
    assert "no provider answered" in result.error["message"]
    for provider in ("primary", "bulk", "express"):
        assert f"{provider} is unavailable" in result.error["message"]
    batch = result.get_context("quotes").result
    assert batch.completion_reason.value == "ALL_COMPLETED"
    assert batch.failure_count == 3
