"""The callback (4-x) conformance requirements, run on the local runner.

``CallbackActions`` become the runner's declarative ``callbacks=`` (virtual delays after each
callback's creation), so answers and timeouts interleave exactly with timers; ``OFFSETS``
pins when they land. Checks as in ``harness.verify``.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
)

from .handlers_callback import HANDLERS
from .harness import (
    CB_OK,
    FAILED,
    INVOKED,
    STARTED,
    STEP_OK,
    SUCCEEDED,
    callbacks_for,
    requirement_files,
    verify,
)
from .matcher import load_requirement

FILES = requirement_files("callback")

CB_S, CB_FAIL, CB_TIMEOUT = "CallbackStarted", "CallbackFailed", "CallbackTimedOut"
WAIT_S, WAIT_OK = "WaitStarted", "WaitSucceeded"

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "4-1": [STARTED, *CB_OK, INVOKED, SUCCEEDED],
    "4-2": [STARTED, *CB_OK, INVOKED, SUCCEEDED],
    "4-4": [STARTED, CB_S, INVOKED, CB_TIMEOUT, INVOKED, FAILED],
    "4-5": [STARTED, *CB_OK, INVOKED, SUCCEEDED],
    "4-7": [STARTED, CB_S, *STEP_OK, INVOKED, CB_FAIL, INVOKED, FAILED],
    "4-8": [STARTED, CB_S, *STEP_OK, INVOKED, CB_TIMEOUT, INVOKED, FAILED],
    # The answer lands during the wait: an invocation that finds the wait pending.
    "4-10": [STARTED, CB_S, WAIT_S, INVOKED, CB_FAIL, INVOKED, WAIT_OK, INVOKED, FAILED],
    "4-11": [STARTED, CB_S, WAIT_S, INVOKED, CB_TIMEOUT, INVOKED, WAIT_OK, INVOKED, FAILED],
    "4-13": [STARTED, CB_S, INVOKED, CB_FAIL, WAIT_S, INVOKED, WAIT_OK, INVOKED, SUCCEEDED],
    "4-14": [STARTED, CB_S, INVOKED, CB_TIMEOUT, WAIT_S, INVOKED, WAIT_OK, INVOKED, SUCCEEDED],
    "4-16": [STARTED, *CB_OK, INVOKED, SUCCEEDED],
    "4-17": [STARTED, *CB_OK, *CB_OK, INVOKED, SUCCEEDED],
    "4-19": [STARTED, CB_S, *CB_OK, INVOKED, "CallbackSucceeded", INVOKED, SUCCEEDED],
}

# Virtual seconds after ExecutionStarted at which events (by EventId) happen: each answer
# Delay seconds after its callback's creation, timeouts and waits on time.
OFFSETS: dict[str, dict[int, float]] = {
    "4-1": {4: 1},
    "4-2": {4: 1},
    "4-4": {4: 5},
    "4-5": {4: 1},
    "4-7": {6: 1},
    "4-8": {6: 5},
    "4-10": {5: 1, 7: 5},
    "4-11": {5: 3, 7: 6},
    "4-13": {4: 1, 7: 3},
    "4-14": {4: 3, 7: 5},
    "4-16": {4: 1},
    "4-17": {4: 1, 7: 2},
    "4-19": {5: 1, 7: 4},
}

# Results the requirements imply without stating them (``${VAR}`` resolved).
EXPECTED_RESULT: dict[str, Any] = {
    "4-1": "${CB_PAYLOAD}",
    "4-2": "${CB_PAYLOAD}",
    "4-5": "${CB_PAYLOAD}",
    "4-13": "callback failed: not approved",
    "4-17": ["${CB_PAYLOAD_A}", "${CB_PAYLOAD_B}"],
    "4-19": ["${CB_PAYLOAD_A}", "${CB_PAYLOAD_B}"],
}

# The execution error's type for the FAILED requirements ("fails with CallbackError").
EXPECTED_ERROR_TYPE = {
    "4-4": r"^CallbackTimeoutError$",
    "4-7": r"^CallbackExternalError$",
    "4-8": r"^CallbackTimeoutError$",
    "4-10": r"^CallbackExternalError$",
    "4-11": r"^CallbackTimeoutError$",
}


def test_callback_actions_become_runner_callbacks() -> None:
    # Per callback, each Delay counts from the previous action; success sends JSON text.
    actions = [
        {"CallbackName": "a", "Operation": "heartbeat"},
        {"CallbackName": "${/^b/}", "Operation": "success", "Payload": 42, "Delay": 4},
        {"CallbackName": "a", "Operation": "success", "Payload": "x", "Delay": 1},
        {"CallbackName": "*", "Operation": "failure", "Payload": {"ErrorType": "E"}, "Delay": 2},
    ]
    assert callbacks_for(actions) == {
        "a": [CallbackHeartbeat(delay=0), CallbackSuccess('"x"', delay=1)],
        "/^b/": [CallbackSuccess("42", delay=4)],
        "*": [CallbackFailure(error_type="E", delay=2)],
    }


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no callback requirement files"
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
        **extra,
    )
