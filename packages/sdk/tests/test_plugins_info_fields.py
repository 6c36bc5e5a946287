"""Fields of the invocation and user-function infos that published plugins read."""

from __future__ import annotations

import datetime
from typing import Any

from plugin_support import RETRY_TWICE, Recorder, run

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationType
from aws_durable_execution_sdk_python.plugin import OperationInfo
from aws_durable_execution_sdk_python_testing import InvocationStatus


def test_invocation_start_carries_the_operations_updated_since_the_last_invocation() -> None:
    calls: list[tuple[str, str, Any]] = []

    @durable_execution(plugins=[Recorder(calls)])
    def handler(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="before")
        context.wait(Duration.from_seconds(30), name="pause")
        return context.step(lambda s: 2, name="after")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    first, second = [info for _l, hook, info in calls if hook == "on_invocation_start"]
    assert dict(first.updated_operations) == {}
    assert first.updated_operation_ids == ()
    [pause_id] = second.updated_operation_ids
    assert list(second.updated_operations) == [pause_id]
    pause = second.updated_operations[pause_id]
    assert isinstance(pause, OperationInfo)
    assert (pause.name, pause.operation_type, pause.status) == (
        "pause",
        OperationType.WAIT,
        OperationStatus.SUCCEEDED,
    )
    assert pause_id in second.operations


def _user_function_infos(calls: list[tuple[str, str, Any]], hook: str) -> list[Any]:
    return [info for _l, h, info in calls if h == hook]


def _assert_aware(value: Any) -> None:
    assert isinstance(value, datetime.datetime)
    assert value.tzinfo is not None and value.utcoffset() is not None


def test_a_steps_first_attempt_reports_its_start_time_before_the_start_is_acknowledged() -> None:
    """The default (at-least-once) step only queues its START: no checkpoint has a start
    timestamp yet when its body begins, but the user function has started."""
    calls: list[tuple[str, str, Any]] = []
    body_ran_at: list[datetime.datetime] = []

    def body(step_context: StepContext) -> int:
        body_ran_at.append(datetime.datetime.now(datetime.UTC))
        return 1

    @durable_execution(plugins=[Recorder(calls)])
    def handler(event: Any, context: DurableContext) -> int:
        return context.step(body, name="queued")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    [start] = _user_function_infos(calls, "on_user_function_start")
    [end] = _user_function_infos(calls, "on_user_function_end")
    _assert_aware(start.start_time)
    assert start.start_time <= body_ran_at[0] <= end.end_time
    assert end.start_time == start.start_time  # the end describes the same run
    assert start.status is OperationStatus.STARTED
    assert start.attempt == 1


def test_every_user_function_run_reports_its_own_start_time() -> None:
    calls: list[tuple[str, str, Any]] = []

    def flaky(step_context: StepContext) -> int:
        if step_context.attempt < 3:
            raise RuntimeError("again")
        return 1

    at_most_once = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)

    @durable_execution(plugins=[Recorder(calls)])
    def handler(event: Any, context: DurableContext) -> int:
        total = context.step(flaky, name="flaky", config=RETRY_TWICE)
        total += context.step(lambda s: 1, name="once", config=at_most_once)
        return total + context.run_in_child_context(lambda child: 1, name="child")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    starts = _user_function_infos(calls, "on_user_function_start")
    ends = _user_function_infos(calls, "on_user_function_end")
    assert [(info.name, info.attempt) for info in starts] == [
        ("flaky", 1),
        ("flaky", 2),
        ("flaky", 3),
        ("once", 1),
        ("child", 1),  # a context that starts now: attempt 1 (None when one runs again)
    ]
    for start, end in zip(starts, ends, strict=True):
        _assert_aware(start.start_time)
        assert (end.name, end.start_time) == (start.name, start.start_time)
        assert start.start_time <= end.end_time
        assert start.status is OperationStatus.STARTED
    # Each retry is a run of its own, later than the one before.
    flaky_starts = [info.start_time for info in starts if info.name == "flaky"]
    assert flaky_starts == sorted(flaky_starts)
    assert len(set(flaky_starts)) == 3
