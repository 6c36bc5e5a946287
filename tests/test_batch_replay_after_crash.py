"""A crash between an item's last step and its context's completion changes no ``BatchResult``.

After ``CrashAfterCheckpoint(N)`` the next invocation resumes items whose step already
finished while their context is still STARTED: their outcomes follow from the checkpoint
alone. They are settled in index order before any item that runs live can complete the
batch, and each item's completion is checkpointed in the order the batch counts it (none
once it is complete), so the ``BatchResult`` always agrees with the history: every item
whose context completed is reported so, every other one STARTED (docs/decisions.md, "Batch
items: started when admitted, never-started ones listed"). Each scenario runs 20 times: the
defect these tests were written for showed in one run of two to one of five.

Where only replayed outcomes decide the batch (the fan-out: primary's failure is replayed,
express's answer is live), the result is the fault-free run's every time. Where items that
run live in the resumed invocation decide it (the map: the records after the resumed one
race to the third failure), their order is thread timing, as in a first run whose items
overlap; there the result is only required to agree with the history.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest
from examples.batch_etl.workflow import handler as etl_handler
from examples.fanout_first_successful.workflow import handler as fanout_handler

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

RUNS = 20
# crash_after=N must crash at the same call in every run: a START sent on its own during a
# slow item (the flush window) would move the crash elsewhere on a loaded machine.
STEADY = {"start_flush_window": math.inf}


def records(count: int, malformed: set[int]) -> list[dict[str, str]]:
    return [
        {"id": f"r{i}", "amount": "n/a" if i in malformed else f"{i + 1}.00", "currency": "eur"}
        for i in range(count)
    ]


def results(handler: Any, event: Any, crash_after: int | None) -> Counter[str]:
    seen: Counter[str] = Counter()
    with DurableFunctionTestRunner(handler, **STEADY) as runner:
        for _ in range(RUNS):
            result = runner.run(event, crash_after=crash_after, timeout=30)
            assert result.status is InvocationStatus.SUCCEEDED, result.error
            seen[repr(result.result)] += 1
    return seen


def fault_free(handler: Any, event: Any) -> str:
    with DurableFunctionTestRunner(handler, **STEADY) as runner:
        result = runner.run(event, timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    return repr(result.result)


QUOTE = {"item": "sku-42"}


def test_the_fanout_without_a_crash_reports_the_failed_provider_failed() -> None:
    expected = fault_free(fanout_handler, QUOTE)

    assert "'primary': 'FAILED'" in expected
    assert results(fanout_handler, QUOTE, None) == {expected: RUNS}


@pytest.mark.parametrize("crash_after", [1, 2, 3])
def test_the_fanout_after_a_crash_reports_what_the_fault_free_run_does(crash_after: int) -> None:
    expected = fault_free(fanout_handler, QUOTE)

    assert results(fanout_handler, QUOTE, crash_after) == {expected: RUNS}


TOO_MANY_MALFORMED = {"records": records(10, {1, 4, 7})}


def completions(result: Any, batch_id: str) -> dict[str, str]:
    """Item name -> SUCCEEDED/FAILED for every item context the history completed."""
    events = json.loads(result.history_json())["Events"]
    done = {"ContextSucceeded": "SUCCEEDED", "ContextFailed": "FAILED"}
    return {
        event["Name"]: done[event["EventType"]]
        for event in events
        if event.get("ParentId") == batch_id and event["EventType"] in done
    }


@pytest.mark.parametrize(
    ("handler", "event", "batch", "names", "crash_after"),
    [
        *[
            (etl_handler, TOO_MANY_MALFORMED, "transform_records", None, n)
            for n in (None, 1, 2, 3, 4)
        ],
        *[
            (fanout_handler, QUOTE, "quotes", ["primary", "bulk", "express"], n)
            for n in (None, 1, 2, 3)
        ],
    ],
)
def test_the_batch_result_agrees_with_the_items_completed_in_the_history(
    handler: Any, event: Any, batch: str, names: list[str] | None, crash_after: int | None
) -> None:
    with DurableFunctionTestRunner(handler, **STEADY) as runner:
        for _ in range(RUNS):
            result = runner.run(event, crash_after=crash_after, timeout=30)
            assert result.status is InvocationStatus.SUCCEEDED, result.error
            context = result.get_context(batch)
            reported = {
                names[item.index] if names else f"map-item-{item.index}": item.status.value
                for item in context.result.all
            }
            completed = completions(result, context.operation_id)

            assert {k: v for k, v in reported.items() if v != "STARTED"} == completed
            assert context.result.success_count == list(completed.values()).count("SUCCEEDED")
