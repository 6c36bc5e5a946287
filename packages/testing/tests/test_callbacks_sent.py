"""Callback answers sent by the test, and runs stuck on a callback nobody answers.

The test drives the run with ``run_async``/``start``, ``wait_for_callback`` and
``send_callback_*``; a callback with no answer and no timer stops the run at once.
"""

from __future__ import annotations

import pytest
from runner_support import approval, events, reply_during_a_wait

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
    StuckExecutionError,
)

pytestmark = pytest.mark.usefixtures("no_threads_left_running")


# --- answers sent by the test ------------------------------------------------------------


def test_wait_for_callback_returns_as_soon_as_the_callback_exists():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn, name="approval")
        pending = runner.get_result(arn)
        runner.send_callback_success(callback_id, "yes")
        result = runner.wait_for_result(arn)

    assert pending.status is InvocationStatus.PENDING
    assert pending.get_callback("approval create callback id").status.value == "STARTED"
    # The runner stopped after the invocation that created the callback.
    assert len(events(pending, "InvocationCompleted")) == 1
    assert pending.history[-1]["EventType"] == "InvocationCompleted"
    assert result.result == {"answer": "yes"}
    # The virtual clock stood still while the test held control.
    (created,) = events(result, "CallbackStarted")
    (answered,) = events(result, "CallbackSucceeded")
    assert (answered["EventTimestamp"] - created["EventTimestamp"]).total_seconds() < 1
    assert created["CallbackStartedDetails"]["CallbackId"] == callback_id


def test_run_async_leaves_a_timed_callback_open_for_the_test():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={"timeout": 3600})
        callback_id = runner.wait_for_callback(arn, name="approval")
        runner.send_callback_success(callback_id, "yes")
        result = runner.wait_for_result(arn)

    assert result.result == {"answer": "yes"}


def test_start_then_wait_for_callback_answers_a_timed_callback():
    """Until run_async is fixed: ``start`` does not drive, ``wait_for_callback`` stops early."""
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.start(input={"timeout": 3600})
        callback_id = runner.wait_for_callback(arn, name="approval create callback id")
        runner.send_callback_failure(callback_id, ErrorObject("vetoed", "Veto"))
        result = runner.wait_for_result(arn)

    assert result.result == {"failed": "vetoed", "callback_id": callback_id}
    assert result.get_callback("approval create callback id").error.type == "Veto"
    assert result.get_operations_by_name("after approval") == []


@pytest.mark.parametrize(
    "send",
    [
        lambda runner: runner.send_callback_success("no-such-id", "x"),
        lambda runner: runner.send_callback_failure("no-such-id", ErrorObject("m", "T")),
        lambda runner: runner.send_callback_heartbeat("no-such-id"),
    ],
    ids=["success", "failure", "heartbeat"],
)
def test_answering_an_unknown_callback_id_is_a_test_error(send):
    with (
        DurableFunctionTestRunner(approval) as runner,
        pytest.raises(DurableFunctionsTestError, match="no-such-id"),
    ):
        send(runner)


def test_answering_a_callback_twice_is_a_test_error():
    with DurableFunctionTestRunner(reply_during_a_wait) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn)
        runner.send_callback_success(callback_id, "first")
        # The first answer already drove the execution on (it may have ended since).
        with pytest.raises(DurableFunctionsTestError, match=r"SUCCEEDED|has ended"):
            runner.send_callback_success(callback_id, "second")
        result = runner.wait_for_result(arn)

    assert result.result == "first"


def test_wait_for_callback_names_the_callbacks_it_has_when_the_name_is_wrong():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        with pytest.raises(DurableFunctionsTestError, match="approval create callback id"):
            runner.wait_for_callback(arn, name="payment")


# --- stuck runs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "name"),
    [(reply_during_a_wait, "reply"), (approval, "approval create callback id")],
)
def test_unanswered_callback_without_a_timer_is_stuck_at_once(handler, name):
    # The real-time bounds only keep a broken runner from hanging: one that kept waiting
    # would raise TimeoutError, not StuckExecutionError.
    with DurableFunctionTestRunner(handler) as runner:
        with pytest.raises(StuckExecutionError, match=f"callback {name!r}"):
            runner.run(input={}, timeout=10)
        arn = runner.start(input={})
        with pytest.raises(StuckExecutionError) as raised:
            runner.wait_for_result(arn, timeout=10)
        result = runner.get_result(arn)

    # Nothing happened after the last invocation: the virtual clock was not moved on to the
    # execution's timeout, which would have ended the execution.
    assert result.status is InvocationStatus.PENDING
    assert result.history[-1]["EventType"] == "InvocationCompleted"
    message = str(raised.value)
    assert arn in message
    assert f"callback {name!r}" in message
    assert result.get_callback(name).callback_id in message
    assert "send_callback_success" in message
    assert "callbacks=" in message


def test_declared_function_returning_nothing_leaves_the_callback_unanswered():
    with (
        DurableFunctionTestRunner(reply_during_a_wait) as runner,
        pytest.raises(StuckExecutionError, match="'reply'"),
    ):
        runner.run(input={}, callbacks={"reply": lambda created: None})
