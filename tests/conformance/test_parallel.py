"""The parallel (8-x) conformance requirements, run on the local runner.

Checks as in ``harness.verify``: status and result, the whole history strictly
(docs/decisions.md, "Histories are compared strictly"), the listed events at their
``EventId``s, and the logs. On top of that every batch's events are checked against sdk-api.md
section 7 and 14: item ids ``blake2b(f"{outer}-{i}")`` (index-based, whatever the completion
order), ``ParentId`` the outer op, the default item names, and the outer ``ContextSucceeded``
payload (the batch summary) agreeing item by item with the item contexts in the history.

Requirements with max-concurrency 1 have one possible history, compared event by event.
8-11 (max-concurrency 2) lets two branches run at once, so the order in which their events
interleave may legitimately vary between runs: its history is compared as a multiset of
event types, the events outside the branches in their fixed order around them, each
branch's own events in their order, and never more branches in flight than the limit (see
``assert_interleaved_history``). ``test_map`` reuses these checks for map.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.concurrency.models import BatchItemStatus, BatchResult
from aws_durable_execution_sdk_python.config import ParallelConfig
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes, SerDes, SerDesContext

from .handlers_parallel import HANDLERS
from .harness import FAILED, INVOKED, STARTED, SUCCEEDED, requirement_files, run_requirement, verify
from .matcher import Requirement, load_requirement, log_records_for, match_history, match_logs

FILES = requirement_files("parallel")

CTX_S, CTX_OK, CTX_FAIL = "ContextStarted", "ContextSucceeded", "ContextFailed"
STEP_S, STEP_OK = "StepStarted", "StepSucceeded"
WAIT_S, WAIT_OK = "WaitStarted", "WaitSucceeded"
ITEM_OK = [CTX_S, CTX_OK]
ITEM_FAIL = [CTX_S, CTX_FAIL]
ITEM_STEP = [CTX_S, STEP_S, STEP_OK, CTX_OK]

_ITEM_END = {CTX_OK: BatchItemStatus.SUCCEEDED, CTX_FAIL: BatchItemStatus.FAILED}


def batch(*items: list[str]) -> list[str]:
    """The outer context's events around its items' events, items in index order."""
    return [CTX_S, *(event for item in items for event in item), CTX_OK]


@attrs.frozen
class Interleaved:
    """The history of a batch whose items run concurrently: ``frame`` is every event outside
    the items, in order (the outer ``ContextStarted`` / ``ContextSucceeded`` among them);
    ``items[i]`` the events of item ``i`` and its children, in order; ``limit`` the
    max-concurrency."""

    frame: list[str]
    items: list[list[str]]
    limit: int

    @property
    def types(self) -> list[str]:
        return [*self.frame, *(event for item in self.items for event in item)]


@attrs.frozen
class Batch:
    """A batch's outer name, the number of items passed to it, its completion reason (None:
    not checked) and its item names (None: the defaults ``parallel-branch-{i}`` /
    ``map-item-{i}``)."""

    name: str | None
    count: int
    reason: str | None
    item_names: tuple[str, ...] | None = None


# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str] | Interleaved] = {
    "8-1": [STARTED, *batch(ITEM_STEP, ITEM_STEP), INVOKED, SUCCEEDED],
    "8-2": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "8-4": [STARTED, *batch(ITEM_OK, ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "8-5": [STARTED, *batch(), INVOKED, SUCCEEDED],
    # Fail fast: branch 1 never starts; the batch succeeds, throw_if_error fails the run.
    "8-7": [STARTED, *batch(ITEM_FAIL), INVOKED, FAILED],
    "8-8": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "8-10": [STARTED, *batch(ITEM_FAIL, ITEM_FAIL), INVOKED, SUCCEEDED],
    "8-11": Interleaved(
        frame=[STARTED, CTX_S, CTX_OK, INVOKED, SUCCEEDED], items=[ITEM_OK] * 3, limit=2
    ),
    "8-13": [STARTED, *batch(ITEM_FAIL, ITEM_FAIL), INVOKED, SUCCEEDED],
    "8-14": [
        *(STARTED, CTX_S, *ITEM_STEP, CTX_S, WAIT_S, INVOKED),
        *(WAIT_OK, CTX_OK, CTX_OK, INVOKED, SUCCEEDED),
    ],
    "8-16": [STARTED, *batch(ITEM_FAIL, ITEM_FAIL, ITEM_FAIL), INVOKED, SUCCEEDED],
    "8-17": [STARTED, *batch(ITEM_OK, ITEM_FAIL, ITEM_OK), INVOKED, SUCCEEDED],
    # The invalid config is rejected before any operation: nothing but the failure.
    "8-19": [STARTED, INVOKED, FAILED],
    "8-20": [STARTED, *batch(ITEM_OK, ITEM_FAIL, ITEM_OK), INVOKED, SUCCEEDED],
    "8-22": [STARTED, *batch(ITEM_FAIL, ITEM_OK, ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
}

# The execution error's type for the FAILED requirements: 8-7 rethrows the branch's own
# error (a ChildContextError that is also a BranchError, as a failed step raises its original
# error), 8-19 the config's.
EXPECTED_ERROR_TYPE = {"8-7": r"(^|\.)BranchError$", "8-19": r"^ValidationError$"}

# What each batch is, from its invocation text: the parallel operation's name (8-2 has
# none), how many branches the handler passes, and the completion reason the text states
# or implies (fail fast: the tolerance is exceeded). 8-19 never starts one.
BATCH: dict[str, Batch] = {
    "8-1": Batch("parallel", 2, "ALL_COMPLETED"),
    "8-2": Batch(None, 2, "ALL_COMPLETED"),
    "8-4": Batch("hetero", 3, "ALL_COMPLETED"),
    "8-5": Batch("empty", 0, "ALL_COMPLETED"),
    "8-7": Batch("throwing", 2, "FAILURE_TOLERANCE_EXCEEDED"),
    "8-8": Batch("min-successful", 4, "MIN_SUCCESSFUL_REACHED"),
    "8-10": Batch("tolerated-exceeded", 3, "FAILURE_TOLERANCE_EXCEEDED"),
    "8-11": Batch("concurrent", 3, "ALL_COMPLETED"),
    "8-13": Batch("tolerated-pct", 4, "FAILURE_TOLERANCE_EXCEEDED"),
    "8-14": Batch("replay", 2, "ALL_COMPLETED"),
    "8-16": Batch("all-fail", 3, "ALL_COMPLETED"),
    "8-17": Batch("min-not-reached", 3, "ALL_COMPLETED"),
    "8-20": Batch("accessors", 3, "ALL_COMPLETED"),
    "8-22": Batch("pct-boundary", 4, "ALL_COMPLETED"),
}

# Virtual seconds after ExecutionStarted at which events (by EventId) happen.
OFFSETS: dict[str, dict[int, float]] = {"8-14": {10: 2}}

# Branch bodies log through a replay-unaware logger: which ran in which invocation.
EXTRA_LOGS: dict[str, list[dict[str, Any]]] = {
    # Branch 0 succeeded in the first invocation and is not re-run when the batch resumes;
    # branch 1 is entered again to finish its wait.
    "8-14": [
        {"match": {"message": "branch 0 ran"}, "count": 1},
        {"match": {"message": "branch 1 ran"}, "count": 2},
    ],
}


# -- checks shared with test_map -----------------------------------------------------------


def item_id(outer_id: str, index: int) -> str:
    """sdk-api.md 7.1: an item's id is ``blake2b(f"{outer}-{index}")``, 64 hex chars."""
    return hashlib.blake2b(f"{outer_id}-{index}".encode()).hexdigest()[:64]


def outer_events(events: Sequence[Mapping[str, Any]], sub_type: str) -> list[Mapping[str, Any]]:
    return [e for e in events if e.get("SubType") == sub_type and e.get("ParentId") is None]


def item_events(
    events: Sequence[Mapping[str, Any]], outer_id: str, count: int
) -> dict[int, list[Mapping[str, Any]]]:
    """Each item's own events and its descendants', by item index, in history order."""
    owner = {item_id(outer_id, i): i for i in range(count)}
    out: dict[int, list[Mapping[str, Any]]] = {}
    for event in events:
        index = owner.get(event.get("Id")) if event.get("Id") else None
        if index is None and event.get("ParentId") in owner:
            index = owner[event["ParentId"]]
        if index is not None:
            if event.get("Id") not in owner:
                owner[event["Id"]] = index  # a child of the item owns its own children
            out.setdefault(index, []).append(event)
    return out


def assert_batch(
    events: Sequence[Mapping[str, Any]],
    expected: Batch,
    *,
    kind: str,
    item_serdes: SerDes[Any] | None = None,
    summary: bool = True,
) -> None:
    """The batch's outer op and items as sdk-api.md 7 and 14 describe them.

    ``summary=False`` skips decoding the outer payload (a custom operation-level serdes, or
    a result too large to checkpoint, which stores an envelope instead).
    """
    count, outer_name = expected.count, expected.name
    item_sub_type = {"Map": "MapIteration", "Parallel": "ParallelBranch"}[kind]
    default_name = {"Map": "map-item-{}", "Parallel": "parallel-branch-{}"}[kind]
    names = list(expected.item_names or [default_name.format(i) for i in range(count)])
    outer = outer_events(events, kind)
    assert [e["EventType"] for e in outer] == [CTX_S, CTX_OK], outer
    outer_id = outer[0]["Id"]
    assert all(e["Id"] == outer_id and e.get("Name") == outer_name for e in outer), outer

    items = item_events(events, outer_id, count)
    item_contexts = [e for e in events if e.get("SubType") == item_sub_type]
    assert len(item_contexts) == sum(
        1 for evs in items.values() for e in evs if e.get("SubType") == item_sub_type
    ), "an item context whose id is not blake2b(f'{outer}-{index}')"
    status: dict[int, BatchItemStatus] = {}
    for index, evs in items.items():
        own = [e for e in evs if e["Id"] == item_id(outer_id, index)]
        assert own and own[0]["EventType"] == CTX_S, (index, own)
        for event in own:
            assert event.get("SubType") == item_sub_type, event
            assert event.get("ParentId") == outer_id, event
            assert event.get("Name") == names[index], (event.get("Name"), names[index])
        status[index] = _ITEM_END.get(own[-1]["EventType"], BatchItemStatus.STARTED)

    if not summary:
        return
    context = SerDesContext(outer_id, "")
    payload = outer[1]["ContextSucceededDetails"]["Result"]["Payload"]
    result = ExtendedTypeSerDes().deserialize(payload, context)
    assert isinstance(result, BatchResult), result
    if expected.reason is not None:
        assert result.completion_reason.value == expected.reason
    # The summary holds every started item (never-started ones omitted), in index order,
    # each as its item context ended in the history.
    assert [item.index for item in result.all] == sorted(status)
    for item in result.all:
        assert item.status is status[item.index], (item, status[item.index])
        end = items[item.index][-1]
        if item.status is BatchItemStatus.SUCCEEDED:
            raw = end["ContextSucceededDetails"]["Result"]["Payload"]
            assert item.result == (item_serdes or ExtendedTypeSerDes()).deserialize(raw, context)
        elif item.status is BatchItemStatus.FAILED:
            error = end["ContextFailedDetails"]["Error"]["Payload"]
            assert item.error is not None
            assert (item.error.type, item.error.message) == (
                error["ErrorType"],
                error["ErrorMessage"],
            )


def assert_interleaved_history(
    events: Sequence[Mapping[str, Any]], expected: Interleaved, *, kind: str
) -> None:
    """The strict history comparison, for a batch whose items run concurrently.

    The order in which concurrently running items checkpoint may vary, so instead of one
    sequence: the full history has exactly the expected events (a multiset of types), the
    events outside the items come in their fixed order (``ExecutionStarted`` first, the
    outer ``ContextStarted`` second, the final ``Execution*`` last), each item's events come
    in their order between the outer ``ContextStarted`` and ``ContextSucceeded``, and at no
    point are more than ``limit`` items started and not yet ended.
    """
    types = [event["EventType"] for event in events]
    assert Counter(types) == Counter(expected.types), f"history differs: {types}"
    assert [event["EventId"] for event in events] == list(range(1, len(events) + 1))
    stamps = [event["EventTimestamp"] for event in events]
    assert stamps == sorted(stamps), f"timestamps go backwards: {stamps}"
    assert events[-1]["Id"] == events[0]["Id"], "the final Execution* event names the execution"

    outer = outer_events(events, kind)
    assert outer, f"no {kind} context"
    items = item_events(events, outer[0]["Id"], len(expected.items))
    inside = {id(e) for evs in items.values() for e in evs}
    frame = [e["EventType"] for e in events if id(e) not in inside]
    assert frame == expected.frame, f"events outside the items: {frame}"
    assert sorted(items) == list(range(len(expected.items))), sorted(items)
    start, end = (events.index(e) for e in outer)
    for index, evs in items.items():
        types = [e["EventType"] for e in evs]
        assert types == expected.items[index], f"item {index}'s events out of order: {types}"
        assert all(start < events.index(e) < end for e in evs), f"item {index} outside"

    in_flight = peak = 0
    owners = {item_id(outer[0]["Id"], i) for i in range(len(expected.items))}
    for event in events:
        if event.get("Id") in owners:
            in_flight += {CTX_S: 1, CTX_OK: -1, CTX_FAIL: -1}.get(event["EventType"], 0)
            peak = max(peak, in_flight)
    assert peak <= expected.limit, f"{peak} items in flight, max-concurrency {expected.limit}"


def verify_interleaved(
    requirement: Requirement,
    handler: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    *,
    history: Interleaved,
    kind: str,
) -> tuple[Any, list[dict[str, Any]]]:
    """``harness.verify`` with ``assert_interleaved_history`` in place of the strict order."""
    caplog.set_level(logging.INFO)
    outcome, events = run_requirement(requirement, handler)
    status = requirement.expected_status or "SUCCEEDED"
    assert outcome.execution_status == status, f"{outcome.execution_status}: {outcome.error}"
    if requirement.has_result:  # 1 vs 1.0 vs true stay distinct
        assert json.dumps(outcome.result, sort_keys=True) == json.dumps(
            requirement.result, sort_keys=True
        )
    assert_interleaved_history(events, history, kind=kind)
    started = events[0]["ExecutionStartedDetails"]["Input"]["Payload"]
    assert json.loads(started) == requirement.input
    # Only the events whose ids do not depend on completion order are listed; they must
    # still match at their EventIds.
    match_history(requirement.history, events)
    if requirement.logs is not None:
        match_logs(requirement.logs, log_records_for(caplog.records, outcome.execution_arn))
    return outcome, events


# -- the suite -----------------------------------------------------------------------------


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no parallel requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY)
    assert set(BATCH) == ids - {"8-19"}


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    stem = requirement.id
    history = FULL_HISTORY[stem]
    if isinstance(history, Interleaved):
        outcome, events = verify_interleaved(
            requirement, HANDLERS[stem], caplog, history=history, kind="Parallel"
        )
    else:
        outcome, events = verify(
            requirement,
            HANDLERS[stem],
            caplog,
            history=history,
            error_type=EXPECTED_ERROR_TYPE.get(stem),
            offsets=OFFSETS.get(stem),
            extra_logs=EXTRA_LOGS.get(stem),
        )
    if stem in BATCH:
        assert_batch(events, BATCH[stem], kind="Parallel")
    if stem == "8-7":  # the rethrown error is the first failed branch's
        assert outcome.error is not None and outcome.error.message == "branch 0 failed"


def test_interleaved_history_check() -> None:
    """The 8-11 check accepts a history where branches really overlap, and rejects
    interleavings that break max-concurrency or an item's own order."""
    barrier = threading.Barrier(2, timeout=5)

    def meet(index: int) -> Callable[[DurableContext], str]:
        def branch(ctx: DurableContext) -> str:
            if index < 2:
                barrier.wait()  # branches 0 and 1 are in flight together
            return f"r{index}"

        return branch

    @durable_execution
    def overlapping(event: Any, context: DurableContext) -> list[Any]:
        config = ParallelConfig(max_concurrency=2)
        return context.parallel([meet(i) for i in range(3)], name="c", config=config).get_results()

    requirement = load_requirement(next(p for p in FILES if p.stem == "8-11"))
    outcome, events = run_requirement(requirement, overlapping)
    assert outcome.result == ["r0", "r1", "r2"]
    assert [e["EventType"] for e in events[2:4]] == [CTX_S, CTX_S]
    expected = FULL_HISTORY["8-11"]
    assert isinstance(expected, Interleaved)
    assert_interleaved_history(events, expected, kind="Parallel")

    frame_start, frame_end = events[:2], events[-3:]
    by_item = item_events(events, events[1]["Id"], 3)
    s0, ok0 = by_item[0]
    s1, ok1 = by_item[1]
    s2, ok2 = by_item[2]

    def renumbered(middle: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        out = [dict(e) for e in (*frame_start, *middle, *frame_end)]
        for number, event in enumerate(out, 1):
            event["EventId"] = number
            event["EventTimestamp"] = out[0]["EventTimestamp"]
        return out

    assert_interleaved_history(renumbered([s0, s1, ok1, s2, ok0, ok2]), expected, kind="Parallel")
    illegal = {
        "items in flight": [s0, s1, s2, ok0, ok1, ok2],
        "out of order": [ok0, s0, s1, ok1, s2, ok2],
    }
    for message, middle in illegal.items():
        with pytest.raises(AssertionError, match=message):
            assert_interleaved_history(renumbered(middle), expected, kind="Parallel")
