"""Run one conformance requirement on the local runner and check it, as every suite does.

A requirement runs its handler with its ``Input`` (chained-invoke targets registered, its
``CallbackActions`` declared as the runner's ``callbacks=``), then the check covers the
execution status and result, the whole history strictly (docs/decisions.md, "Histories are
compared strictly": every event in order, ``ExecutionStarted`` first and the final
``Execution*`` event last, even where a requirement lists fewer), the requirement's listed
events at their ``EventId``s, and its ``ExpectedLogs``.
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    DurableFunctionTestRunner,
)

from .matcher import Requirement, log_records_for, match_history, match_logs, substitute

__all__ = [
    "CB_OK",
    "CONFORMANCE_DIR",
    "FAILED",
    "INVOKED",
    "STARTED",
    "STEP_FAIL",
    "STEP_OK",
    "SUCCEEDED",
    "WAIT",
    "Target",
    "assert_strict_history",
    "callbacks_for",
    "missing_data_reason",
    "needs_data",
    "requirement_files",
    "run_requirement",
    "verify",
]

# The requirements live in shared/ beside the repository checkout (as CI lays it out).
CONFORMANCE_DIR = Path(
    os.environ.get(
        "DURABLE_CONFORMANCE_DIR", Path(__file__).resolve().parents[3] / "shared" / "conformance"
    )
)


def missing_data_reason() -> str | None:
    """Why the requirement files cannot be read, or ``None`` when they can.

    A fresh clone has no ``shared/`` beside it: its data-driven tests skip with this
    message, unless ``CI`` is set, where they fail with it (``conftest.py``).
    """
    if CONFORMANCE_DIR.is_dir():
        return None
    return (
        f"no conformance requirements at {CONFORMANCE_DIR}: set DURABLE_CONFORMANCE_DIR to "
        "the directory of the requirement files (default: shared/conformance beside the "
        "repository checkout)"
    )


def needs_data(item: pytest.Item) -> bool:
    """Tests that read requirement files: parametrised by ``path``, or reading the module's
    list of files (``FILES``) or the directory itself."""
    if "path" in getattr(item, "fixturenames", ()):
        return True
    try:
        source = inspect.getsource(getattr(item, "function", None))  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    return "FILES" in source or "CONFORMANCE_DIR" in source


STARTED, SUCCEEDED, FAILED = "ExecutionStarted", "ExecutionSucceeded", "ExecutionFailed"
INVOKED = "InvocationCompleted"
STEP_OK = ["StepStarted", "StepSucceeded"]
STEP_FAIL = ["StepStarted", "StepFailed"]
WAIT = ["WaitStarted", INVOKED, "WaitSucceeded"]
CB_OK = ["CallbackStarted", INVOKED, "CallbackSucceeded"]

# A chained-invoke target: (handler, durable?) registered under its function name.
Target = tuple[Callable[..., Any], bool]

_REGEX_NAME = re.compile(r"^\$\{/(.*)/\}$", re.DOTALL)


def _natural(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.stem))


def requirement_files(*suites: str) -> list[Path]:
    """The suites' requirement files, in natural order (3-2 before 3-10)."""
    return sorted(
        (p for suite in suites for p in (CONFORMANCE_DIR / suite).glob("*.yaml")), key=_natural
    )


# -- CallbackActions -> runner callbacks= ---------------------------------------------------


def _callback_key(name: str) -> str:
    """``'*'`` and exact names as is; ``${/regex/}`` becomes the runner's ``/regex/``."""
    pattern = _REGEX_NAME.match(name)
    return f"/{pattern.group(1)}/" if pattern else name


def _action(spec: Mapping[str, Any], at: float) -> Any:
    operation = spec["Operation"]
    payload = spec.get("Payload")
    if operation == "success":
        # Result = the JSON of Payload; str results are sent verbatim, so dump it here.
        return CallbackSuccess(json.dumps(payload) if "Payload" in spec else None, delay=at)
    if operation == "failure":
        payload = payload or {}
        return CallbackFailure(
            error_type=payload.get("ErrorType"),
            error_message=payload.get("ErrorMessage"),
            error_data=payload.get("ErrorData"),
            stack_trace=payload.get("StackTrace"),
            delay=at,
        )
    if operation == "heartbeat":
        return CallbackHeartbeat(delay=at)
    raise ValueError(f"CallbackActions: unknown Operation {operation!r}")


def callbacks_for(actions: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The runner's ``callbacks=`` for a requirement's ``CallbackActions``.

    Each callback's actions run in order, each ``Delay`` seconds after the previous one
    (the first after the callback's creation), so the runner gets cumulative delays.
    """
    out: dict[str, list[Any]] = {}
    elapsed: dict[str, float] = {}
    for spec in actions:
        key = _callback_key(spec["CallbackName"])
        elapsed[key] = elapsed.get(key, 0.0) + float(spec.get("Delay") or 0)
        out.setdefault(key, []).append(_action(spec, elapsed[key]))
    return out


# -- running and checking ------------------------------------------------------------------


def assert_strict_history(events: list[dict[str, Any]], expected_types: list[str]) -> None:
    """Every event, in order, with consecutive ids and non-decreasing timestamps."""
    types = [event["EventType"] for event in events]
    rows = itertools.zip_longest(expected_types, types, fillvalue="-")
    table = "\n".join(f"  {i:>2}: expected {e:<24} got {a}" for i, (e, a) in enumerate(rows, 1))
    assert types == expected_types, f"history differs:\n{table}"
    assert [event["EventId"] for event in events] == list(range(1, len(events) + 1))
    stamps = [event["EventTimestamp"] for event in events]
    assert stamps == sorted(stamps), f"timestamps go backwards: {stamps}"
    assert events[-1]["Id"] == events[0]["Id"], "the final Execution* event names the execution"


def run_requirement(
    requirement: Requirement,
    handler: Callable[..., Any],
    targets: Mapping[str, Target] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Run the handler as the requirement says; returns the result and the full history."""
    payload = json.dumps(requirement.input)  # JSON text: a generated "12345678" stays a string
    callbacks = callbacks_for(requirement.callback_actions) or None
    with DurableFunctionTestRunner(handler) as runner:
        for name, (target, durable) in (targets or {}).items():
            if durable:
                runner.register_durable_function(name, target)
            else:
                runner.register_function(name, target)
        if requirement.async_invoke:
            arn = runner.run_async(input=payload, timeout=10, callbacks=callbacks)
            result = runner.wait_for_result(arn, timeout=10)
        else:
            result = runner.run(input=payload, timeout=10, callbacks=callbacks)
        page = runner.get_execution_history(result.execution_arn, include_execution_data=True)
        rejected = list(runner.rejected_callback_actions)
    assert "NextMarker" not in page, "history longer than one page"
    assert not rejected, f"callback actions came too late: {rejected}"
    return result, page["Events"]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)  # 1 vs 1.0 vs true stay distinct


_UNSET: Any = object()


def verify(
    requirement: Requirement,
    handler: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
    *,
    history: list[str],
    targets: Mapping[str, Target] | None = None,
    error_type: str | None = None,
    result: Any = _UNSET,
    offsets: Mapping[int, float] | None = None,
    extra_logs: list[dict[str, Any]] | None = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``requirement`` and check everything it (and the caller's extras) demands.

    ``result`` is a check for requirements that state no ``Result`` (``${VAR}`` resolved);
    ``error_type`` a regex for the execution error's type; ``offsets`` the virtual seconds
    after ``ExecutionStarted`` at which events (by ``EventId``) must happen.
    """
    caplog.set_level(logging.INFO)
    outcome, events = run_requirement(requirement, handler, targets)

    status = requirement.expected_status or "SUCCEEDED"
    assert outcome.execution_status == status, f"{outcome.execution_status}: {outcome.error}"
    got = _canonical(outcome.result)
    if requirement.has_result:
        assert got == _canonical(requirement.result), f"result {got}"
    if result is not _UNSET:
        assert got == _canonical(substitute(result, requirement.variables)), f"result {got}"
    if error_type is not None:
        assert outcome.error is not None
        assert re.search(error_type, outcome.error.type or ""), str(outcome.error)

    assert_strict_history(events, history)
    started = events[0]["ExecutionStartedDetails"]["Input"]["Payload"]
    assert json.loads(started) == requirement.input
    bindings = match_history(requirement.history, events)
    if offsets:
        start = events[0]["EventTimestamp"]
        actual = {
            event_id: (events[event_id - 1]["EventTimestamp"] - start).total_seconds()
            for event_id in offsets
        }
        # Virtual time jumps to each timer; within an invocation it moves with real time,
        # so an event lands at its offset plus the little real time spent before it.
        late = {i: actual[i] - offsets[i] for i in offsets}
        assert all(0 <= d < 0.9 for d in late.values()), f"offsets {actual} != {dict(offsets)}"

    records = log_records_for(caplog.records, outcome.execution_arn)
    if requirement.logs is not None:
        match_logs(requirement.logs, records, bindings)
    match_logs(extra_logs or [], records, bindings)
    return outcome, events
