"""Property tests of ``context.map``: the BatchResult against a sequential reference model.

Scenarios and the model are in ``batch_reference``. With ``max_concurrency=1`` the engine must
agree with the model exactly; with more concurrency the result must satisfy the invariants any
schedule satisfies.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from batch_reference import (
    STEP_RUNS,
    Policy,
    Scenario,
    expected_item,
    failure_message,
    item_value,
    map_handler,
    reference_model,
    scenarios,
)
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python.lambda_service import OperationSubType
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
REPLAY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


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
    # Never-started items are listed apart: together with "all" they are every item.
    not_started = actual.get("notStartedIndexes", [])
    assert sorted(indexes + not_started) == list(range(scenario.n))
    assert batch.not_started_count == len(not_started) == scenario.n - len(items)
    assert batch.item_count == scenario.n
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
