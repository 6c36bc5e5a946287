"""The map (9-x) conformance requirements, run on the local runner.

Checks as in ``harness.verify``: status and result, the whole history strictly
(docs/decisions.md, "Histories are compared strictly"), the listed events at their
``EventId``s, and the logs; plus the batch checks of ``test_parallel`` (item ids, parents,
names, the outer payload against the item contexts).
9-11 (max-concurrency 2) is compared as in 8-11: a multiset of event types, the fixed frame
in order, each item's events in order, and never more items in flight than the limit,
since concurrently running items may checkpoint in either order.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from .handlers_map import HANDLERS, LARGE_ITEM_CHARS, WrappingSerDes
from .harness import INVOKED, STARTED, SUCCEEDED, requirement_files, verify
from .matcher import load_requirement
from .test_parallel import (
    CTX_OK,
    CTX_S,
    ITEM_FAIL,
    ITEM_OK,
    ITEM_STEP,
    WAIT_OK,
    WAIT_S,
    Batch,
    Interleaved,
    assert_batch,
    batch,
    outer_events,
    verify_interleaved,
)

FILES = requirement_files("map")

WAIT = [WAIT_S, INVOKED, WAIT_OK]

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str] | Interleaved] = {
    "9-1": [STARTED, *batch(ITEM_STEP, ITEM_STEP), INVOKED, SUCCEEDED],
    "9-2": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-4": [STARTED, *batch(), INVOKED, SUCCEEDED],
    # Fail fast: item 2 never starts.
    "9-5": [STARTED, *batch(ITEM_OK, ITEM_FAIL), INVOKED, SUCCEEDED],
    "9-7": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-8": [STARTED, *batch(ITEM_OK, ITEM_FAIL, ITEM_OK), INVOKED, SUCCEEDED],
    "9-10": [STARTED, *batch(ITEM_FAIL, ITEM_FAIL), INVOKED, SUCCEEDED],
    "9-11": Interleaved(
        frame=[STARTED, CTX_S, CTX_OK, INVOKED, SUCCEEDED], items=[ITEM_OK] * 3, limit=2
    ),
    "9-13": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-14": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-16": [STARTED, *batch(ITEM_OK, ITEM_OK, ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-17": [STARTED, *batch(ITEM_OK, ITEM_OK), *WAIT, INVOKED, SUCCEEDED],
    "9-19": [STARTED, *batch(ITEM_OK, ITEM_OK), INVOKED, SUCCEEDED],
    "9-20": [STARTED, *batch(ITEM_OK, ITEM_OK), *WAIT, INVOKED, SUCCEEDED],
}

# What each batch is, from its invocation text: the map's name (9-2 has none), how many
# items the handler passes, and the completion reason the text states or implies (fail
# fast: the tolerance is exceeded). None where the outer payload is not a BatchResult.
BATCH: dict[str, Batch] = {
    "9-1": Batch("map", 2, "ALL_COMPLETED"),
    "9-2": Batch(None, 2, "ALL_COMPLETED"),
    "9-4": Batch("empty", 0, "ALL_COMPLETED"),
    "9-5": Batch("failfast", 3, "FAILURE_TOLERANCE_EXCEEDED"),
    "9-7": Batch("min-successful", 4, "MIN_SUCCESSFUL_REACHED"),
    "9-8": Batch("tolerated", 3, "ALL_COMPLETED"),
    "9-10": Batch("tolerated-pct", 4, "FAILURE_TOLERANCE_EXCEEDED"),
    "9-11": Batch("concurrent", 3, "ALL_COMPLETED"),
    "9-13": Batch("named-items", 2, "ALL_COMPLETED", item_names=("item-1", "item-2")),
    "9-14": Batch("serdes", 2, "ALL_COMPLETED"),
    "9-16": Batch("large", 4, None),
    "9-17": Batch("then-wait", 2, "ALL_COMPLETED"),
    "9-19": Batch("op-serde", 2, None),
    "9-20": Batch("op-serde-replay", 2, None),
}

# Virtual seconds after ExecutionStarted at which events (by EventId) happen.
OFFSETS: dict[str, dict[int, float]] = {"9-17": {10: 1}, "9-20": {10: 1}}

# The map function logs through a replay-unaware logger: after the wait the completed map
# is not re-run (9-20: its result can only come from the custom deserializer).
RAN_ONCE = [{"match": {"message": f"item {i} ran"}, "count": 1} for i in range(2)]
EXTRA_LOGS: dict[str, list[dict[str, Any]]] = {"9-17": RAN_ONCE, "9-20": RAN_ONCE}


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no map requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY) == set(BATCH)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    stem = requirement.id
    history = FULL_HISTORY[stem]
    if isinstance(history, Interleaved):
        _, events = verify_interleaved(
            requirement, HANDLERS[stem], caplog, history=history, kind="Map"
        )
    else:
        _, events = verify(
            requirement,
            HANDLERS[stem],
            caplog,
            history=history,
            offsets=OFFSETS.get(stem),
            extra_logs=EXTRA_LOGS.get(stem),
        )
    assert_batch(
        events,
        BATCH[stem],
        kind="Map",
        item_serdes=WrappingSerDes() if stem == "9-14" else None,
        summary=BATCH[stem].reason is not None,
    )
    items = [e for e in events if e.get("SubType") == "MapIteration" and e["EventType"] == CTX_OK]
    payloads = [e["ContextSucceededDetails"]["Result"]["Payload"] for e in items]
    if stem in ("9-19", "9-20"):
        # The operation-level serdes serializes the whole result only; the items keep the
        # default serializer, as the requirement says.
        assert payloads == ['"X"', '"Y"']
    if stem == "9-16":
        _check_large(events, payloads)


def _check_large(events: list[dict[str, Any]], payloads: list[str]) -> None:
    """Every item carries its full ~70 KB result; the Map itself, over 256 KiB in all,
    stores the compact summary it is rebuilt from on replay (sdk-api.md 14.4)."""
    assert [len(p) for p in payloads] == [LARGE_ITEM_CHARS + 2] * 4  # JSON strings
    outer = outer_events(events, "Map")[-1]
    record = json.loads(outer["ContextSucceededDetails"]["Result"]["Payload"])
    assert record["type"] == "MapResult"
    expected = {"totalCount": 4, "successCount": 4, "failureCount": 0, "startedCount": 0}
    assert {k: record[k] for k in expected} == expected
    assert record["completionReason"] == "ALL_COMPLETED" and record["status"] == "SUCCEEDED"
