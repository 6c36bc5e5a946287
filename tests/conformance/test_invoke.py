"""The chained-invoke (5-x) conformance requirements, run on the local runner.

The targets the requirements describe are registered on the runner (``TARGETS``), so each
chained invoke runs as its own execution. Checks as in ``harness.verify``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from .handlers_invoke import HANDLERS, LARGE_PAYLOAD_CHARS, TARGETS
from .harness import FAILED, INVOKED, STARTED, STEP_OK, SUCCEEDED, requirement_files, verify
from .matcher import load_requirement

FILES = requirement_files("invoke")

CI_S, CI_OK, CI_FAIL = "ChainedInvokeStarted", "ChainedInvokeSucceeded", "ChainedInvokeFailed"
INVOKE_OK = [CI_S, INVOKED, CI_OK]
WAIT_S, WAIT_OK = "WaitStarted", "WaitSucceeded"

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "5-1": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-2": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-4": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-5": [STARTED, CI_S, INVOKED, CI_FAIL, INVOKED, FAILED],
    "5-7": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-8": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-10": [STARTED, CI_S, INVOKED, CI_FAIL, WAIT_S, INVOKED, WAIT_OK, INVOKED, SUCCEEDED],
    "5-11": [STARTED, *STEP_OK, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-13": [STARTED, "ContextStarted", *INVOKE_OK, "ContextSucceeded", INVOKED, SUCCEEDED],
    "5-14": [STARTED, *INVOKE_OK, *INVOKE_OK, INVOKED, SUCCEEDED],
    "5-16": [STARTED, *INVOKE_OK, INVOKED, SUCCEEDED],
}

# Results the requirements imply without stating them (``${VAR}`` resolved).
EXPECTED_RESULT: dict[str, Any] = {
    "5-1": "${INPUT_1}",
    "5-2": "${INPUT_1}",
    "5-4": None,
    "5-7": {"length": LARGE_PAYLOAD_CHARS, "head": "large-pa"},
    "5-8": "${PAYLOAD}",
    "5-10": "caught: the target function failed",
    "5-11": {"computed": 42},
    "5-13": "from the child context",
    "5-14": ["first", "second"],
}

# The execution error's type for the FAILED requirements. The requirement says the handler
# "throws InvokeError"; as a failed step does, the error keeps the target error's class
# (docs/decisions.md, "A failed step raises its original error").
EXPECTED_ERROR_TYPE = {"5-5": r"(^|\.)TargetFailure$"}

# The target each requirement's (first) ChainedInvokeStarted names.
FUNCTION_NAME = {"5-1": "echo-target", "5-5": "failing-target", "5-7": "measure-target"}


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no invoke requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    extra: dict[str, Any] = {}
    if requirement.id in EXPECTED_RESULT:
        extra["result"] = EXPECTED_RESULT[requirement.id]
    _, events = verify(
        requirement,
        HANDLERS[requirement.id],
        caplog,
        history=FULL_HISTORY[requirement.id],
        targets=TARGETS,
        error_type=EXPECTED_ERROR_TYPE.get(requirement.id),
        **extra,
    )
    started = next(e for e in events if e["EventType"] == CI_S)["ChainedInvokeStartedDetails"]
    if requirement.id in FUNCTION_NAME:
        assert started["FunctionName"] == FUNCTION_NAME[requirement.id]
    if requirement.id == "5-7":
        assert len(json.loads(started["Input"]["Payload"])) == LARGE_PAYLOAD_CHARS
