"""Property tests of ``context.map``: the BatchResult against a sequential reference model.

A scenario is an item count (0..12), the set of items that raise, a ``CompletionConfig``
(all None, a preset, or random criteria), ``max_concurrency`` (None or 1..4) and, for the
replay properties, a wait of k seconds at the start of some items. Each item does one step
(whose body counts its runs per index) and then returns a value or raises ``ItemFailure``.

The reference model is sequential semantics: items start in index order, one at a time;
before starting the next one it asks whether the batch is complete (all done,
``min_successful`` reached, or failure tolerance exceeded; fail-fast when there are no
criteria), and the completion reason follows sdk-api.md section 14.2. With
``max_concurrency=1`` the engine must agree exactly; with more concurrency the result must
satisfy the invariants any schedule satisfies.

Also here: a table of invalid configurations (ValidationError before anything is
checkpointed), a regression test that no item starts after a fail-fast decision under the
default concurrency, and a check that first-run map results are the objects the items returned.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    ValidationError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig, ParallelConfig
from aws_durable_execution_sdk_python.lambda_service import OperationSubType
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
REPLAY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
MAX_ITEMS = 12
PRESETS = {
    "first_successful": CompletionConfig.first_successful,
    "all_completed": CompletionConfig.all_completed,
    "all_successful": CompletionConfig.all_successful,
}
PERCENTAGES = [0, 10, 25, 100 / 3, 50, 99.9, 100]


class ItemFailure(Exception):
    """What a malformed item raises (after its step, so the step is never retried)."""


FAILURE_TYPE = f"{ItemFailure.__module__}.{ItemFailure.__qualname__}"

# -- the handler -----------------------------------------------------------------------------

_runs_lock = threading.Lock()
STEP_RUNS: Counter[int] = Counter()  # index -> how often the item's step body ran


def item_input(index: int) -> str:
    return f"record-{index}"


def item_value(index: int) -> dict[str, Any]:
    return {"record": item_input(index), "double": index * 2}


def failure_message(index: int) -> str:
    return f"item {index} is malformed"


@durable_step
def work(step_context: StepContext, index: int) -> dict[str, Any]:
    with _runs_lock:
        STEP_RUNS[index] += 1
    return item_value(index)


def build_completion(spec: Any) -> CompletionConfig:
    if isinstance(spec, str):
        return PRESETS[spec]()
    return CompletionConfig(**spec)


@durable_execution
def map_handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    count = event["n"]
    fails = set(event["fails"])
    waits = event["waits"]

    def item(child: DurableContext, record: str, index: int, records: Any) -> dict[str, Any]:
        assert records[index] == record
        if waits[index]:
            child.wait(Duration.from_seconds(waits[index]), name="pause")
        value = child.step(work(index), name="work")
        if index in fails:
            raise ItemFailure(failure_message(index))
        return value

    config = None
    if event["completion"] is not None or event["mc"] is not None:
        completion = build_completion(event["completion"] or {})
        config = MapConfig(max_concurrency=event["mc"], completion_config=completion)
    batch = context.map([item_input(i) for i in range(count)], item, name="batch", config=config)
    if event["wait_after"]:
        # Suspend once more: the final invocation then gets the BatchResult back from the
        # map's checkpoint instead of from running it.
        context.wait(Duration.from_seconds(1), name="after")
    return batch.to_dict()


# -- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    n: int
    fails: frozenset[int]
    completion: Any  # None (config omitted), a preset name, or CompletionConfig kwargs
    mc: int | None
    waits: tuple[int, ...] = field(default=())
    wait_after: bool = False

    def event(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "fails": sorted(self.fails),
            "completion": self.completion,
            "mc": self.mc,
            "waits": list(self.waits) or [0] * self.n,
            "wait_after": self.wait_after,
        }

    def criteria(self) -> tuple[int | None, int | None, float | None]:
        """(min_successful, tolerated_failure_count, tolerated_failure_percentage)."""
        spec = self.completion
        if spec is None:
            return None, None, None
        if isinstance(spec, str):
            return {
                "first_successful": (1, None, None),
                "all_completed": (None, None, 100.0),
                "all_successful": (None, 0, 0.0),
            }[spec]
        return (
            spec.get("min_successful"),
            spec.get("tolerated_failure_count"),
            spec.get("tolerated_failure_percentage"),
        )


@st.composite
def completions(draw: st.DrawFn, n: int) -> Any:
    kinds = ["omitted", "all_none", "all_completed", "all_successful", "custom", "custom"]
    if n >= 1:
        kinds.append("first_successful")
    kind = draw(st.sampled_from(kinds))
    if kind == "omitted":
        return None
    if kind == "all_none":
        return {}
    if kind in PRESETS:
        return kind
    spec: dict[str, Any] = {}
    if n >= 1 and draw(st.booleans()):
        spec["min_successful"] = draw(st.integers(1, n))
    if draw(st.booleans()):
        spec["tolerated_failure_count"] = draw(st.integers(0, n + 1))
    if draw(st.booleans()):
        spec["tolerated_failure_percentage"] = draw(
            st.sampled_from(PERCENTAGES) | st.floats(0, 100, allow_nan=False)
        )
    return spec


@st.composite
def scenarios(draw: st.DrawFn, concurrency: Any, with_waits: bool = False) -> Scenario:
    n = draw(st.integers(0, MAX_ITEMS))
    # A failure density first, so that scenarios with no, few and mostly failing items are
    # all common (a uniform set makes most items fail half the time).
    density = draw(st.sampled_from([0, 1, 3, 6, 10]))
    fails = frozenset(i for i in range(n) if draw(st.integers(0, 9)) < density)
    completion = draw(completions(n))
    mc = draw(concurrency)
    waits: tuple[int, ...] = ()
    wait_after = False
    if with_waits:
        waits = tuple(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)))
        wait_after = draw(st.booleans())
    return Scenario(n, fails, completion, mc, waits, wait_after)


# -- the reference model (sdk-api.md section 14.2), written independently of the engine --------


@dataclass(frozen=True)
class Policy:
    total: int
    min_successful: int | None
    tolerated_count: int | None
    tolerated_percentage: float | None

    @classmethod
    def of(cls, scenario: Scenario) -> Policy:
        return cls(scenario.n, *scenario.criteria())

    @property
    def has_criteria(self) -> bool:
        return (self.min_successful, self.tolerated_count, self.tolerated_percentage) != (
            None,
            None,
            None,
        )

    def exceeded(self, failures: int) -> bool:
        if not self.has_criteria:
            return failures > 0
        if self.tolerated_count is not None and failures > self.tolerated_count:
            return True
        pct = self.tolerated_percentage
        return pct is not None and self.total > 0 and failures * 100 / self.total > pct

    def complete(self, successes: int, failures: int) -> bool:
        if successes + failures >= self.total or self.exceeded(failures):
            return True
        return self.min_successful is not None and successes >= self.min_successful

    def reason(self, successes: int, failures: int) -> str:
        if self.exceeded(failures):
            return "FAILURE_TOLERANCE_EXCEEDED"
        if successes + failures >= self.total:
            return "ALL_COMPLETED"
        if self.min_successful is not None and successes >= self.min_successful:
            return "MIN_SUCCESSFUL_REACHED"
        return "ALL_COMPLETED"


def expected_item(index: int, fails: frozenset[int]) -> dict[str, Any]:
    if index in fails:
        error = {"ErrorMessage": failure_message(index), "ErrorType": FAILURE_TYPE}
        return {"index": index, "status": "FAILED", "result": None, "error": error}
    return {"index": index, "status": "SUCCEEDED", "result": item_value(index), "error": None}


def reference_model(scenario: Scenario) -> dict[str, Any]:
    """The BatchResult (dict form) of running the items one at a time in index order."""
    policy = Policy.of(scenario)
    items = []
    successes = failures = 0
    for index in range(scenario.n):
        if policy.complete(successes, failures):
            break  # never started: omitted
        items.append(expected_item(index, scenario.fails))
        if index in scenario.fails:
            failures += 1
        else:
            successes += 1
    return {"all": items, "completionReason": policy.reason(successes, failures)}


# -- running and checking ---------------------------------------------------------------------


def run(scenario: Scenario) -> Any:
    STEP_RUNS.clear()
    with DurableFunctionTestRunner(map_handler) as runner:
        result = runner.run(input=scenario.event(), timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    return result


def item_events(result: Any) -> Counter[tuple[str, str]]:
    """(EventType, item name) for the MapIteration context events in the history."""
    return Counter(
        (event["EventType"], event.get("Name", ""))
        for event in result.history
        if event.get("SubType") == "MapIteration"
    )


def check_invariants(scenario: Scenario, actual: dict[str, Any], result: Any) -> None:
    """What every schedule satisfies, whatever the concurrency."""
    policy = Policy.of(scenario)
    items = actual["all"]
    indexes = [item["index"] for item in items]
    # No index twice, and never-started items are omitted only at the end (index order).
    assert indexes == list(range(len(items)))
    assert len(items) <= scenario.n
    statuses = Counter(item["status"] for item in items)
    assert set(statuses) <= {"SUCCEEDED", "FAILED", "STARTED"}
    successes, failures, started = statuses["SUCCEEDED"], statuses["FAILED"], statuses["STARTED"]
    event(f"reason {actual['completionReason']}")
    event("some items STARTED" if started else "no STARTED items")
    event("some items omitted" if len(items) < scenario.n else "no item omitted")
    assert successes + failures + started == len(items)
    # Completed items carry exactly their own outcome; STARTED ones carry nothing.
    for item in items:
        if item["status"] == "STARTED":
            assert item == {"index": item["index"], "status": "STARTED", "result": None,
                            "error": None}  # fmt: skip
        else:
            assert item == expected_item(item["index"], scenario.fails)
    # The batch returns only once complete; the reason follows from the counts.
    assert policy.complete(successes, failures)
    assert actual["completionReason"] == policy.reason(successes, failures)
    if started or len(items) < scenario.n:
        # Decided early: without the items that finished last it was not yet complete,
        # so nothing ran past the point of decision by more than the concurrency allows.
        assert successes + failures < scenario.n
        assert actual["completionReason"] != "ALL_COMPLETED"
    in_flight = scenario.mc or max(scenario.n, 1)
    done = successes + failures
    if done:
        undo = min(in_flight, done)
        assert any(
            not policy.complete(successes - a, failures - (undo - a))
            for a in range(max(0, undo - failures), min(undo, successes) + 1)
        ), "more items completed than the concurrency allows after the batch was complete"
    # The BatchResult accessors agree with the dict form.
    batch = BatchResult.from_dict(actual)
    assert batch.completion_reason is CompletionReason(actual["completionReason"])
    assert (batch.success_count, batch.failure_count, batch.started_count) == (
        successes,
        failures,
        started,
    )
    assert batch.total_count == len(items)
    assert batch.get_results() == [
        item_value(item["index"]) for item in items if item["status"] == "SUCCEEDED"
    ]
    assert [e.message for e in batch.get_errors()] == [
        failure_message(item["index"]) for item in items if item["status"] == "FAILED"
    ]
    assert batch.has_failure is (failures > 0)
    assert batch.status is (BatchItemStatus.FAILED if failures else BatchItemStatus.SUCCEEDED)
    # Each completed item's step body ran exactly once (checkpointed, never re-run on
    # replay); a STARTED item's at most once; a never-started item's never.
    for item in items:
        if item["status"] == "STARTED":
            assert STEP_RUNS[item["index"]] <= 1
        else:
            assert STEP_RUNS[item["index"]] == 1, (item["index"], STEP_RUNS)
    assert set(STEP_RUNS) <= set(indexes)
    # The map's own checkpoint (a CONTEXT of subtype Map) holds the same BatchResult.
    outer = result.get_context("batch")
    assert outer.sub_type is OperationSubType.MAP
    assert outer.result.to_dict() == actual
    # History: one context per started item, none for the omitted ones; one outcome each.
    events = item_events(result)
    names = {f"map-item-{i}" for i in indexes}
    for (event_type, name), times in events.items():
        assert name in names, f"{event_type} for never-started {name}"
        assert times == 1, f"{event_type} {name} appears {times} times"
    for item in items:
        name = f"map-item-{item['index']}"
        if item["status"] == "SUCCEEDED":
            assert events["ContextSucceeded", name] == 1
        elif item["status"] == "FAILED":
            assert events["ContextFailed", name] == 1
        else:
            # Still running when the batch was decided. It may have finished (and
            # checkpointed) in the moment before it was told to stop: it stays STARTED in
            # the result, which was decided without it, but has at most one outcome.
            assert events["ContextSucceeded", name] + events["ContextFailed", name] <= 1


def check_exact(scenario: Scenario, actual: dict[str, Any], result: Any) -> None:
    expected = reference_model(scenario)
    assert actual == expected
    started = len(expected["all"])
    assert dict(STEP_RUNS) == dict.fromkeys(range(started), 1)
    events = item_events(result)
    assert {name for _, name in events} == {f"map-item-{i}" for i in range(started)}


# -- properties ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(scenarios(st.just(1)))
def test_one_at_a_time_matches_the_reference_model_exactly(scenario: Scenario) -> None:
    result = run(scenario)
    check_exact(scenario, result.result, result)
    check_invariants(scenario, result.result, result)
    assert result.invocation_count == 1


@PROPERTY_SETTINGS
@given(scenarios(st.none() | st.integers(1, 4)))
@example(Scenario(6, frozenset(), "first_successful", 2))
@example(Scenario(8, frozenset({0, 1}), {"min_successful": 3}, 3))
@example(Scenario(10, frozenset({5}), None, 4))
@example(Scenario(12, frozenset(range(12)), "all_completed", None))
def test_any_concurrency_satisfies_the_batch_invariants(scenario: Scenario) -> None:
    result = run(scenario)
    check_invariants(scenario, result.result, result)
    if scenario.mc == 1:
        check_exact(scenario, result.result, result)
    if not scenario.fails and scenario.criteria()[0] is None:
        # Nothing fails and no min_successful: every item runs and succeeds, whatever the
        # schedule.
        assert result.result == reference_model(scenario)


@REPLAY_SETTINGS
@given(scenarios(st.just(1), with_waits=True))
@example(Scenario(4, frozenset({2}), "first_successful", 1, (3, 0, 1, 2), True))
@example(Scenario(5, frozenset({1, 3}), {"tolerated_failure_count": 1}, 1, (1, 2, 3, 1, 2)))
def test_waiting_items_suspend_and_replay_to_the_reference_result(scenario: Scenario) -> None:
    result = run(scenario)
    check_exact(scenario, result.result, result)
    check_invariants(scenario, result.result, result)
    started = len(result.result["all"])
    waited = sum(1 for k in scenario.waits[:started] if k) + scenario.wait_after
    # One suspension per started item that waits, then a replay that resumes after it.
    assert result.invocation_count == 1 + waited
    assert sum(e["EventType"] == "WaitSucceeded" for e in result.history) == waited


@REPLAY_SETTINGS
@given(scenarios(st.none() | st.integers(2, 4), with_waits=True))
def test_waiting_items_with_concurrency_replay_consistently(scenario: Scenario) -> None:
    result = run(scenario)
    check_invariants(scenario, result.result, result)
    if not scenario.fails and scenario.criteria()[0] is None:
        assert result.result == reference_model(scenario)


def test_reference_model_examples() -> None:
    """The model itself, on hand-checked cases (so a wrong model cannot pass silently)."""
    fail_fast = Scenario(5, frozenset({2}), None, 1)
    assert [i["status"] for i in reference_model(fail_fast)["all"]] == [
        "SUCCEEDED",
        "SUCCEEDED",
        "FAILED",
    ]
    assert reference_model(fail_fast)["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    first = Scenario(4, frozenset({0}), "first_successful", 1)
    assert [i["status"] for i in reference_model(first)["all"]] == ["FAILED", "SUCCEEDED"]
    assert reference_model(first)["completionReason"] == "MIN_SUCCESSFUL_REACHED"
    everything = Scenario(3, frozenset({0, 1, 2}), "all_completed", 1)
    assert len(reference_model(everything)["all"]) == 3
    assert reference_model(everything)["completionReason"] == "ALL_COMPLETED"
    # 1 failure of 3 is 33.3 % > 25 %: exceeded at the first failure.
    pct = Scenario(3, frozenset({1}), {"tolerated_failure_percentage": 25}, 1)
    assert len(reference_model(pct)["all"]) == 2
    assert reference_model(pct)["completionReason"] == "FAILURE_TOLERANCE_EXCEEDED"
    # Reaching min_successful on the last item: all done wins over MIN_SUCCESSFUL_REACHED.
    last = Scenario(2, frozenset({0}), {"min_successful": 1, "tolerated_failure_count": 1}, 1)
    assert reference_model(last)["completionReason"] == "ALL_COMPLETED"
    assert reference_model(Scenario(0, frozenset(), None, None)) == {
        "all": [],
        "completionReason": "ALL_COMPLETED",
    }


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


# -- early completion with the default concurrency -------------------------------------------

POOL = min(32, (os.cpu_count() or 1) + 4)  # the engine's default pool (max_concurrency None)
QUEUED_ITEMS = POOL + 30
_first_failed = threading.Event()
BODIES_RUN: set[int] = set()


@durable_execution
def fail_fast_handler(event: Any, context: DurableContext) -> dict[str, Any]:
    def item(child: DurableContext, value: int, index: int, items: Any) -> int:
        with _runs_lock:
            BODIES_RUN.add(index)
        if index == 0:
            _first_failed.set()
            raise ItemFailure("the first item fails: fail fast")
        if index < POOL:
            # The items already running hold their worker until the failure has been seen.
            _first_failed.wait(5)
            time.sleep(0.3)
        return child.step(lambda _: value, name="work")

    batch = context.map(list(range(QUEUED_ITEMS)), item, name="fail fast")
    return {"reason": batch.completion_reason.value, "in_result": batch.total_count}


def test_no_item_starts_after_a_fail_fast_decision_with_default_concurrency() -> None:
    BODIES_RUN.clear()
    _first_failed.clear()
    with DurableFunctionTestRunner(fail_fast_handler) as runner:
        result = runner.run(input={}, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
    # Only the items on the pool's threads when item 0 failed ever started.
    assert max(BODIES_RUN) < POOL, sorted(BODIES_RUN)
    started = [
        e for e in result.history
        if e["EventType"] == "ContextStarted" and e.get("SubType") == "MapIteration"
    ]  # fmt: skip
    assert len(started) <= POOL
    assert result.result["in_result"] <= POOL


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
