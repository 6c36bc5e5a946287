"""When each plugin hook fires across invocations and replays, and what it receives."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_support import RETRY_TWICE, _one, by_invocation, names, run

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ExecutionError,
    InvocationError,
    StepContext,
    durable_execution,
)
from aws_durable_execution_sdk_python.lambda_service import InvocationStatus as OutputStatus
from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationType
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationEndInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python_testing import InvocationStatus

# -- when hooks fire --------------------------------------------------------------------------


def test_no_hooks_for_replayed_terminal_operations_but_one_end_for_a_wait() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        context.step(lambda s: "done", name="early")
        context.wait(Duration.from_seconds(60), name="pause")
        return context.step(lambda s: "late", name="late")

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.SUCCEEDED
    first, second = by_invocation(result)
    assert names(first, "on_operation_start") == ["early", "pause"]
    assert names(first, "on_operation_end") == ["early"]
    # The step completed in invocation 1 is replayed without any hook; the wait that
    # completed while the function was suspended ends once, reported as new.
    assert names(second, "on_operation_start") == ["late"]
    assert names(second, "on_operation_end") == ["pause", "late"]
    assert names(second, "on_user_function_start") == ["late"]
    [pause] = [info for hook, info in second if hook == "on_operation_end" and info.name == "pause"]
    assert type(pause) is OperationEndInfo
    assert pause.is_replayed is False
    assert pause.operation_type is OperationType.WAIT
    assert pause.status is OperationStatus.SUCCEEDED
    assert (pause.end_time - pause.start_time).total_seconds() == pytest.approx(60, abs=1)
    start = second[0][1]
    assert pause.operation_id in start.updated_operation_ids
    assert result.get_wait("pause").operation_id == pause.operation_id


def test_user_function_hooks_fire_for_every_attempt() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        def flaky(step_context: StepContext) -> int:
            if step_context.attempt < 3:
                raise RuntimeError(f"attempt {step_context.attempt}")
            return step_context.attempt

        return context.step(flaky, name="flaky", config=RETRY_TWICE)

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 3
    invocations = by_invocation(result)
    assert len(invocations) == 3  # each retry waits its backoff while suspended
    starts = [
        (index, info)
        for index, calls in enumerate(invocations)
        for hook, info in calls
        if hook == "on_user_function_start"
    ]
    ends = [
        (index, info)
        for index, calls in enumerate(invocations)
        for hook, info in calls
        if hook == "on_user_function_end"
    ]
    assert [(index, info.attempt) for index, info in starts] == [(0, 1), (1, 2), (2, 3)]
    assert [(index, info.attempt, info.outcome) for index, info in ends] == [
        (0, 1, UserFunctionOutcome.FAILED),
        (1, 2, UserFunctionOutcome.FAILED),
        (2, 3, UserFunctionOutcome.SUCCEEDED),
    ]
    assert all(type(info) is UserFunctionStartInfo for _i, info in starts)
    assert all(type(info) is UserFunctionEndInfo for _i, info in ends)
    assert all(info.name == "flaky" and info.end_time is not None for _i, info in ends)
    [end] = result.hooks("on_operation_end")
    assert (end.name, end.attempt, end.status) == ("flaky", 3, OperationStatus.SUCCEEDED)


def test_invocation_end_reports_pending_then_succeeded() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        context.wait(Duration.from_seconds(5), name="w1")
        context.wait(Duration.from_seconds(5), name="w2")
        return "ok"

    result = run(handler, record_hooks=True)

    ends = result.hooks("on_invocation_end")
    assert all(type(info) is InvocationEndInfo for info in ends)
    assert [info.status for info in ends] == [
        OutputStatus.PENDING,
        OutputStatus.PENDING,
        OutputStatus.SUCCEEDED,
    ]
    assert [info.error for info in ends] == [None, None, None]
    starts = result.hooks("on_invocation_start")
    assert [info.is_first_invocation for info in starts] == [True, False, False]
    assert {info.execution_arn for info in starts + ends} == {result.execution_arn}


def test_invocation_end_reports_failed_with_the_error() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        raise ExecutionError("cannot go on")

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.FAILED
    [end] = result.hooks("on_invocation_end")
    assert end.status is OutputStatus.FAILED
    assert end.error is not None
    assert end.error.type == "ExecutionError"
    assert "cannot go on" in end.error.message


def test_invocation_end_reports_retry_when_the_invocation_raised() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        def body(step_context: StepContext) -> None:
            raise InvocationError("throttled, try the invocation again")

        context.step(body, name="call")

    result = run(handler, record_hooks=True, invocation_retries=2)

    assert result.status is InvocationStatus.FAILED
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    ends = result.hooks("on_invocation_end")
    assert [info.status for info in ends] == [OutputStatus.RETRY] * 3
    for info in ends:
        assert info.error is not None
        assert info.error.type == "InvocationError"
        assert "throttled" in info.error.message
    outcomes = [info.outcome for info in result.hooks("on_user_function_end")]
    assert outcomes == [UserFunctionOutcome.FAILED] * 3


def _three_steps(event: Any, context: DurableContext) -> int:
    total = 0
    for index in range(3):
        total += context.step(lambda s, i=index: i, name=f"step {index}")
    return total


def test_operation_change_lists_the_changed_operations_and_all_of_them() -> None:
    seen: list[tuple[dict[str, OperationInfo], int, set[str | None], list[Any]]] = []

    class Changes(DurableInstrumentationPlugin):
        def on_operation_change(self, info: OperationChangeInfo) -> None:
            everything = dict(info.operations)  # read while the hook runs
            seen.append(
                (
                    dict(info.updated_operations),
                    len(info.operations),
                    {op.name for op in everything.values()},
                    [op.operation_type for op in everything.values()],
                )
            )

    result = run(durable_execution(plugins=[Changes()])(_three_steps))

    assert result.status is InvocationStatus.SUCCEEDED
    changes = result.hooks("on_operation_change")
    assert all(type(info) is OperationChangeInfo for info in changes)
    assert {info.execution_arn for info in changes} == {result.execution_arn}
    assert len(changes) == len(seen)
    steps = {op.name: op.operation_id for op in result.operations}
    for index, name in enumerate(["step 0", "step 1", "step 2"]):
        [(updated, count, names_then, kinds)] = [
            entry
            for entry in seen
            if steps[name] in entry[0] and entry[0][steps[name]].status is OperationStatus.SUCCEEDED
        ]
        changed = updated[steps[name]]
        assert isinstance(changed, OperationInfo)
        assert (changed.name, changed.status) == (name, OperationStatus.SUCCEEDED)
        assert changed.result == str(index)
        # Every operation so far, the EXECUTION operation included.
        assert count == index + 2
        assert names_then >= {f"step {i}" for i in range(index + 1)}
        assert kinds.count(OperationType.EXECUTION) == 1
    assert seen[-1][1] == len(result.get_all_operations()) + 1


def test_an_info_kept_after_its_hook_still_describes_its_moment() -> None:
    result = run(durable_execution(_three_steps), record_hooks=True)

    """Infos are frozen values: ``operations`` is what existed when the hook ran."""
    first_change = result.hooks("on_operation_change")[0]
    assert len(first_change.operations) == 2  # the EXECUTION operation and "step 0"
    [start] = result.hooks("on_invocation_start")
    assert len(start.operations) == 1  # only the EXECUTION operation existed


def test_operation_start_info_for_a_live_start() -> None:
    result = run(durable_execution(_one), record_hooks=True)

    [start] = result.hooks("on_operation_start")
    assert type(start) is OperationStartInfo
    assert (start.name, start.operation_type, start.is_replayed) == (
        "one",
        OperationType.STEP,
        False,
    )
    assert start.operation_id == result.get_step("one").operation_id
    [end] = result.hooks("on_operation_end")
    assert (end.result, end.attempt, end.error) == ("1", 1, None)
    assert end.start_time is not None and end.end_time >= end.start_time


# -- replay events --------------------------------------------------------------------------


def test_plugins_may_ask_for_replay_events_of_finished_operations() -> None:
    """By default a step finished in an earlier invocation is not reported again; a plugin
    with ``receive_replay_events = True`` hears about it, marked ``is_replayed``."""
    seen: dict[str, list[tuple[str, str | None, bool]]] = {"live": [], "replay": []}

    class Live(DurableInstrumentationPlugin):
        def on_operation_end(self, info: Any) -> None:
            seen["live"].append(("end", info.name, info.is_replayed))

    class Replaying(DurableInstrumentationPlugin):
        receive_replay_events = True

        def on_operation_start(self, info: Any) -> None:
            seen["replay"].append(("start", info.name, info.is_replayed))

        def on_operation_end(self, info: Any) -> None:
            seen["replay"].append(("end", info.name, info.is_replayed))

    @durable_execution(plugins=[Live(), Replaying()])
    def handler(event: Any, context: DurableContext) -> int:
        value = context.step(lambda _: 1, name="first")
        context.wait(Duration.from_seconds(5), name="pause")
        return value

    result = run(handler, record_hooks=False)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert seen["live"] == [("end", "first", False), ("end", "pause", False)]
    # The second invocation replays "first": only the plugin that asked hears about it.
    assert ("start", "first", True) in seen["replay"]
    assert ("end", "first", True) in seen["replay"]
    assert seen["replay"].count(("end", "first", False)) == 1
