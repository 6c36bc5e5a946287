"""Tests of the job poller: a minute of backoff between polls costs no real time."""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python_testing import InvocationStatus, decode_payload
from examples.polling.workflow import MAX_CHECKS, handler

# Before jitter (JitterStrategy.NONE: exact): 10 s, doubling, at most 60 s.
BACKOFF = [10, 20, 40, 60, 60, 60, 60]


def poll_events(result, event_type: str) -> list[dict]:
    return [
        e[f"{event_type}Details"]
        for e in result.history
        if e["EventType"] == event_type and e.get("Name") == "wait for job"
    ]


def poll_delays(result) -> list[int]:
    """The delay each check asked for before the next one (the last check asks none)."""
    return [
        details["RetryDetails"]["NextAttemptDelaySeconds"]
        for details in poll_events(result, "StepSucceeded")
        if "NextAttemptDelaySeconds" in details["RetryDetails"]
    ]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="polling")
def test_job_finishes_on_the_fourth_check(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"job_id": "j-1", "units": 100}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"job_id": "j-1", "status": "SUCCEEDED", "checks": 4}
    assert poll_delays(result) == BACKOFF[:3]
    # Each check's state was checkpointed: the service's answer, check by check.
    states = [
        decode_payload(details["Result"]["Payload"])
        for details in poll_events(result, "StepSucceeded")
    ]
    assert [(s["status"], s["processed"]) for s in states] == [
        ("RUNNING", 25),
        ("RUNNING", 50),
        ("RUNNING", 75),
        ("SUCCEEDED", 100),
    ]
    poll = result.get_step("wait for job")
    assert poll.attempt == 4
    assert poll.sub_type.value == "WaitForCondition"
    assert poll.result["processed"] == 100
    # One invocation per check; the checks 10 + 20 + 40 virtual seconds apart.
    assert result.invocation_count == 4
    first, *_, last = [
        e["EventTimestamp"]
        for e in result.history
        if e["EventType"] == "StepStarted" and e.get("Name") == "wait for job"
    ]
    assert (last - first).total_seconds() == pytest.approx(70, abs=1)


@pytest.mark.parametrize(("units", "checks"), [(25, 1), (200, MAX_CHECKS)])
@pytest.mark.durable_execution(handler=handler, lambda_function_name="polling")
def test_number_of_checks_follows_the_job_size(durable_runner, units, checks):
    with durable_runner:
        result = durable_runner.run(input={"job_id": "j-2", "units": units}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["checks"] == checks
    assert poll_delays(result) == BACKOFF[: checks - 1]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="polling")
def test_gives_up_when_the_checks_run_out(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"job_id": "j-3", "units": 201}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "WaitForConditionError"
    assert f"exhausted {MAX_CHECKS} attempts" in result.error["message"]
    assert poll_delays(result) == BACKOFF
    (failed,) = poll_events(result, "StepFailed")
    assert failed["Error"]["Payload"]["ErrorType"] == "WaitForConditionError"
    assert failed["RetryDetails"]["CurrentAttempt"] == MAX_CHECKS
    assert result.get_step("wait for job").attempt == MAX_CHECKS


@pytest.mark.durable_execution(handler=handler, lambda_function_name="polling")
def test_failed_job_stops_the_polling_and_fails_the_execution(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"job_id": "bad-1", "units": 100}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["message"] == "job bad-1 failed after 50 units"
    assert poll_delays(result) == BACKOFF[:1]
    assert result.get_step("wait for job").result["status"] == "FAILED"
