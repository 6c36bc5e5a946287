"""The wait_for_condition (6-x) conformance requirements, run on the local runner.

Each poll is a STEP of subtype WaitForCondition: ``StepStarted`` then ``StepSucceeded``
carrying the state (with ``NextAttemptDelaySeconds`` while polling goes on). Checks as in
``harness.verify``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python.serdes import SerDesContext

from .handlers_wfc import HANDLERS, EncodedTextSerDes
from .harness import (
    FAILED,
    INVOKED,
    STARTED,
    STEP_FAIL,
    STEP_OK,
    SUCCEEDED,
    requirement_files,
    verify,
)
from .matcher import load_requirement

FILES = requirement_files("wait_for_condition")

POLL = [*STEP_OK, INVOKED]  # a poll that goes on: the invocation ends until the next one

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "6-1": [STARTED, *POLL, *POLL, *STEP_OK, INVOKED, SUCCEEDED],
    "6-2": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "6-4": [STARTED, *POLL, *POLL, *STEP_OK, INVOKED, SUCCEEDED],
    "6-5": [STARTED, *POLL, *POLL, *STEP_OK, INVOKED, SUCCEEDED],
    "6-7": [STARTED, *STEP_FAIL, INVOKED, FAILED],
    "6-8": [STARTED, *STEP_FAIL, INVOKED, SUCCEEDED],
    "6-10": [STARTED, *STEP_OK, INVOKED, SUCCEEDED],
    "6-11": [STARTED, *POLL, *STEP_OK, INVOKED, SUCCEEDED],
    # The first operation's last poll and the second's first share an invocation.
    "6-13": [STARTED, *POLL, *STEP_OK, *POLL, *STEP_OK, INVOKED, SUCCEEDED],
}

# Virtual seconds after ExecutionStarted at which polls (by EventId) start.
OFFSETS: dict[str, dict[int, float]] = {"6-5": {5: 2, 8: 4}, "6-11": {5: 1}}

# The execution error's type for the FAILED requirements: the check's own error
# (docs/decisions.md, "A failed step raises its original error").
EXPECTED_ERROR_TYPE = {"6-7": r"(^|\.)CheckFailure$"}


def _encoded(text: str) -> str:
    return EncodedTextSerDes().serialize(text, SerDesContext())


# Checkpointed states (StepSucceeded Result.Payload by EventId) the requirements describe.
PAYLOADS: dict[str, dict[int, str]] = {
    "6-10": {3: "null"},
    "6-11": {3: _encoded("x"), 6: _encoded("xx")},
}


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no wait_for_condition requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    _, events = verify(
        requirement,
        HANDLERS[requirement.id],
        caplog,
        history=FULL_HISTORY[requirement.id],
        error_type=EXPECTED_ERROR_TYPE.get(requirement.id),
        offsets=OFFSETS.get(requirement.id),
    )
    for event_id, payload in PAYLOADS.get(requirement.id, {}).items():
        details: dict[str, Any] = events[event_id - 1]["StepSucceededDetails"]
        assert details["Result"]["Payload"] == payload
    # Every poll but an operation's last says when the next one comes; the last does not.
    polls = [e for e in events if e["EventType"] == "StepSucceeded"]
    for index, event in enumerate(polls):
        retry = event["StepSucceededDetails"].get("RetryDetails", {})
        again = any(later["Id"] == event["Id"] for later in polls[index + 1 :])
        assert ("NextAttemptDelaySeconds" in retry) == again, event
