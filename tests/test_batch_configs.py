"""Batch configurations and regressions of ``context.map`` and ``context.parallel``.

A table of invalid configurations (ValidationError before anything is checkpointed) and a
check that first-run map results are the objects the items returned. Which items start, and
how they are counted, is in ``test_batch_admission``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, ValidationError, durable_execution
from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig, ParallelConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

# -- first-run results -------------------------------------------------------------------------

RAW_RESULT = {"nested": [1, 2, 3]}


@durable_execution
def raw_result_handler(event: Any, context: DurableContext) -> dict[str, Any]:
    batch = context.map([0, 1], lambda child, item, index, items: RAW_RESULT, name="raw")
    return {"raw": [item.result is RAW_RESULT for item in batch.all]}


def test_first_run_map_items_hold_the_raw_returned_objects() -> None:
    with DurableFunctionTestRunner(raw_result_handler) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == {"raw": [True, True]}


# -- invalid configurations ------------------------------------------------------------------

INVALID_CONFIGS = [
    pytest.param("max_concurrency", {"max_concurrency": 0}, id="max_concurrency=0"),
    pytest.param("max_concurrency", {"max_concurrency": -1}, id="max_concurrency=-1"),
    pytest.param("max_concurrency", {"max_concurrency": 1.5}, id="max_concurrency=1.5"),
    pytest.param("tolerated_failure_percentage", {"pct": -1}, id="percentage=-1"),
    pytest.param("tolerated_failure_percentage", {"pct": 101}, id="percentage=101"),
    pytest.param("tolerated_failure_percentage", {"pct": math.nan}, id="percentage=nan"),
    pytest.param("min_successful", {"min_successful": 0}, id="min_successful=0"),
    pytest.param("min_successful", {"min_successful": 4}, id="min_successful>items"),
    pytest.param("tolerated_failure_count", {"count": -1}, id="tolerated_failure_count=-1"),
]
ITEMS = 3


def _invalid_batch(context: DurableContext, kind: str, bad: dict[str, Any]) -> None:
    completion = CompletionConfig(
        min_successful=bad.get("min_successful"),
        tolerated_failure_count=bad.get("count"),
        tolerated_failure_percentage=bad.get("pct"),
    )
    if kind == "map":
        map_config = MapConfig(
            max_concurrency=bad.get("max_concurrency"), completion_config=completion
        )
        context.map(list(range(ITEMS)), lambda child, item, index, items: item, config=map_config)
    else:
        parallel_config = ParallelConfig(
            max_concurrency=bad.get("max_concurrency"), completion_config=completion
        )
        branches = [lambda child, i=i: i for i in range(ITEMS)]
        context.parallel(branches, config=parallel_config)


@durable_execution
def invalid_config_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    try:
        _invalid_batch(context, event["kind"], event["bad"])
    except ValidationError as error:
        return {"caught": type(error).__name__, "message": str(error)}
    return {"caught": None}


@pytest.mark.parametrize("kind", ["map", "parallel"])
@pytest.mark.parametrize(("field_name", "bad"), INVALID_CONFIGS)
def test_invalid_config_raises_validation_error_before_any_checkpoint(
    kind: str, field_name: str, bad: dict[str, Any]
) -> None:
    with DurableFunctionTestRunner(invalid_config_handler) as runner:
        result = runner.run(input={"kind": kind, "bad": bad}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["caught"] == "ValidationError"
    assert field_name in result.result["message"]
    # Nothing was checkpointed: no Map/Parallel context, no items, no operations at all.
    assert list(result.operations) == []
    assert [e["EventType"] for e in result.history] == [
        "ExecutionStarted",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert not any(e["EventType"] == "ContextStarted" for e in result.history)


def test_valid_edge_configs_are_accepted() -> None:
    """The boundaries of the invalid table are valid (so the table tests the boundaries)."""
    CompletionConfig(min_successful=1, tolerated_failure_count=0, tolerated_failure_percentage=0)
    CompletionConfig(tolerated_failure_percentage=100)
    CompletionConfig(min_successful=ITEMS).validate_for_total(ITEMS)
    MapConfig(max_concurrency=1)
    ParallelConfig(max_concurrency=1)
