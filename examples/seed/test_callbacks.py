"""Seed callback sections: what each handler returns when the outside system answers, fails,
goes silent or answers too late, on the virtual clock."""

import pytest

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    InvocationStatus,
)
from examples.seed.callbacks import (
    handler_callback_error,
    handler_callback_timeout,
    handler_callback_timeout_retry,
    handler_error_details,
)

MINUTE = 60
HOUR = 3600


def events(result, event_type):
    return [e for e in result.history if e["EventType"] == event_type]


def seconds_after_start(result, event):
    (started,) = events(result, "ExecutionStarted")
    return (event["EventTimestamp"] - started["EventTimestamp"]).total_seconds()


def error_type_of(event):
    details = event[f"{event['EventType']}Details"]
    return details["Error"]["Payload"]["ErrorType"]


# --- Exception types: Callback errors ------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_callback_error, lambda_function_name="callbacks")
def test_answered_callback_is_approved(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={}, timeout=10, callbacks={"approval": CallbackSuccess("ok", delay=10 * MINUTE)}
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"status": "approved"}
    callback = result.get_callback("approval")
    assert callback.raw_result == "ok"
    assert (callback.end_timestamp - callback.start_timestamp).total_seconds() == pytest.approx(
        10 * MINUTE, abs=1
    )


@pytest.mark.durable_execution(handler=handler_callback_error, lambda_function_name="callbacks")
def test_failed_callback_is_caught_with_its_id(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={},
            timeout=10,
            callbacks={"approval": CallbackFailure("Rejected", "not approved", delay=MINUTE)},
        )

    assert result.status is InvocationStatus.SUCCEEDED
    callback = result.get_callback("approval")
    assert result.result == {"error": "CallbackError", "callback_id": callback.callback_id}
    assert callback.error.type == "Rejected"


@pytest.mark.durable_execution(handler=handler_callback_error, lambda_function_name="callbacks")
def test_timed_out_callback_is_caught_with_its_id(durable_runner):
    """Nobody answers: an hour later (virtual) the timeout is a CallbackError too."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    callback = result.get_callback("approval")
    assert result.result == {"error": "CallbackError", "callback_id": callback.callback_id}
    (timed_out,) = events(result, "CallbackTimedOut")
    assert error_type_of(timed_out) == "Callback.Timeout"
    assert seconds_after_start(result, timed_out) == pytest.approx(HOUR, abs=1)


@pytest.mark.durable_execution(handler=handler_callback_error, lambda_function_name="callbacks")
def test_callback_id_is_the_one_the_outside_system_was_given(durable_runner):
    """Sent imperatively: the id in the handler's answer is the one the test answered."""
    with durable_runner:
        arn = durable_runner.start(input={})
        callback_id = durable_runner.wait_for_callback(arn, name="approval")
        durable_runner.send_callback_failure(callback_id, ErrorObject("declined", "Rejected"))
        result = durable_runner.wait_for_result(arn)

    assert result.result == {"error": "CallbackError", "callback_id": callback_id}


# --- Troubleshooting: Callback timeout -----------------------------------------------------

# The approver's system: heartbeats every 4 minutes and answers after 45 minutes.
SLOW_APPROVER = [
    *[CallbackHeartbeat(delay=4 * MINUTE * n) for n in range(1, 12)],
    CallbackSuccess("approved", delay=45 * MINUTE),
]


@pytest.mark.durable_execution(handler=handler_callback_timeout, lambda_function_name="callbacks")
def test_problem_callback_times_out_before_the_response(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"config": "too_short"},
            timeout=10,
            callbacks={"long_running_approval": CallbackSuccess("approved", delay=45 * MINUTE)},
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["timed_out"] == "Callback timed out"
    (timed_out,) = events(result, "CallbackTimedOut")
    assert error_type_of(timed_out) == "Callback.Timeout"
    assert seconds_after_start(result, timed_out) == pytest.approx(30 * MINUTE, abs=1)
    assert result.result["callback_id"] == result.get_callback("long_running_approval").callback_id


@pytest.mark.durable_execution(handler=handler_callback_timeout, lambda_function_name="callbacks")
def test_solution_increased_timeout_receives_the_response(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"config": "increased"},
            timeout=10,
            callbacks={"long_running_approval": SLOW_APPROVER},
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"answer": "approved"}
    (succeeded,) = events(result, "CallbackSucceeded")
    assert seconds_after_start(result, succeeded) == pytest.approx(45 * MINUTE, abs=1)
    (started,) = events(result, "CallbackStarted")
    assert started["CallbackStartedDetails"]["Timeout"] == 2 * HOUR
    assert started["CallbackStartedDetails"]["HeartbeatTimeout"] == 5 * MINUTE


@pytest.mark.durable_execution(handler=handler_callback_timeout, lambda_function_name="callbacks")
def test_solution_needs_heartbeats_within_five_minutes(durable_runner):
    """The same answer, without heartbeats: the 5-minute heartbeat timeout fires first."""
    with durable_runner:
        result = durable_runner.run(
            input={"config": "increased"},
            timeout=10,
            callbacks={"long_running_approval": CallbackSuccess("approved", delay=45 * MINUTE)},
        )

    assert result.result["timed_out"] == "Callback timed out on heartbeat"
    (timed_out,) = events(result, "CallbackTimedOut")
    assert error_type_of(timed_out) == "Callback.Heartbeat"
    assert seconds_after_start(result, timed_out) == pytest.approx(5 * MINUTE, abs=1)


@pytest.mark.durable_execution(handler=handler_callback_timeout, lambda_function_name="callbacks")
def test_solution_still_times_out_after_two_hours(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"config": "increased"},
            timeout=10,
            callbacks={
                "long_running_approval": [
                    CallbackHeartbeat(delay=4 * MINUTE * n) for n in range(1, 31)
                ]
            },
        )

    assert result.result["timed_out"] == "Callback timed out"
    (timed_out,) = events(result, "CallbackTimedOut")
    assert error_type_of(timed_out) == "Callback.Timeout"
    assert seconds_after_start(result, timed_out) == pytest.approx(2 * HOUR, abs=1)


def answer_attempt(number, answer="approved"):
    """Declared answers for a retried callback: only the ``number``-th one is answered."""
    created = []

    def respond(callback):
        created.append(callback)
        if len(created) != number:
            return None  # this attempt is left to time out
        return [
            *[CallbackHeartbeat(delay=4 * MINUTE * n) for n in range(1, 5)],
            CallbackSuccess(answer, delay=20 * MINUTE),
        ]

    return respond, created


@pytest.mark.durable_execution(
    handler=handler_callback_timeout_retry, lambda_function_name="callbacks"
)
def test_solution_retry_logic_asks_again_after_a_timeout(durable_runner):
    respond, created = answer_attempt(2)
    with durable_runner:
        result = durable_runner.run(
            input={}, timeout=10, callbacks={"long_running_approval": respond}
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"answer": "approved"}
    assert len(created) == 2
    assert len({c.callback_id for c in created}) == 2  # a new callback per attempt
    statuses = [op.status.value for op in result.get_operations_by_name("long_running_approval")]
    assert statuses == ["TIMED_OUT", "SUCCEEDED"]
    assert [error_type_of(e) for e in events(result, "CallbackTimedOut")] == ["Callback.Heartbeat"]


@pytest.mark.durable_execution(
    handler=handler_callback_timeout_retry, lambda_function_name="callbacks"
)
def test_solution_retry_logic_gives_up_after_three_attempts(durable_runner):
    respond, created = answer_attempt(4)  # never reached
    with durable_runner:
        result = durable_runner.run(
            input={}, timeout=10, callbacks={"long_running_approval": respond}
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"gave_up": "Callback timed out on heartbeat"}
    assert len(created) == 3
    assert len(events(result, "CallbackTimedOut")) == 3


# --- FAQ: Can I access error details in my code? -------------------------------------------


@pytest.mark.durable_execution(handler=handler_error_details, lambda_function_name="callbacks")
def test_answered_callback_prints_nothing(durable_runner, capsys):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10, callbacks={"review": "looks good"})

    assert result.result == "looks good"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "answer",
    [CallbackFailure("Rejected", "needs changes", delay=MINUTE), CallbackHeartbeat(delay=MINUTE)],
    ids=["failed", "timed_out"],
)
@pytest.mark.durable_execution(handler=handler_error_details, lambda_function_name="callbacks")
def test_callback_error_exposes_the_callback_id(durable_runner, capsys, answer):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10, callbacks={"review": answer})

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "unavailable"
    callback_id = result.get_callback("review").callback_id
    assert capsys.readouterr().out == f"Callback failed: {callback_id}\n"
