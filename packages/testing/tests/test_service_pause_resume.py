"""``PauseDurableExecution`` and ``ResumeDurableExecution`` in the in-memory service.

botocore's documentation is the rule: while paused no invocation starts, timers still fire
and operations still complete; a pause asked for during an invocation is ``PAUSING`` until
that invocation's next checkpoint (applied), then ``PAUSED``, and the rest of the invocation
is refused with the invalid-token error; a resume invokes only if the pause cut an
invocation or something completed meanwhile. The execution timeout stops while paused
(botocore's default) and never extends past 366 days.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from clock_support import START, StoppedClock

from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    WaitOptions,
)
from aws_durable_execution_sdk_python_testing._describe import describe_execution
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
    ExecutionRecord,
    ExecutionStatus,
)
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService


def _service(timeout: int = 3600) -> tuple[InMemoryDurableService, ExecutionRecord]:
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "run-1", "{}", execution_timeout=timeout)
    assert service.next_ready() is record  # the first invocation was queued
    return service, record


def _step(operation_id: str) -> OperationUpdate:
    return OperationUpdate(
        operation_id=operation_id,
        operation_type=OperationType.STEP,
        action=OperationAction.SUCCEED,
        name=operation_id,
        payload='"done"',
    )


def _wait(operation_id: str, seconds: int) -> OperationUpdate:
    return OperationUpdate(
        operation_id=operation_id,
        operation_type=OperationType.WAIT,
        action=OperationAction.START,
        wait_options=WaitOptions(seconds),
    )


def _invoke(service: InMemoryDurableService, record: ExecutionRecord) -> str:
    return service.begin_invocation(record.arn).checkpoint_token


def _end(service: InMemoryDurableService, record: ExecutionRecord) -> None:
    service.end_invocation(record.arn, service.clock.now_datetime(), "req")
    service.settle_pause(record.arn)


def _types(record: ExecutionRecord) -> list[str]:
    return [event["EventType"] for event in record.history.events]


def _event(record: ExecutionRecord, kind: str) -> dict[str, Any]:
    (event,) = [e for e in record.history.events if e["EventType"] == kind]
    return event


def _at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(START + seconds, tz=datetime.UTC)


# -- pausing an execution between invocations -------------------------------------------------


def test_pausing_between_invocations_takes_effect_at_once():
    service, record = _service()
    token = _invoke(service, record)
    service.checkpoint(record.arn, token, [_wait("w1", 60)])
    _end(service, record)

    service.pause_execution(record.arn, reason="maintenance")

    assert record.status is ExecutionStatus.PAUSED
    assert not record.is_terminal
    assert _types(record)[-1] == "ExecutionPaused"
    assert _event(record, "ExecutionPaused")["ExecutionPausedDetails"] == {
        "PauseRequestTimestamp": _at(0),
        "Reason": {"Payload": "maintenance", "Truncated": False},
        "ExecutionTimeoutPaused": True,
    }


def test_while_paused_timers_fire_and_operations_complete_but_nothing_is_invoked():
    service, record = _service()
    token = _invoke(service, record)
    service.checkpoint(record.arn, token, [_wait("w1", 60)])
    _end(service, record)
    service.pause_execution(record.arn)

    assert service.fire_next_timers()  # the wait ends while paused

    assert record.operations["w1"].status is OperationStatus.SUCCEEDED
    assert record.needs_invocation
    assert service.next_ready() is None

    service.resume_execution(record.arn, reason="done")

    assert record.status is ExecutionStatus.RUNNING
    assert service.next_ready() is record
    assert _event(record, "ExecutionResumed")["ExecutionResumedDetails"] == {
        "ResumeRequestTimestamp": _at(60),
        "Reason": {"Payload": "done", "Truncated": False},
    }


def test_a_resume_with_nothing_completed_meanwhile_invokes_nothing():
    service, record = _service()
    token = _invoke(service, record)
    service.checkpoint(record.arn, token, [_wait("w1", 60)])
    _end(service, record)
    service.pause_execution(record.arn)

    service.resume_execution(record.arn)

    assert record.status is ExecutionStatus.RUNNING
    assert service.next_ready() is None  # it still waits for its wait
    assert _types(record)[-2:] == ["ExecutionPaused", "ExecutionResumed"]
    assert "Reason" not in _event(record, "ExecutionResumed")["ExecutionResumedDetails"]


# -- pausing while an invocation runs ---------------------------------------------------------


def test_a_pause_during_an_invocation_is_pausing_until_its_next_checkpoint():
    service, record = _service()
    token = _invoke(service, record)

    service.pause_execution(record.arn, reason="now")

    assert record.status is ExecutionStatus.PAUSING
    assert "ExecutionPaused" not in _types(record)
    described = describe_execution(record, include_execution_data=True)
    assert described["Status"] == "PAUSING"
    assert described["PauseDetails"]["Reason"] == "now"

    service.checkpoint(record.arn, token, [_step("s1")])

    assert record.operations["s1"].status is OperationStatus.SUCCEEDED  # it was applied
    assert record.status is ExecutionStatus.PAUSED
    assert _types(record)[-2:] == ["StepSucceeded", "ExecutionPaused"]


@pytest.mark.parametrize("call", ["checkpoint", "get_execution_state"])
def test_after_the_pause_takes_effect_the_invocations_tokens_are_refused(call):
    service, record = _service()
    token = _invoke(service, record)
    service.pause_execution(record.arn)
    latest = service.checkpoint(record.arn, token, [_step("s1")]).checkpoint_token

    with pytest.raises(InvalidParameterValueException, match=r"^Invalid Checkpoint Token.*paused"):
        if call == "checkpoint":
            service.checkpoint(record.arn, latest, [_step("s2")])
        else:
            service.get_execution_state(record.arn, latest, "")
    assert "s2" not in record.operations


def test_the_cut_invocation_runs_again_once_resumed():
    service, record = _service()
    token = _invoke(service, record)
    service.pause_execution(record.arn)
    service.checkpoint(record.arn, token, [_step("s1")])
    _end(service, record)

    assert service.next_ready() is None
    service.resume_execution(record.arn)

    assert service.next_ready() is record
    fresh = _invoke(service, record)
    service.checkpoint(record.arn, fresh, [_step("s2")])  # accepted
    assert record.operations["s2"].status is OperationStatus.SUCCEEDED


def test_an_invocation_that_ends_without_another_checkpoint_lets_the_pause_take_effect():
    service, record = _service()
    token = _invoke(service, record)
    service.checkpoint(record.arn, token, [_wait("w1", 60)])
    service.pause_execution(record.arn)
    assert record.status is ExecutionStatus.PAUSING

    _end(service, record)

    assert record.status is ExecutionStatus.PAUSED
    assert not record.cut_by_pause
    service.resume_execution(record.arn)
    assert service.next_ready() is None  # nothing was cut, nothing completed


def test_resuming_a_pausing_execution_cancels_the_pause_and_the_invocation_goes_on():
    service, record = _service()
    token = _invoke(service, record)
    service.pause_execution(record.arn)

    service.resume_execution(record.arn)
    service.checkpoint(record.arn, token, [_step("s1")])

    assert record.status is ExecutionStatus.RUNNING
    assert "ExecutionPaused" not in _types(record)
    assert "ExecutionResumed" not in _types(record)  # nothing was paused
    assert record.operations["s1"].status is OperationStatus.SUCCEEDED


# -- GetDurableExecution and the history ------------------------------------------------------


def test_pause_details_show_the_reason_only_with_execution_data():
    service, record = _service()
    service.clock.advance_to(START + 5)
    service.pause_execution(record.arn, reason="why", execution_timeout_paused=False)

    with_data = describe_execution(record, include_execution_data=True)
    without = describe_execution(record, include_execution_data=False)

    assert with_data["Status"] == without["Status"] == "PAUSED"
    assert with_data["PauseDetails"] == {
        "PauseRequestTimestamp": _at(5),
        "Reason": "why",
        "ExecutionTimeoutPaused": False,
    }
    assert without["PauseDetails"] == {
        "PauseRequestTimestamp": _at(5),
        "ExecutionTimeoutPaused": False,
    }


def test_the_history_without_execution_data_hides_the_reasons():
    service, record = _service()
    service.pause_execution(record.arn, reason="secret")
    service.resume_execution(record.arn, reason="also secret")

    events = service.get_execution_history(record.arn)["Events"]
    full = service.get_execution_history(record.arn, include_execution_data=True)["Events"]

    paused = next(e for e in events if e["EventType"] == "ExecutionPaused")
    resumed = next(e for e in events if e["EventType"] == "ExecutionResumed")
    assert paused["ExecutionPausedDetails"]["Reason"] == {"Truncated": True}
    assert resumed["ExecutionResumedDetails"]["Reason"] == {"Truncated": True}
    assert "secret" in str(full)


def test_no_pause_details_once_resumed_or_ended():
    service, record = _service()
    service.pause_execution(record.arn)
    service.resume_execution(record.arn)
    assert "PauseDetails" not in describe_execution(record, True)

    service.pause_execution(record.arn)
    service.stop(record.arn)  # a paused execution can be stopped
    described = describe_execution(record, True)
    assert described["Status"] == "STOPPED"
    assert "PauseDetails" not in described


# -- the execution timeout --------------------------------------------------------------------


def test_a_held_timeout_is_re_armed_with_the_time_it_had_left():
    service, record = _service(timeout=100)
    service.clock.advance_to(START + 40)
    service.pause_execution(record.arn)  # 60 s left
    assert "ExpectedExecutionTimeoutTimestamp" not in describe_execution(record, True)

    service.clock.advance_to(START + 500)  # long past the original deadline
    service.fire_next_timers()
    assert record.status is ExecutionStatus.PAUSED

    service.resume_execution(record.arn)

    assert describe_execution(record, True)["ExpectedExecutionTimeoutTimestamp"] == _at(560)
    (due,) = [t for t in service.timers.pending() if "timeout" in t.description]
    assert due.when == START + 560
    due.fire()
    assert record.status is ExecutionStatus.TIMED_OUT


def test_without_holding_the_timeout_a_paused_execution_times_out():
    service, record = _service(timeout=100)
    service.pause_execution(record.arn, execution_timeout_paused=False)

    (due,) = [t for t in service.timers.pending() if "timeout" in t.description]
    assert due.when == START + 100
    service.clock.advance_to(due.when)
    due.fire()

    assert record.status is ExecutionStatus.TIMED_OUT


def test_no_pause_extends_an_execution_past_366_days():
    service, record = _service(timeout=MAX_EXECUTION_TIMEOUT_SECONDS - 10)
    service.pause_execution(record.arn)

    (bound,) = [t for t in service.timers.pending() if "timeout" in t.description]
    assert bound.when == START + MAX_EXECUTION_TIMEOUT_SECONDS
    service.clock.advance_to(START + 1000)
    service.resume_execution(record.arn)
    (due,) = [t for t in service.timers.pending() if "timeout" in t.description]
    assert due.when == START + MAX_EXECUTION_TIMEOUT_SECONDS


# -- conflicts and idempotency ----------------------------------------------------------------


def test_pausing_an_ended_execution_is_a_conflict():
    service, record = _service()
    service.succeed(record.arn, '"ok"')

    with pytest.raises(ResourceConflictException, match="has ended") as raised:
        service.pause_execution(record.arn)
    assert raised.value.http_status == 409
    assert raised.value.code == "ResourceConflictException"


@pytest.mark.parametrize("invoking", [False, True], ids=["paused", "pausing"])
def test_pausing_twice_without_the_client_token_is_a_conflict(invoking):
    service, record = _service()
    if invoking:
        _invoke(service, record)
    service.pause_execution(record.arn)

    with pytest.raises(ResourceConflictException, match="already PAUS"):
        service.pause_execution(record.arn)


def test_a_repeated_pause_with_its_client_token_succeeds_and_changes_nothing():
    service, record = _service()
    service.pause_execution(record.arn, reason="r", client_token="tok-1")
    events = len(record.history.events)

    service.pause_execution(record.arn, reason="r", client_token="tok-1")

    assert len(record.history.events) == events
    assert record.status is ExecutionStatus.PAUSED


def test_a_client_token_reused_with_other_parameters_is_invalid():
    service, record = _service()
    service.pause_execution(record.arn, reason="r", client_token="tok-1")

    with pytest.raises(InvalidParameterValueException, match="other parameters"):
        service.pause_execution(record.arn, reason="other", client_token="tok-1")


def test_a_client_token_older_than_15_minutes_is_a_new_request():
    service, record = _service()
    service.pause_execution(record.arn, client_token="tok-1")
    service.clock.advance_to(START + 15 * 60 + 1)

    with pytest.raises(ResourceConflictException, match="already PAUSED"):
        service.pause_execution(record.arn, client_token="tok-1")


def test_a_repeated_resume_with_its_client_token_succeeds():
    service, record = _service()
    service.pause_execution(record.arn)
    service.resume_execution(record.arn, client_token="tok-2")

    service.resume_execution(record.arn, client_token="tok-2")  # no conflict: a repeat

    assert _types(record).count("ExecutionResumed") == 1


@pytest.mark.parametrize("state", ["running", "ended"])
def test_resuming_an_execution_that_is_not_paused_is_a_conflict(state):
    service, record = _service()
    if state == "ended":
        service.stop(record.arn)

    with pytest.raises(ResourceConflictException, match=r"RUNNING|has ended"):
        service.resume_execution(record.arn)


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        pytest.param("pause", {"reason": "x" * 1025}, id="reason-too-long"),
        pytest.param("pause", {"reason": 7}, id="reason-not-text"),
        pytest.param("pause", {"client_token": ""}, id="client-token-empty"),
        pytest.param("pause", {"client_token": "has space"}, id="client-token-space"),
        pytest.param("pause", {"client_token": "t" * 65}, id="client-token-too-long"),
        pytest.param("pause", {"execution_timeout_paused": "yes"}, id="timeout-flag-not-bool"),
        pytest.param("resume", {"reason": "x" * 1025}, id="resume-reason-too-long"),
        pytest.param("resume", {"client_token": "tab\there"}, id="resume-client-token-tab"),
    ],
)
def test_malformed_arguments_are_invalid_parameters(call, kwargs):
    service, record = _service()
    if call == "resume":
        service.pause_execution(record.arn)
        method = service.resume_execution
    else:
        method = service.pause_execution

    with pytest.raises(InvalidParameterValueException):
        method(record.arn, **kwargs)
