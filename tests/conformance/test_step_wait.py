"""The step (1-x) and wait (2-x) conformance requirements, run on the local runner.

Each requirement runs its handler with its Input, then checks the execution status and
result, the whole history strictly (docs/decisions.md, "Histories are compared strictly":
every event in order, ``ExecutionStarted`` first and the final ``Execution*`` event last, even
where a requirement lists fewer), the requirement's listed events at their ``EventId``s, and
its ``ExpectedLogs``.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from .handlers import HANDLERS
from .matcher import (
    Requirement,
    load_requirement,
    log_records_for,
    match_history,
    match_logs,
)

# The requirements live in shared/ beside the repository checkout (as CI lays it out).
CONFORMANCE_DIR = Path(
    os.environ.get(
        "DURABLE_CONFORMANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "conformance"
    )
)
SUITES = ("step", "wait")


def _natural(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.stem))


FILES = sorted(
    (p for suite in SUITES for p in (CONFORMANCE_DIR / suite).glob("*.yaml")), key=_natural
)

STARTED, SUCCEEDED, FAILED = "ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed"
INVOKED = "InvocationCompleted"
STEP_OK = ["StepStarted", "StepSucceeded"]
STEP_FAIL = ["StepStarted", "StepFailed"]
WAIT = ["WaitStarted", INVOKED, "WaitSucceeded"]

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "1-1": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-2": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-4": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-5": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-7": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-8": [STARTED, *STEP_OK, *WAIT, INVOKED, SUCCEEDED],
    "1-10": [STARTED, *STEP_FAIL, *WAIT, INVOKED, SUCCEEDED],
    "1-11": [STARTED, *STEP_FAIL, INVOKED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-13": [STARTED, *STEP_FAIL, INVOKED, *STEP_FAIL, INVOKED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-14": [STARTED, *STEP_FAIL, INVOKED, *STEP_FAIL, INVOKED, *STEP_OK, INVOKED, SUCCEEDED],
    "1-16": [STARTED, *STEP_FAIL, INVOKED, FAILED],
    "1-17": [STARTED, "StepStarted", INVOKED, "StepFailed", INVOKED, FAILED],
    "1-19": [STARTED, *STEP_FAIL, INVOKED, FAILED],
    "1-20": [STARTED, *STEP_FAIL, *STEP_OK, INVOKED, SUCCEEDED],
    "2-1": [STARTED, *WAIT, INVOKED, SUCCEEDED],
    "2-2": [STARTED, *WAIT, INVOKED, SUCCEEDED],
    # 2-4 and 2-5 list only the prefix up to the first InvocationCompleted.
    "2-4": [STARTED, *WAIT, INVOKED, SUCCEEDED],
    "2-5": [STARTED, *WAIT, INVOKED, SUCCEEDED],
}

# For requirements without an ExpectedResult (async ones): the status the run must reach.
DEFAULT_STATUS = {"2-4": "SUCCEEDED", "2-5": "SUCCEEDED"}

# The execution error's type for the FAILED requirements.
EXPECTED_ERROR_TYPE = {
    "1-16": r"(^|\.)TransientError$",
    "1-17": r"^StepInterruptedError$",
    "1-19": r"^ValueError$",
}

# Log checks beyond the requirement's own ExpectedLogs.
EXTRA_LOGS: dict[str, list[dict[str, Any]]] = {
    # The failed step ran once; replay re-raised the stored error without running it.
    "1-10": [{"match": {"message": "step executed"}, "count": 1}],
    "1-7": [{"match": {"level": "ERROR"}, "count": 0}],
}


def assert_strict_history(events: list[dict[str, Any]], expected_types: list[str]) -> None:
    """Every event, in order, with consecutive ids and non-decreasing timestamps."""
    types = [event["EventType"] for event in events]
    rows = itertools.zip_longest(expected_types, types, fillvalue="-")
    table = "\n".join(f"  {i:>2}: expected {e:<22} got {a}" for i, (e, a) in enumerate(rows, 1))
    assert types == expected_types, f"history differs:\n{table}"
    assert [event["EventId"] for event in events] == list(range(1, len(events) + 1))
    stamps = [event["EventTimestamp"] for event in events]
    assert stamps == sorted(stamps), f"timestamps go backwards: {stamps}"
    assert events[-1]["Id"] == events[0]["Id"], "the final Execution* event names the execution"


def _run(requirement: Requirement) -> tuple[Any, list[dict[str, Any]]]:
    payload = json.dumps(requirement.input)  # JSON text: a generated "12345678" stays a string
    with DurableFunctionTestRunner(HANDLERS[requirement.id]) as runner:
        if requirement.async_invoke:
            arn = runner.run_async(input=payload, timeout=10)
            result = runner.wait_for_result(arn, timeout=10)
        else:
            result = runner.run(input=payload, timeout=10)
        page = runner.get_execution_history(result.execution_arn, include_execution_data=True)
    assert "NextMarker" not in page, "history longer than one page"
    return result, page["Events"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # 1 vs 1.0 vs true stay distinct


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, f"no requirement files under {CONFORMANCE_DIR}/{{{','.join(SUITES)}}}"
    assert ids == set(HANDLERS) == set(FULL_HISTORY)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    requirement = load_requirement(path, random.Random())
    result, events = _run(requirement)

    status = requirement.expected_status or DEFAULT_STATUS[requirement.id]
    assert result.execution_status == status, f"{result.execution_status}: {result.error}"
    if requirement.has_result:
        assert _canonical(result.result) == _canonical(requirement.result)
    if requirement.id in EXPECTED_ERROR_TYPE:
        assert result.error is not None
        assert re.search(EXPECTED_ERROR_TYPE[requirement.id], result.error.type or ""), str(
            result.error
        )

    assert_strict_history(events, FULL_HISTORY[requirement.id])
    started = events[0]["ExecutionStartedDetails"]["Input"]["Payload"]
    assert json.loads(started) == requirement.input
    match_history(requirement.history, events)

    records = log_records_for(caplog.records, result.execution_arn)
    if requirement.logs is not None:
        match_logs(requirement.logs, records)
    match_logs(EXTRA_LOGS.get(requirement.id, []), records)
