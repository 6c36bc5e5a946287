"""Tests of the batch ETL job: a few malformed records are tolerated, too many stop the batch."""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationSubType
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.batch_etl.workflow import handler


def records(count: int, malformed: set[int]) -> list[dict[str, Any]]:
    """`count` records with amounts 1.00, 2.00, ...; the `malformed` ones have a bad amount."""
    return [
        {"id": f"r{i}", "amount": "n/a" if i in malformed else f"{i + 1}.00", "currency": "eur"}
        for i in range(count)
    ]


def max_items_in_flight(history: list[dict[str, Any]]) -> int:
    """The most map items started and not yet finished at once, from the history."""
    in_flight = peak = 0
    for event in history:
        if event.get("SubType") != "MapIteration":
            continue
        if event["EventType"] == "ContextStarted":
            in_flight += 1
            peak = max(peak, in_flight)
        elif event["EventType"] in ("ContextSucceeded", "ContextFailed"):
            in_flight -= 1
    return peak


@pytest.mark.durable_execution(handler=handler, lambda_function_name="batch_etl")
def test_malformed_records_within_tolerance_are_reported_and_the_rest_loaded(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"records": records(10, {2, 7})}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    # 2 of 10 is 20 %: not more than the tolerated 20 %.
    assert result.result == {
        "records": 10,
        "transformed": 8,
        "failed_indexes": [2, 7],
        "completion_reason": "ALL_COMPLETED",
        "loaded": {"rows": 8, "total_cents": (55 - 3 - 8) * 100},
    }
    batch = result.get_context("transform_records")
    assert batch.sub_type is OperationSubType.MAP
    items = batch.child_operations
    assert [item.name for item in items] == [f"map-item-{i}" for i in range(10)]
    failed = [i for i, item in enumerate(items) if item.status is OperationStatus.FAILED]
    assert failed == [2, 7]
    assert items[2].error.type.endswith("MalformedRecord")
    assert items[2].error.message == "record r2: bad amount"
    # A malformed record is not retried.
    assert items[2].get_step("transform").attempt == 1
    assert items[0].get_step("transform").result == {"id": "r0", "cents": 100, "currency": "EUR"}
    assert result.get_step("load").result == {"rows": 8, "total_cents": 4400}


@pytest.mark.durable_execution(handler=handler, lambda_function_name="batch_etl")
def test_too_many_malformed_records_stop_the_batch_and_load_nothing(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"records": records(10, {1, 4, 7})}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    report = result.result
    # 3 of 10 is 30 % > 20 %: the third failure decides the batch.
    assert report["completion_reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    assert report["failed_indexes"] == [1, 4, 7]
    assert report["loaded"] is None
    # The clean records that finished before the decision count; with five in flight,
    # records after the deciding one may have been among them.
    assert report["transformed"] <= 7
    batch = result.get_context("transform_records").result
    assert [item.index for item in batch.failed()] == [1, 4, 7]
    assert batch.success_count == report["transformed"]
    assert [op.name for op in result.operations] == ["transform_records"]
    with pytest.raises(Exception, match="load"):
        result.get_step("load")


@pytest.mark.durable_execution(handler=handler, lambda_function_name="batch_etl")
def test_a_clean_batch_runs_at_most_five_records_at_a_time(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"records": records(40, set())}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["transformed"] == 40
    assert result.result["failed_indexes"] == []
    assert result.result["completion_reason"] == "ALL_COMPLETED"
    assert result.result["loaded"] == {"rows": 40, "total_cents": sum(range(1, 41)) * 100}
    assert 1 <= max_items_in_flight(result.history) <= 5


@pytest.mark.durable_execution(handler=handler, lambda_function_name="batch_etl")
def test_an_empty_batch_loads_nothing_and_completes(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"records": []}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "records": 0,
        "transformed": 0,
        "failed_indexes": [],
        "completion_reason": "ALL_COMPLETED",
        "loaded": {"rows": 0, "total_cents": 0},
    }
