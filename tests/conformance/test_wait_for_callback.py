"""The wait_for_callback (7-x) conformance requirements, run on the local runner.

``CallbackActions`` become the runner's declarative ``callbacks=``; ``OFFSETS`` pins when
answers and timeouts land on the virtual clock. Checks as in ``harness.verify``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from .handlers_wfcb import HANDLERS
from .harness import (
    FAILED,
    INVOKED,
    STARTED,
    STEP_FAIL,
    STEP_OK,
    SUCCEEDED,
    WAIT,
    requirement_files,
    verify,
)
from .matcher import load_requirement

FILES = requirement_files("wait_for_callback")

CTX_S, CTX_OK, CTX_FAIL = "ContextStarted", "ContextSucceeded", "ContextFailed"
CB_S, CB_OK = "CallbackStarted", "CallbackSucceeded"
CB_FAIL, CB_TIMEOUT = "CallbackFailed", "CallbackTimedOut"
# The operation's first invocation: its context, callback and submitter step, then suspend.
SUBMITTED = [CTX_S, CB_S, *STEP_OK, INVOKED]

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "7-1": [STARTED, *SUBMITTED, CB_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-2": [STARTED, *SUBMITTED, CB_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-4": [STARTED, *SUBMITTED, CB_FAIL, CTX_FAIL, INVOKED, FAILED],
    "7-5": [STARTED, *SUBMITTED, CB_TIMEOUT, CTX_FAIL, INVOKED, FAILED],
    "7-7": [STARTED, CTX_S, CB_S, *STEP_FAIL, INVOKED, *STEP_FAIL, CTX_FAIL, INVOKED, FAILED],
    "7-8": [STARTED, CTX_S, *SUBMITTED, CB_OK, CTX_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-10": [STARTED, *WAIT, *STEP_OK, *SUBMITTED, CB_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-11": [STARTED, *SUBMITTED, CB_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-13": [STARTED, *SUBMITTED, CB_OK, CTX_OK, INVOKED, SUCCEEDED],
    "7-14": [STARTED, *SUBMITTED, CB_TIMEOUT, CTX_FAIL, INVOKED, SUCCEEDED],
}

# Virtual seconds after ExecutionStarted at which events (by EventId) happen.
OFFSETS: dict[str, dict[int, float]] = {
    "7-1": {7: 1},
    "7-2": {7: 1},
    "7-4": {7: 1},
    "7-5": {7: 3},
    "7-7": {7: 1},  # the submitter's retry, 1 s after its first failure
    "7-8": {8: 1},
    "7-10": {4: 1, 12: 2},
    "7-11": {7: 1},
    "7-13": {7: 1},
    "7-14": {7: 3},
}

# Results the requirements imply without stating them (``${VAR}`` resolved): without a
# serdes the result is the raw text the outside system sent (7-11 contrasts its JSON serdes).
EXPECTED_RESULT: dict[str, Any] = {
    "7-1": '"${CB_PAYLOAD}"',
    "7-2": '"${CB_PAYLOAD}"',
    "7-8": '"${CB_PAYLOAD}"',
    "7-10": '"${CB_PAYLOAD}"',
    "7-13": '"${CB_PAYLOAD}"',
}

# The execution error's type for the FAILED requirements.
EXPECTED_ERROR_TYPE = {
    "7-4": r"^CallbackExternalError$",
    "7-5": r"^CallbackTimeoutError$",
    "7-7": r"^CallbackSubmitterError$",
}

# The submitter ran once: replays return its checkpoint.
EXTRA_LOGS: dict[str, list[dict[str, Any]]] = {
    "7-1": [{"match": {"message": "/^callback id ready: /"}, "count": 1}],
    "7-2": [{"match": {"message": "/^approval requested: /"}, "count": 1}],
    "7-10": [{"match": {"message": "/^callback id ready: /"}, "count": 1}],
}


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no wait_for_callback requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY) == set(OFFSETS)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    extra: dict[str, Any] = {}
    if requirement.id in EXPECTED_RESULT:
        extra["result"] = EXPECTED_RESULT[requirement.id]
    verify(
        requirement,
        HANDLERS[requirement.id],
        caplog,
        history=FULL_HISTORY[requirement.id],
        error_type=EXPECTED_ERROR_TYPE.get(requirement.id),
        offsets=OFFSETS[requirement.id],
        extra_logs=EXTRA_LOGS.get(requirement.id),
        **extra,
    )
