"""Tests of the expense approval: hours of waiting for a manager cost milliseconds.

Answers are declared up front (``run(callbacks=...)``), each at a virtual delay after the
callback is created, or sent by the test itself (``start``/``run_async`` then
``wait_for_callback`` and ``send_callback_*``).
"""

from __future__ import annotations

import json

import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    InvocationStatus,
)
from examples.human_approval import workflow
from examples.human_approval.workflow import handler

EXPENSE = {"expense_id": "e-7", "employee": "sam", "amount": 120, "approver": "maria"}
HOUR = 3600


@pytest.fixture(autouse=True)
def outbox(monkeypatch):
    """A fresh outbox per test, so each test sees only its own e-mails."""
    sent: list[dict] = []
    monkeypatch.setattr(workflow, "OUTBOX", sent)
    return sent


def heartbeats(every: float, until: float) -> list[CallbackHeartbeat]:
    """A heartbeat every ``every`` seconds, strictly before ``until``."""
    count = int((until - 1) // every)
    return [CallbackHeartbeat(delay=every * n) for n in range(1, count + 1)]


def event(result, event_type: str) -> dict:
    (found,) = [e for e in result.history if e["EventType"] == event_type]
    return found


def seconds_between(result, first: str, second: str) -> float:
    return (
        event(result, second)["EventTimestamp"] - event(result, first)["EventTimestamp"]
    ).total_seconds()


def step_names(result) -> list[str]:
    return [op.name for op in result.get_all_operations() if op.operation_type.value == "STEP"]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_approved_two_hours_later_with_heartbeats(durable_runner, outbox):
    answer = json.dumps({"approver": "maria", "comment": "receipts ok"})
    with durable_runner:
        result = durable_runner.run(
            input=EXPENSE,
            timeout=10,
            callbacks={
                # The tool heartbeats every 30 min, so the 1 h heartbeat timeout never fires.
                "approval": [
                    *heartbeats(every=HOUR / 2, until=2 * HOUR),
                    CallbackSuccess(answer, delay=2 * HOUR),
                ]
            },
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "request_id": "req-e-7",
        "amount": 120,
        "status": "approved",
        "approver": "maria",
        "comment": "receipts ok",
        "payout": "payout-req-e-7",
    }
    # Two hours between the callback's creation and its answer, on the virtual clock (the
    # run's real-time bound, timeout=10, would stop a runner that really waited).
    assert seconds_between(result, "CallbackStarted", "CallbackSucceeded") == pytest.approx(
        2 * HOUR, abs=1
    )
    callback = result.get_callback("approval create callback id")
    assert callback.raw_result == answer
    assert outbox == [
        {"to": "maria", "request_id": "req-e-7", "reply_to": callback.callback_id}
    ]  # sent once, though the handler ran twice
    assert result.invocation_count == 2
    assert step_names(result) == ["record_request", "approval submitter", "reimburse"]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_rejected_by_the_approver(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input=EXPENSE,
            timeout=10,
            callbacks={
                "approval": CallbackFailure(
                    error_type="Rejected", error_message="no receipt attached", delay=HOUR / 2
                )
            },
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "rejected"
    assert result.result["reason"] == "no receipt attached"
    assert result.result["notice"] == ("told sam that req-e-7 was rejected: no receipt attached")
    failed = event(result, "CallbackFailed")["CallbackFailedDetails"]["Error"]["Payload"]
    assert failed == {"ErrorType": "Rejected", "ErrorMessage": "no receipt attached"}
    assert "reimburse" not in step_names(result)
    assert "escalate" not in step_names(result)


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_escalated_when_the_heartbeats_stop(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input=EXPENSE,
            timeout=10,
            # Two heartbeats, then the approver's tool goes silent.
            callbacks={
                "approval": [CallbackHeartbeat(delay=HOUR / 2), CallbackHeartbeat(delay=HOUR)]
            },
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "escalated"
    assert result.result["ticket"] == "ticket-req-e-7"
    assert "heartbeat" in result.result["reason"]
    timed_out = event(result, "CallbackTimedOut")
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == (
        "Callback.Heartbeat"
    )
    # An hour after the last heartbeat, itself an hour after the callback was created.
    assert seconds_between(result, "CallbackStarted", "CallbackTimedOut") == pytest.approx(
        2 * HOUR, abs=1
    )
    context_error = result.get_context("approval").error
    assert context_error.type == "CallbackTimeoutError"
    assert step_names(result) == ["record_request", "approval submitter", "escalate"]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_escalated_when_nobody_decides_within_a_day(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input=EXPENSE,
            timeout=10,
            # Kept alive all day, but never answered.
            callbacks={"approval": heartbeats(every=HOUR / 2, until=24 * HOUR)},
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "escalated"
    assert result.result["reason"] == "Callback timed out"
    timed_out = event(result, "CallbackTimedOut")
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == (
        "Callback.Timeout"
    )
    assert seconds_between(result, "CallbackStarted", "CallbackTimedOut") == pytest.approx(
        24 * HOUR, abs=1
    )
    assert step_names(result)[-1] == "escalate"


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_invalid_request_fails_before_asking_anyone(durable_runner, outbox):
    with durable_runner:
        result = durable_runner.run(input={**EXPENSE, "amount": 0}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["message"] == "an expense needs a positive amount"
    assert outbox == []
    assert [op.name for op in result.operations] == ["record_request"]


def answer_imperatively(runner, arn: str, outbox: list[dict]):
    """What the approver's tool does: find the callback, heartbeat, answer."""
    callback_id = runner.wait_for_callback(arn, name="approval")
    assert outbox == [{"to": "maria", "request_id": "req-e-7", "reply_to": callback_id}]
    runner.send_callback_heartbeat(callback_id)
    runner.send_callback_success(callback_id, json.dumps({"approver": "maria"}))
    return runner.wait_for_result(arn)


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_approved_by_the_test_itself(durable_runner, outbox):
    """``start`` creates the execution; ``wait_for_callback`` runs it up to the callback."""
    with durable_runner:
        arn = durable_runner.start(input=EXPENSE)
        result = answer_imperatively(durable_runner, arn, outbox)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "approved"
    assert result.result["comment"] is None
    # A reply sent by the test lands at the current virtual time: the clock did not move
    # while the test held control. (For a reply hours later, declare it with a delay.)
    assert seconds_between(result, "CallbackStarted", "CallbackSucceeded") < 1


@pytest.mark.durable_execution(handler=handler, lambda_function_name="human_approval")
def test_approved_by_the_test_itself_after_run_async(durable_runner, outbox):
    with durable_runner:
        arn = durable_runner.run_async(input=EXPENSE, timeout=10)
        result = answer_imperatively(durable_runner, arn, outbox)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "approved"
    assert seconds_between(result, "CallbackStarted", "CallbackSucceeded") < 1
