"""The plugin (10-x) conformance requirements, run on the local runner.

Checks as in ``harness.verify``: status and result, the whole history strictly
(docs/decisions.md, "Histories are compared strictly"), the listed events at their
``EventId``s, and the ``ExpectedLogs`` the plugins' JSON records must satisfy (ids bound from
the history). Each requirement also checks facts on the hook infos themselves, as the runner
recorded them (``result.hook_events``), not only through the plugins' logs.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import (
    InvocationStatus,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python.plugin import UserFunctionOutcome
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

from .handlers_plugin import HANDLERS, PluginFault, greeting
from .harness import (
    FAILED,
    INVOKED,
    STARTED,
    STEP_FAIL,
    STEP_OK,
    SUCCEEDED,
    WAIT,
    requirement_files,
    run_requirement,
    verify,
)
from .matcher import load_requirement

FILES = requirement_files("plugin")
PLUGIN_ERRORS = "aws_durable_execution_sdk_python.plugin"  # where plugin failures are logged

CTX_S, CTX_OK = "ContextStarted", "ContextSucceeded"
STEP_S, WAIT_S, WAIT_OK = "StepStarted", "WaitStarted", "WaitSucceeded"
ONE_STEP = [STARTED, *STEP_OK, INVOKED, SUCCEEDED]
ONE_WAIT = [STARTED, *WAIT, INVOKED, SUCCEEDED]

# The complete history of each requirement, written from what must happen.
FULL_HISTORY: dict[str, list[str]] = {
    "10-1": ONE_STEP,
    "10-2": ONE_STEP,
    "10-4": ONE_STEP,
    "10-5": ONE_STEP,
    "10-7": [STARTED, *STEP_FAIL, INVOKED, FAILED],
    "10-8": ONE_STEP,
    "10-10": ONE_WAIT,
    "10-11": [STARTED, CTX_S, *STEP_OK, CTX_OK, INVOKED, SUCCEEDED],
    "10-13": [STARTED, *STEP_OK, *STEP_FAIL, INVOKED, *STEP_OK, INVOKED, SUCCEEDED],
    "10-14": [STARTED, *STEP_OK, *STEP_FAIL, INVOKED, FAILED],
    "10-16": ONE_WAIT,
    "10-17": ONE_STEP,
    "10-19": ONE_WAIT,
    "10-20": ONE_STEP,
    "10-22": ONE_STEP,
    # 10-23 lists only the parallel's ContextStarted: max-concurrency 1 runs branch-a (its
    # step, then its wait suspends), and after the wait branch-b, then the parallel ends.
    "10-23": [
        *(STARTED, CTX_S, CTX_S, *STEP_OK, WAIT_S, INVOKED),
        *(WAIT_OK, CTX_OK, CTX_S, CTX_OK, CTX_OK, INVOKED, SUCCEEDED),
    ],
}

# The execution error's type for the FAILED requirements.
EXPECTED_ERROR_TYPE = {"10-7": r"^RuntimeError$", "10-14": r"^RuntimeError$"}


Check = Callable[[Any, list[dict[str, Any]]], None]
CHECKS: dict[str, Check] = {}


def check(*stems: str) -> Callable[[Check], Check]:
    """Register a check of the recorded hook infos for the requirements ``stems``."""

    def register(function: Check) -> Check:
        for stem in stems:
            CHECKS[stem] = function
        return function

    return register


def _ops(outcome: Any, hook: str, kind: OperationType | None = None) -> list[Any]:
    infos = outcome.hooks(hook)
    return [i for i in infos if kind is None or i.operation_type is kind]


@check("10-1", "10-5")
def _one_invocation(outcome: Any, events: list[dict[str, Any]]) -> None:
    (start,) = outcome.hooks("on_invocation_start")
    (end,) = outcome.hooks("on_invocation_end")
    assert start.is_first_invocation and end.is_first_invocation
    assert start.execution_arn == end.execution_arn == outcome.execution_arn
    assert end.status is InvocationStatus.SUCCEEDED and end.error is None
    assert outcome.hook_events[0].hook == "on_invocation_start"
    assert outcome.hook_events[-1].hook == "on_invocation_end"


@check("10-2")
def _step_lifecycle(outcome: Any, events: list[dict[str, Any]]) -> None:
    (start,) = _ops(outcome, "on_operation_start")
    (end,) = _ops(outcome, "on_operation_end")
    assert start.operation_id == end.operation_id == events[1]["Id"]
    assert start.operation_type is OperationType.STEP and start.name == "greet"
    assert not start.is_replayed and start.status is OperationStatus.STARTED
    assert end.status is OperationStatus.SUCCEEDED and end.end_time is not None


@check("10-4", "10-17")
def _isolated_faults(outcome: Any, events: list[dict[str, Any]]) -> None:
    # The recorder (registered after the faulty plugin) still saw every hook, once.
    hooks = [event.hook for event in outcome.hook_events]
    assert hooks == [
        "on_invocation_start",
        "on_operation_start",
        "on_user_function_start",
        "on_user_function_end",
        "on_operation_end",
        "on_operation_change",
        "on_invocation_end",
    ]
    (attempt_end,) = outcome.hooks("on_user_function_end")
    assert attempt_end.outcome is UserFunctionOutcome.SUCCEEDED and attempt_end.attempt == 1


@check("10-7")
def _failed_invocation(outcome: Any, events: list[dict[str, Any]]) -> None:
    (end,) = outcome.hooks("on_invocation_end")
    assert end.status is InvocationStatus.FAILED and end.is_first_invocation
    assert end.error is not None and end.error.message == "boom"
    (step_end,) = _ops(outcome, "on_operation_end")
    assert step_end.status is OperationStatus.FAILED and step_end.error.message == "boom"


@check("10-8")
def _change(outcome: Any, events: list[dict[str, Any]]) -> None:
    step_id = events[1]["Id"]
    changes = [c for c in outcome.hooks("on_operation_change") if step_id in c.updated_operations]
    assert changes, "no operation-change delta holds the step"
    last = changes[-1]
    assert last.execution_arn == outcome.execution_arn
    assert last.updated_operations[step_id].status is OperationStatus.SUCCEEDED
    assert last.operations[step_id].status is OperationStatus.SUCCEEDED
    assert set(last.updated_operations) <= set(last.operations)


@check("10-10")
def _wait_lifecycle(outcome: Any, events: list[dict[str, Any]]) -> None:
    wait_id = events[1]["Id"]
    (end,) = _ops(outcome, "on_operation_end", OperationType.WAIT)
    assert end.operation_id == wait_id and end.status is OperationStatus.SUCCEEDED
    assert end.end_time is not None and end.sub_type is OperationSubType.WAIT
    # The wait ended while the function was suspended: the replay says so.
    replay_start = outcome.hooks("on_invocation_start")[1]
    assert replay_start.updated_operation_ids == (wait_id,)


@check("10-11")
def _parent_linkage(outcome: Any, events: list[dict[str, Any]]) -> None:
    ctx_id, step_id = events[1]["Id"], events[2]["Id"]
    ends = {info.operation_id: info for info in _ops(outcome, "on_operation_end")}
    assert set(ends) == {ctx_id, step_id}
    assert ends[step_id].parent_id == ctx_id and ends[ctx_id].parent_id is None
    assert ends[ctx_id].sub_type is OperationSubType.RUN_IN_CHILD_CONTEXT
    assert json.loads(ends[ctx_id].result) == outcome.result


@check("10-13")
def _replay_flag(outcome: Any, events: list[dict[str, Any]]) -> None:
    a_id, b_id = events[1]["Id"], events[3]["Id"]
    starts = _ops(outcome, "on_operation_start")
    assert [s.is_replayed for s in starts if s.operation_id == a_id] == [False]
    b_starts = [s for s in starts if s.operation_id == b_id]
    assert [s.is_replayed for s in b_starts[:2]] == [False, True]
    # Replayed, B is pending its retry: a non-terminal status.
    assert all(not s.status.is_terminal for s in b_starts[1:])
    b_end = next(e for e in _ops(outcome, "on_operation_end") if e.operation_id == b_id)
    assert b_end.status is OperationStatus.SUCCEEDED and b_end.attempt == 2


@check("10-14")
def _end_payload(outcome: Any, events: list[dict[str, Any]]) -> None:
    a_end, b_end = _ops(outcome, "on_operation_end")
    assert (a_end.result, a_end.error) == ('"task-a"', None)
    assert b_end.result is None and b_end.error is not None
    assert (b_end.error.message, b_end.error.type) == ("boom", "RuntimeError")


@check("10-16")
def _end_per_invocation(outcome: Any, events: list[dict[str, Any]]) -> None:
    ends = outcome.hooks("on_invocation_end")
    assert [(e.is_first_invocation, e.status) for e in ends] == [
        (True, InvocationStatus.PENDING),
        (False, InvocationStatus.SUCCEEDED),
    ]
    assert [e.hook for e in outcome.hook_events if "invocation" in e.hook] == [
        "on_invocation_start",
        "on_invocation_end",
    ] * 2


@check("10-19")
def _invocation_fields(outcome: Any, events: list[dict[str, Any]]) -> None:
    first, replay = outcome.hooks("on_invocation_start")
    assert first.request_id != replay.request_id
    assert first.execution_start_time == replay.execution_start_time
    assert first.execution_start_time == events[0]["EventTimestamp"]
    assert replay.updated_operation_ids == (events[1]["Id"],)
    assert events[1]["Id"] in replay.operations
    assert replay.operations[events[1]["Id"]].status is OperationStatus.SUCCEEDED


@check("10-20")
def _operation_fields(outcome: Any, events: list[dict[str, Any]]) -> None:
    (end,) = _ops(outcome, "on_operation_end")
    assert (end.name, end.attempt, end.result, end.error) == ("greet", 1, '"task-a"', None)
    assert end.start_time is not None and end.end_time is not None
    assert end.start_time <= end.end_time


@check("10-22")
def _change_fields(outcome: Any, events: list[dict[str, Any]]) -> None:
    step_id = events[1]["Id"]
    (change,) = outcome.hooks("on_operation_change")
    item = change.updated_operations[step_id]
    assert (item.name, item.attempt, item.status) == ("greet", 1, OperationStatus.SUCCEEDED)
    assert len(change.operations) == 2  # the EXECUTION operation and the step


@check("10-23")
def _context_fields(outcome: Any, events: list[dict[str, Any]]) -> None:
    fn_starts = _ops(outcome, "on_user_function_start", OperationType.CONTEXT)
    by_name: dict[str, list[Any]] = {}
    for info in fn_starts:
        by_name.setdefault(info.name, []).append(info)
    assert len(by_name["branch-a"]) == 2 and len(by_name["branch-b"]) == 1
    assert all(i.sub_type is OperationSubType.PARALLEL_BRANCH for i in by_name["branch-a"])
    assert all(i.parent_id == events[1]["Id"] for i in by_name["branch-b"])
    (parallel_end,) = [i for i in _ops(outcome, "on_operation_end") if i.name == "ctx"]
    assert parallel_end.sub_type is OperationSubType.PARALLEL


# -- the suite -----------------------------------------------------------------------------


def test_catalogue_is_complete() -> None:
    ids = {path.stem for path in FILES}
    assert ids, "no plugin requirement files"
    assert ids == set(HANDLERS) == set(FULL_HISTORY) == set(CHECKS)


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in FILES])
def test_requirement(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    requirement = load_requirement(path, random.Random())
    stem = requirement.id
    outcome, events = verify(
        requirement,
        HANDLERS[stem],
        caplog,
        history=FULL_HISTORY[stem],
        error_type=EXPECTED_ERROR_TYPE.get(stem),
    )
    CHECKS[stem](outcome, events)
    if stem in ("10-4", "10-17"):
        # Each faulty hook's failure is logged once, at ERROR, with its traceback.
        failures = [r for r in caplog.records if r.name == PLUGIN_ERRORS]
        assert len(failures) == 6, [r.getMessage() for r in failures]
        assert all(r.levelno == logging.ERROR and r.exc_info for r in failures)
        assert all(isinstance(r.exc_info[1], PluginFault) for r in failures if r.exc_info)
        # The result and history are those of the same handler without any plugin.
        plain, plain_events = run_requirement(requirement, greeting([]))
        assert plain.result == outcome.result and not plain.hook_events
        assert _shape(events) == _shape(plain_events)


def _shape(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(e["EventType"], e.get("Name"), e.get("SubType"), e.get("ParentId")) for e in events]


def test_user_function_infos_of_a_live_run_are_not_replayed() -> None:
    """One invocation, nothing replayed: every user-function info says so, as the
    operation-start info of the same operation does."""
    at_most_once = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1, name="amo", config=at_most_once)  # START committed first
        return context.run_in_child_context(lambda child: child.step(lambda _: 2), name="ctx")

    with DurableFunctionTestRunner(handler, record_hooks=True) as runner:
        outcome = runner.run(input={}, timeout=10)
    assert outcome.result == 2 and len(outcome.hooks("on_invocation_start")) == 1
    assert not any(info.is_replayed for info in outcome.hooks("on_operation_start"))
    functions = [e for e in outcome.hook_events if e.hook.startswith("on_user_function")]
    assert len(functions) == 6
    replayed = [(e.hook, e.info.name) for e in functions if e.info.is_replayed]
    assert replayed == [], f"live user functions reported as replayed: {replayed}"
