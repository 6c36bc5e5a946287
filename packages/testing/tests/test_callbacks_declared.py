"""Callback answers declared on ``run``, played out on the virtual clock.

Declared answers race callback timeouts and waits, heartbeats keep a callback alive, and each
declaration answers the callbacks its key matches (name, ``wait_for_callback`` name, pattern).
"""

from __future__ import annotations

import pytest
from runner_support import (
    approval,
    at,
    callback_in_plain_child_context,
    error_type_of,
    events,
    heartbeat_callback,
    reply_during_a_wait,
    reply_with_timeout,
)

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    CreatedCallback,
    DurableFunctionTestRunner,
    StuckExecutionError,
)

pytestmark = pytest.mark.usefixtures("no_threads_left_running")


# --- declared answers racing timeouts and waits ------------------------------------------


def test_callback_timeout_beats_a_later_reply():
    with DurableFunctionTestRunner(reply_with_timeout) as runner:
        result = runner.run(
            input={"timeout": 5, "linger": 10}, callbacks={"reply": CallbackSuccess("hi", delay=8)}
        )

    assert result.result == {"timed_out": "Callback timed out"}
    (timed_out,) = events(result, "CallbackTimedOut")
    assert at(result, timed_out) == pytest.approx(5, abs=0.5)
    assert error_type_of(timed_out) == "Callback.Timeout"
    assert events(result, "CallbackSucceeded") == []
    # The reply came at 8 s, while the execution still ran, and was refused.
    ((created, action, error),) = runner.rejected_callback_actions
    assert created.name == "reply"
    assert created.execution_arn == result.execution_arn
    assert action == CallbackSuccess("hi", delay=8)
    assert "timed out" in str(error)


def test_late_reply_after_the_execution_ended_is_recorded_as_rejected():
    with DurableFunctionTestRunner(reply_with_timeout) as runner:
        result = runner.run(
            input={"timeout": 5}, callbacks={"reply": CallbackSuccess("hi", delay=8)}
        )

    assert result.result == {"timed_out": "Callback timed out"}
    ((created, action, _error),) = runner.rejected_callback_actions
    assert (created.name, action) == ("reply", CallbackSuccess("hi", delay=8))


def test_declared_answers_do_not_leak_into_the_next_run():
    with DurableFunctionTestRunner(reply_with_timeout) as runner:
        runner.run(input={"timeout": 5}, callbacks={"reply": CallbackSuccess("late", delay=8)})
        rejected_after_first_run = list(runner.rejected_callback_actions)
        second = runner.run(
            input={"timeout": 5, "linger": 60}, callbacks={"reply": CallbackSuccess("hi", delay=1)}
        )

    assert second.result == {"answer": "hi"}
    assert runner.rejected_callback_actions == rejected_after_first_run


def test_reply_beats_the_callback_timeout():
    with DurableFunctionTestRunner(reply_with_timeout) as runner:
        result = runner.run(
            input={"timeout": 5}, callbacks={"reply": CallbackSuccess("hi", delay=1)}
        )

    assert result.result == {"answer": "hi"}
    (succeeded,) = events(result, "CallbackSucceeded")
    assert at(result, succeeded) == pytest.approx(1, abs=0.5)
    assert events(result, "CallbackTimedOut") == []
    assert runner.rejected_callback_actions == []


def test_reply_after_one_second_lands_during_a_five_second_wait():
    with DurableFunctionTestRunner(reply_during_a_wait) as runner:
        result = runner.run(input={}, callbacks={"reply": CallbackSuccess("early", delay=1)})

    assert result.result == "early"
    kinds = [e["EventType"] for e in result.history]
    assert kinds.index("CallbackSucceeded") < kinds.index("WaitSucceeded")
    (succeeded,) = events(result, "CallbackSucceeded")
    (waited,) = events(result, "WaitSucceeded")
    assert at(result, succeeded) == pytest.approx(1, abs=0.5)
    assert at(result, waited) == pytest.approx(5, abs=0.5)
    # The handler read the answer right after the wait: the execution ended at 5 s, not 6.
    (ended,) = events(result, "ExecutionSucceeded")
    assert at(result, ended) == pytest.approx(5, abs=0.5)


def test_reply_after_eight_seconds_outlasts_a_five_second_wait():
    with DurableFunctionTestRunner(reply_during_a_wait) as runner:
        result = runner.run(input={}, callbacks={"reply": CallbackSuccess("late", delay=8)})

    assert result.result == "late"
    (ended,) = events(result, "ExecutionSucceeded")
    assert at(result, ended) == pytest.approx(8, abs=0.5)


@pytest.mark.parametrize(
    ("beats", "outcome", "ends_at"),
    [
        # Every 8 s, under the 10 s heartbeat timeout: alive until the answer at 30 s.
        ([8, 16, 24], {"answer": "done"}, 30),
        # The heartbeats stop at 16 s: timed out 10 s later, before the answer.
        ([8, 16], {"timed_out": "Callback timed out on heartbeat"}, 26),
        # None at all: timed out at 10 s.
        ([], {"timed_out": "Callback timed out on heartbeat"}, 10),
    ],
)
def test_heartbeats_keep_a_callback_alive_past_its_heartbeat_timeout(beats, outcome, ends_at):
    answers = [*(CallbackHeartbeat(delay=d) for d in beats), CallbackSuccess("done", delay=30)]
    with DurableFunctionTestRunner(heartbeat_callback) as runner:
        result = runner.run(input={}, callbacks={"job": answers})

    assert result.result == outcome
    (closed,) = [
        e for e in result.history if e["EventType"] in ("CallbackSucceeded", "CallbackTimedOut")
    ]
    assert at(result, closed) == pytest.approx(ends_at, abs=0.5)
    if "timed_out" in outcome:
        assert error_type_of(closed) == "Callback.Heartbeat"


def test_declared_failure_reaches_the_handler_with_the_callback_id():
    with DurableFunctionTestRunner(approval) as runner:
        result = runner.run(
            input={"timeout": 60},
            callbacks={"approval": CallbackFailure("Veto", "vetoed", error_data="{}", delay=30)},
        )

    callback = result.get_callback("approval create callback id")
    assert result.result == {"failed": "vetoed", "callback_id": callback.callback_id}
    assert callback.error == ErrorObject("vetoed", "Veto", "{}")
    assert result.get_context("approval").error.type == "CallbackExternalError"
    (failed,) = events(result, "CallbackFailed")
    assert at(result, failed) == pytest.approx(30, abs=0.5)


# --- which callback a declaration answers ------------------------------------------------


@pytest.mark.parametrize(
    "key", ["approval", "approval create callback id", "*", "/^appr/", "/callback id$/"]
)
def test_declared_answer_found_by_any_of_its_names(key):
    with DurableFunctionTestRunner(approval) as runner:
        result = runner.run(input={}, callbacks={key: "yes"})

    assert result.result == {"answer": "yes"}


def test_the_first_matching_key_wins():
    with DurableFunctionTestRunner(approval) as runner:
        result = runner.run(input={}, callbacks={"other": "no", "approval": "yes", "*": "any"})

    assert result.result == {"answer": "yes"}


def test_unmatched_declarations_leave_the_callback_unanswered():
    with (
        DurableFunctionTestRunner(approval) as runner,
        pytest.raises(StuckExecutionError, match="approval create callback id"),
    ):
        runner.run(input={}, callbacks={"approve": "yes", "/^x/": "no"})


def test_function_valued_entry_receives_the_created_callback():
    seen: list[CreatedCallback] = []

    def answer(created: CreatedCallback):
        seen.append(created)
        return [CallbackHeartbeat(delay=1), CallbackSuccess({"id": created.callback_id}, delay=2)]

    with DurableFunctionTestRunner(approval) as runner:
        result = runner.run(input={}, callbacks={"approval": answer})

    (created,) = seen
    callback = result.get_callback("approval create callback id")
    assert created == CreatedCallback(
        callback_id=callback.callback_id,
        name="approval create callback id",
        operation_id=callback.operation_id,
        execution_arn=result.execution_arn,
        wait_for_callback_name="approval",
    )
    # A non-text success value is sent as JSON text.
    assert callback.raw_result == f'{{"id": "{created.callback_id}"}}'
    assert result.result == {"answer": callback.raw_result}


def test_a_plain_child_context_name_is_not_a_wait_for_callback_name():
    seen: list[CreatedCallback] = []
    with DurableFunctionTestRunner(callback_in_plain_child_context) as runner:
        result = runner.run(
            input={}, callbacks={"group": "wrong", "*": lambda c: seen.append(c) or "right"}
        )

    assert result.result == "right"
    assert seen[0].wait_for_callback_name is None
