"""After ``send_callback_*`` the execution moves on by itself; a test that polls sees it end.

docs/decisions.md, "The clock stops while the test holds control": the answer is applied
and the execution driven until it needs the test again or ends, without firing timers that
would only be due because time passed.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

POLLS = 100


@durable_execution
def two_approvals(event: dict, context: DurableContext) -> list[Any]:
    answers = []
    for name in ("first", "second"):
        callback = context.create_callback(
            name=name,
            config=CallbackConfig(timeout_seconds=600, heartbeat_timeout_seconds=60),
        )
        try:
            answers.append(callback.result())
        except Exception as error:  # a failure is an answer too
            answers.append(f"failed: {type(error).__name__}")
    return answers


def _poll_until_ended(runner: DurableFunctionTestRunner, arn: str) -> dict[str, Any]:
    """What a test written for a deployed function does: poll, bounded, no sleeps."""
    for _ in range(POLLS):
        execution = runner.get_execution(arn)
        if execution["Status"] != "RUNNING":
            return execution
    pytest.fail(f"execution {arn} still RUNNING after {POLLS} polls")


def test_polling_sees_the_execution_end_after_the_answers():
    with DurableFunctionTestRunner(two_approvals) as runner:
        arn = runner.run_async(input={})
        runner.send_callback_success(runner.wait_for_callback(arn, name="first"), "yes")
        # The first answer alone drove the execution to its next callback.
        assert runner.get_execution(arn)["Status"] == "RUNNING"
        second = runner.wait_for_callback(arn, name="second")
        runner.send_callback_failure(second, ErrorObject("no", "Rejected"))
        execution = _poll_until_ended(runner, arn)

    assert execution["Status"] == "SUCCEEDED"
    assert execution["DurableExecutionArn"] == arn
    assert execution["DurableExecutionName"] == "execution-name"
    assert execution["FunctionArn"].endswith(":function:test-function:$LATEST")
    assert execution["Result"] == '["yes", "failed: CallbackExternalError"]'
    assert execution["EndTimestamp"] >= execution["StartTimestamp"]


def test_get_result_and_history_show_progress_without_wait_for_result():
    with DurableFunctionTestRunner(two_approvals) as runner:
        arn = runner.run_async(input={})
        runner.send_callback_success(runner.wait_for_callback(arn, name="first"), "a")
        types = [e["EventType"] for e in runner.get_execution_history(arn)["Events"]]
        assert types.count("CallbackStarted") == 2  # the second callback exists already
        runner.send_callback_success(runner.wait_for_callback(arn, name="second"), "b")
        result = runner.get_result(arn)
    assert result.execution_status == "SUCCEEDED"
    assert result.result == ["a", "b"]


def test_a_heartbeat_moves_nothing_and_fires_no_timeout():
    with DurableFunctionTestRunner(two_approvals) as runner:
        arn = runner.run_async(input={})
        first = runner.wait_for_callback(arn, name="first")
        before = runner.clock.now()
        runner.send_callback_heartbeat(first)
        # The clock stops while the test holds control: no heartbeat or callback timeout.
        assert runner.clock.now() - before < 60
        assert runner.get_execution(arn)["Status"] == "RUNNING"
        history = runner.get_execution_history(arn)["Events"]
        assert not [e for e in history if e["EventType"] == "CallbackTimedOut"]
        runner.send_callback_success(first, "late but not timed out")
        runner.send_callback_success(runner.wait_for_callback(arn, name="second"), "b")
        assert _poll_until_ended(runner, arn)["Status"] == "SUCCEEDED"
