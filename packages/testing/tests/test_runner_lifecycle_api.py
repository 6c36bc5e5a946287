"""The runner's lifecycle API: pause, resume, delete and list executions, end to end.

The SDK runs for real against the in-memory service: a pause taken from inside a step cuts
the invocation at its next checkpoint (the SDK sees the invalid-token error and ends the
invocation as retryable), the cut is not counted against ``invocation_retries``, and a
resume replays the handler to its end. Errors are ``DurableFunctionsTestError`` naming the
service's error code, as for the runner's other methods.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
    StuckExecutionError,
)

# What the handlers below reach: the runner (to pause from inside a step) and counters.
_SHARED: dict[str, Any] = {}


@pytest.fixture(autouse=True)
def _fresh_shared() -> Iterator[None]:
    _SHARED.clear()
    _SHARED["runs"] = {"first": 0, "second": 0}
    yield
    _SHARED.clear()


@durable_execution
def pauses_itself(event: dict, context: DurableContext) -> list[str]:
    arn = context.execution_context.durable_execution_arn

    def first(_: Any) -> str:
        _SHARED["runs"]["first"] += 1
        if _SHARED["runs"]["first"] == 1:
            _SHARED["runner"].pause_execution(arn, reason="from a step")
        return "one"

    def second(_: Any) -> str:
        _SHARED["runs"]["second"] += 1
        return "two"

    return [context.step(first, name="first"), context.step(second, name="second")]


@durable_execution
def waits_then_steps(event: dict, context: DurableContext) -> str:
    context.wait(60, name="pause-window")
    return context.step(lambda _: "after", name="after")


@durable_execution
def approval(event: dict, context: DurableContext) -> Any:
    callback = context.create_callback(name="approval")
    return callback.result()


@durable_execution
def quick(event: dict, context: DurableContext) -> str:
    return "done"


def _types(runner: DurableFunctionTestRunner, arn: str) -> list[str]:
    return [e["EventType"] for e in runner.get_execution_history(arn)["Events"]]


# -- pause and resume ------------------------------------------------------------------------


def test_a_pause_from_a_step_cuts_the_invocation_and_a_resume_finishes_it():
    with DurableFunctionTestRunner(pauses_itself, invocation_retries=0) as runner:
        _SHARED["runner"] = runner
        arn = runner.run_async(input={})

        paused = runner.get_execution(arn)
        assert paused["Status"] == "PAUSED"
        assert paused["PauseDetails"]["Reason"] == "from a step"
        assert paused["PauseDetails"]["ExecutionTimeoutPaused"] is True
        # The second step ran in the cut invocation, but its result was refused.
        assert _SHARED["runs"] == {"first": 1, "second": 1}

        runner.resume_execution(arn, reason="go on")
        result = runner.wait_for_result(arn)

    # No retries allowed, yet it succeeds: the cut invocation did not count as a failure.
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == ["one", "two"]
    # The first step's result was checkpointed before the pause took effect: it replays.
    # The second's was refused: it runs again (an at-least-once step).
    assert _SHARED["runs"] == {"first": 1, "second": 2}
    types = [e["EventType"] for e in result.history]
    assert types.index("StepSucceeded") < types.index("ExecutionPaused")
    assert types.index("ExecutionPaused") < types.index("ExecutionResumed")
    assert result.invocation_count == 2
    cut = result.invocations[0]
    assert "Invalid Checkpoint Token" in cut["Error"]["Payload"]["ErrorMessage"]


def test_waiting_for_the_result_of_a_paused_execution_says_how_to_resume_it():
    with DurableFunctionTestRunner(waits_then_steps) as runner:
        arn = runner.start(input={})
        runner.pause_execution(arn)

        with pytest.raises(StuckExecutionError, match=r"PAUSED.*resume_execution"):
            runner.wait_for_result(arn)


def test_a_paused_execution_is_not_invoked_until_resumed():
    with DurableFunctionTestRunner(waits_then_steps) as runner:
        arn = runner.start(input={})
        runner.pause_execution(arn)
        runner.advance_time(3600)
        assert runner.get_result(arn).invocation_count == 0

        runner.resume_execution(arn)
        result = runner.wait_for_result(arn)

    assert result.result == "after"
    types = [e["EventType"] for e in result.history]
    assert types[:3] == ["ExecutionStarted", "ExecutionPaused", "ExecutionResumed"]


def test_a_wait_ends_while_paused_and_the_execution_goes_on_once_resumed():
    with DurableFunctionTestRunner(waits_then_steps) as runner:
        arn = runner.start(input={})
        runner.advance_time(0)  # the first invocation starts the wait and suspends
        runner.pause_execution(arn)
        runner.advance_time(120)  # the wait ends while paused: nothing is invoked

        meanwhile = runner.get_result(arn)
        assert meanwhile.status is InvocationStatus.PENDING
        assert meanwhile.get_wait("pause-window").status.value == "SUCCEEDED"
        assert meanwhile.invocation_count == 1

        runner.resume_execution(arn)
        result = runner.wait_for_result(arn)

    assert result.result == "after"
    assert result.invocation_count == 2


def test_a_callback_answered_while_paused_is_delivered_once_resumed():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn)
        runner.pause_execution(arn)
        runner.send_callback_success(callback_id, "approved")
        assert runner.get_execution(arn)["Status"] == "PAUSED"

        runner.resume_execution(arn)
        result = runner.wait_for_result(arn)

    assert result.result == "approved"


def test_a_paused_execution_can_be_stopped():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        runner.pause_execution(arn)
        runner.stop_execution(arn)
        described = runner.get_execution(arn)

    assert described["Status"] == "STOPPED"
    assert "PauseDetails" not in described


@pytest.mark.parametrize(
    ("action", "match"),
    [
        ("pause-ended", "ResourceConflictException.*has ended"),
        ("pause-twice", "ResourceConflictException.*already PAUSED"),
        ("resume-running", "ResourceConflictException.*RUNNING"),
        ("pause-bad-token", "InvalidParameterValueException.*ClientToken"),
        ("pause-unknown", "not found"),
    ],
)
def test_lifecycle_errors_are_test_errors_naming_the_service_error(action, match):
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        with pytest.raises(DurableFunctionsTestError, match=match):
            if action == "pause-ended":
                runner.stop_execution(arn)
                runner.pause_execution(arn)
            elif action == "pause-twice":
                runner.pause_execution(arn)
                runner.pause_execution(arn)
            elif action == "resume-running":
                runner.resume_execution(arn)
            elif action == "pause-bad-token":
                runner.pause_execution(arn, client_token="has spaces")
            else:
                runner.pause_execution(arn.replace("execution-name", "nobody"))


# -- delete ------------------------------------------------------------------------------------


def test_a_deleted_execution_is_gone_with_its_callbacks():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn)
        runner.stop_execution(arn)
        before = runner.clock.now_datetime()

        deleted_at = runner.delete_execution(arn)

        assert isinstance(deleted_at, datetime.datetime)
        assert deleted_at >= before
        assert runner.list_executions()["DurableExecutions"] == []
        for call in (
            lambda: runner.get_execution(arn),
            lambda: runner.get_execution_history(arn),
            lambda: runner.get_result(arn),
            lambda: runner.delete_execution(arn),
            lambda: runner.pause_execution(arn),
        ):
            with pytest.raises(DurableFunctionsTestError, match="not found"):
                call()
        with pytest.raises(DurableFunctionsTestError, match="ResourceNotFoundException"):
            runner.send_callback_success(callback_id, "late")


def test_deleting_an_execution_that_has_not_ended_is_a_conflict():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})

        with pytest.raises(DurableFunctionsTestError, match="ResourceConflictException"):
            runner.delete_execution(arn)
        assert runner.get_execution(arn)["Status"] == "RUNNING"


def test_other_executions_run_on_after_one_is_deleted():
    with DurableFunctionTestRunner(waits_then_steps) as runner:
        first = runner.run(input={}, execution_name="first")
        runner.delete_execution(first.execution_arn)
        second = runner.run(input={}, execution_name="second")

    assert second.result == "after"


# -- list --------------------------------------------------------------------------------------


def test_list_executions_of_the_runners_function_newest_first():
    with DurableFunctionTestRunner(quick, function_name="lister") as runner:
        older = runner.run(input={}, execution_name="older").execution_arn
        newer = runner.run(input={}, execution_name="newer").execution_arn
        listed = runner.list_executions()
        by_arn = runner.list_executions(
            "arn:aws:lambda:us-east-1:123456789012:function:lister", reverse_order=True
        )
        named = runner.list_executions(execution_name="older")
        running = runner.list_executions(statuses=["RUNNING"])
        other = runner.list_executions("someone-else")

    assert [e["DurableExecutionArn"] for e in listed["DurableExecutions"]] == [newer, older]
    assert [e["DurableExecutionArn"] for e in by_arn["DurableExecutions"]] == [older, newer]
    assert [e["DurableExecutionName"] for e in named["DurableExecutions"]] == ["older"]
    assert running["DurableExecutions"] == []
    assert other == {"DurableExecutions": []}
    assert {e["Status"] for e in listed["DurableExecutions"]} == {"SUCCEEDED"}


def test_list_executions_pages_with_the_marker():
    with DurableFunctionTestRunner(quick) as runner:
        arns = [runner.run(input={}, execution_name=f"run-{i}").execution_arn for i in range(5)]
        first = runner.list_executions(max_items=2)
        second = runner.list_executions(max_items=2, marker=first["NextMarker"])
        with pytest.raises(DurableFunctionsTestError, match="InvalidParameterValueException"):
            runner.list_executions(marker="garbage")

    listed = first["DurableExecutions"] + second["DurableExecutions"]
    assert [e["DurableExecutionArn"] for e in listed] == arns[::-1][:4]
