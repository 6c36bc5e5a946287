"""Which map/parallel items start, and how a ``BatchResult`` counts them.

``max_concurrency=None`` lets every item run at once (40 items meeting at one barrier finish);
a first-successful ``parallel`` starts its slow branch too and reports it as started. Items
start when the batch admits them into a free slot, so the counts follow from the items'
outcomes, never from thread timing: a table over completion configs and concurrency, each
scenario run several times (and replayed from the map's checkpoint), against an admission
model written independently of the engine. Never-started items are listed apart.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import pytest
from batch_reference import ItemFailure

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItemStatus,
    BatchResult,
    CompletionPolicy,
    CompletionReason,
)
from aws_durable_execution_sdk_python.config import (
    CompletionConfig,
    Duration,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

# -- all items at once ------------------------------------------------------------------------

MEETING = 40
_barrier = threading.Barrier(MEETING, timeout=10)  # a failure breaks it instead of hanging


@durable_execution
def barrier_handler(event: Any, context: DurableContext) -> dict[str, Any]:
    def meet(child: DurableContext, item: int, index: int, items: Any) -> int:
        _barrier.wait()
        return item

    batch = context.map(list(range(MEETING)), meet, name="meet")
    return {"results": batch.get_results(), "threads": threading.active_count()}


def test_max_concurrency_none_runs_every_item_at_once() -> None:
    _barrier.reset()
    before = threading.active_count()
    with DurableFunctionTestRunner(barrier_handler) as runner:
        result = runner.run(input={}, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["results"] == list(range(MEETING))
    # Every worker was joined before the map returned: none is alive once the run is over.
    assert threading.active_count() == before


# -- first successful: the slow branch starts too -----------------------------------------

_slow_started = threading.Event()


@durable_execution
def first_successful_handler(event: Any, context: DurableContext) -> dict[str, Any]:
    def fast(child: DurableContext) -> str:
        # Succeeds only once the slow branch is running, so it must have started.
        assert _slow_started.wait(10), "the slow branch never started"
        return "fast"

    def slow(child: DurableContext) -> str:
        _slow_started.set()
        child.wait(Duration.from_seconds(60), name="slow")  # stopped here: the batch is done
        return "slow"

    config = ParallelConfig(completion_config=CompletionConfig.first_successful())
    batch = context.parallel(
        [ParallelBranch(fast, "fast"), ParallelBranch(slow, "slow")], name="race", config=config
    )
    return batch.to_dict()


def test_first_successful_starts_the_slow_branch_and_reports_it_started() -> None:
    _slow_started.clear()
    with DurableFunctionTestRunner(first_successful_handler) as runner:
        result = runner.run(input={}, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    batch = BatchResult.from_dict(result.result)
    assert [(i.index, i.status) for i in batch.all] == [
        (0, BatchItemStatus.SUCCEEDED),
        (1, BatchItemStatus.STARTED),
    ]
    assert batch.completion_reason is CompletionReason.MIN_SUCCESSFUL_REACHED
    assert (batch.success_count, batch.started_count, batch.not_started_count) == (1, 1, 0)
    assert result.invocation_count == 1


# -- counts follow from outcomes ----------------------------------------------------------------

OK, FAIL, HOLD = "ok", "fail", "hold"  # returns at once, raises at once, waits 60 s


@durable_execution
def counting_handler(event: Any, context: DurableContext) -> dict[str, Any]:
    kinds = event["kinds"]

    def item(child: DurableContext, kind: str, index: int, items: Any) -> int:
        if kind == FAIL:
            raise ItemFailure(f"item {index} fails")
        if kind == HOLD:
            # Never finishes first: stopped at its wait once the batch is complete.
            child.wait(Duration.from_seconds(60), name="hold")
        return index

    config = MapConfig(
        max_concurrency=event["mc"], completion_config=CompletionConfig(**event["completion"])
    )
    batch = context.map(kinds, item, name="batch", config=config)
    # One more invocation: the handler then returns the result replayed from the checkpoint.
    context.wait(Duration.from_seconds(1), name="after")
    return batch.to_dict()


def admission_model(kinds: list[str], completion: dict[str, Any], mc: int | None) -> Any:
    """Slots filled in index order at the start and after each finished item; the items
    that finish do so in admission order (all scenarios below have outcomes whose order
    cannot change the counts); held items never finish before the batch is complete."""
    policy = CompletionPolicy(CompletionConfig(**completion), len(kinds))
    pending = deque(range(len(kinds)))
    admitted: list[int] = []
    running: deque[int] = deque()
    status: dict[int, str] = {}
    successes = failures = 0

    def admit() -> None:
        holding = len(running) + sum(1 for i in admitted if kinds[i] == HOLD)
        while pending and (mc is None or holding < mc):
            index = pending.popleft()
            admitted.append(index)
            holding += 1
            if kinds[index] != HOLD:
                running.append(index)

    admit()
    while running and not policy.is_complete(successes, failures):
        index = running.popleft()
        if kinds[index] == FAIL:
            failures += 1
            status[index] = "FAILED"
        else:
            successes += 1
            status[index] = "SUCCEEDED"
        if not policy.is_complete(successes, failures):
            admit()
    assert policy.is_complete(successes, failures), "scenario would suspend: not modelled"
    counts = {
        "SUCCEEDED": successes,
        "FAILED": failures,
        "STARTED": len(admitted) - successes - failures,
    }
    return counts, sorted(pending), policy.reason(successes, failures).value


# (kinds, completion, max_concurrency): outcomes arrive in an order that cannot change counts.
SCENARIOS = [
    pytest.param([OK] * 8, {"min_successful": 3}, None, id="min3-all-ok-unbounded"),
    pytest.param([OK] * 8, {"min_successful": 3}, 2, id="min3-all-ok-mc2"),
    pytest.param([OK] * 8, {"min_successful": 1}, 3, id="first-of-8-mc3"),
    pytest.param([FAIL] * 8, {}, None, id="failfast-all-fail-unbounded"),
    pytest.param([FAIL] * 8, {}, 3, id="failfast-all-fail-mc3"),
    pytest.param([FAIL] * 8, {"tolerated_failure_count": 2}, 2, id="tolerate2-mc2"),
    pytest.param([FAIL] * 8, {"tolerated_failure_percentage": 25}, 4, id="pct25-mc4"),
    pytest.param([FAIL] + [HOLD] * 7, {}, None, id="failfast-others-hold-unbounded"),
    pytest.param([FAIL] + [HOLD] * 7, {}, 3, id="failfast-others-hold-mc3"),
    pytest.param([HOLD, OK, HOLD, OK], {"min_successful": 1}, None, id="first-holding"),
    pytest.param([OK] * 5, {}, None, id="all-ok-unbounded"),
    pytest.param([OK] * 5, {"tolerated_failure_percentage": 100}, 2, id="all-completed-mc2"),
]
RUNS = 3


@pytest.mark.parametrize(("kinds", "completion", "mc"), SCENARIOS)
def test_counts_follow_from_outcomes_not_thread_timing(
    kinds: list[str], completion: dict[str, Any], mc: int | None
) -> None:
    counts, not_started, reason = admission_model(kinds, completion, mc)
    seen = []
    for _ in range(RUNS):
        with DurableFunctionTestRunner(counting_handler) as runner:
            result = runner.run(
                input={"kinds": kinds, "completion": completion, "mc": mc}, timeout=30
            )
        assert result.status is InvocationStatus.SUCCEEDED, result.error
        batch = BatchResult.from_dict(result.result)
        # The replayed result is the one the map checkpointed.
        assert result.get_context("batch").result.to_dict() == result.result
        actual = (
            {
                "SUCCEEDED": batch.success_count,
                "FAILED": batch.failure_count,
                "STARTED": batch.started_count,
            },
            list(batch.not_started_indexes),
            batch.completion_reason.value,
        )
        assert actual == (counts, not_started, reason)
        assert batch.total_count == len(kinds) - len(not_started)
        assert batch.item_count == len(kinds)
        # Started items are the first ones: items are admitted in index order.
        assert [item.index for item in batch.all] == list(range(batch.total_count))
        seen.append(actual)
    assert all(s == seen[0] for s in seen)


def test_admission_model_examples() -> None:
    """The model on hand-checked cases, so that a wrong model cannot pass silently."""
    # Two slots, min 3 of 8: successes 1 and 2 each admit one more -> 4 started, 1 running.
    assert admission_model([OK] * 8, {"min_successful": 3}, 2) == (
        {"SUCCEEDED": 3, "FAILED": 0, "STARTED": 1},
        [4, 5, 6, 7],
        "MIN_SUCCESSFUL_REACHED",
    )
    # Fail fast, three slots: the first failure ends it; the two other admitted are started.
    assert admission_model([FAIL] * 8, {}, 3) == (
        {"SUCCEEDED": 0, "FAILED": 1, "STARTED": 2},
        [3, 4, 5, 6, 7],
        "FAILURE_TOLERANCE_EXCEEDED",
    )
    assert admission_model([FAIL] + [HOLD] * 7, {}, None)[0] == {
        "SUCCEEDED": 0,
        "FAILED": 1,
        "STARTED": 7,
    }


# -- the dict form ------------------------------------------------------------------------------


def test_never_started_items_round_trip_through_the_dict_form() -> None:
    result = BatchResult.from_dict(
        {
            "all": [{"index": 0, "status": "FAILED", "result": None, "error": None}],
            "completionReason": "FAILURE_TOLERANCE_EXCEEDED",
            "notStartedIndexes": [2, 1],
        }
    )
    assert result.not_started_indexes == (1, 2)
    assert (result.total_count, result.not_started_count, result.item_count) == (1, 2, 3)
    assert BatchResult.from_dict(result.to_dict()) == result
    # A batch that started everything keeps the two-key form.
    assert set(BatchResult([], CompletionReason.ALL_COMPLETED).to_dict()) == {
        "all",
        "completionReason",
    }
