"""``stop_execution`` and ``advance_time``: behaviour, history events, errors."""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import CallbackTimeoutError, DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
)

UNKNOWN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/x/y"


@durable_execution
def approval(event: dict, context: DurableContext) -> dict:
    callback = context.create_callback(
        name="approval", config=CallbackConfig(timeout_seconds=event.get("timeout", 0))
    )
    try:
        return {"answer": callback.result()}
    except CallbackTimeoutError:
        return {"timed_out": True}


def _types(runner: DurableFunctionTestRunner, arn: str) -> list[str]:
    return [event["EventType"] for event in runner.get_execution_history(arn)["Events"]]


def _event(runner: DurableFunctionTestRunner, arn: str, kind: str) -> dict[str, Any]:
    (event,) = [e for e in runner.get_execution_history(arn)["Events"] if e["EventType"] == kind]
    return event


# --- stop_execution -----------------------------------------------------------------------


def test_stop_ends_a_waiting_execution_stopped():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        runner.wait_for_callback(arn, name="approval")
        runner.stop_execution(arn)
        result = runner.get_result(arn)
        types = _types(runner, arn)

    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "STOPPED"
    assert result.error is not None
    assert result.error.type == "ExecutionStopped"
    assert result.termination_reason == "STOPPED"
    assert types[0] == "ExecutionStarted"
    assert types[-1] == "ExecutionStopped"
    assert types.count("ExecutionStopped") == 1


def test_stop_records_the_given_error():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        runner.stop_execution(arn, ErrorObject("operator said stop", "OperatorStop"))
        execution = runner.get_execution(arn)
        stopped = _event(runner, arn, "ExecutionStopped")

    assert execution["Status"] == "STOPPED"
    assert execution["Error"] == {"ErrorMessage": "operator said stop", "ErrorType": "OperatorStop"}
    assert stopped["ExecutionStoppedDetails"]["Error"]["Payload"]["ErrorType"] == "OperatorStop"


def test_a_stopped_execution_takes_no_callback_answer_and_no_second_stop():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn, name="approval")
        runner.stop_execution(arn)
        with pytest.raises(DurableFunctionsTestError):
            runner.send_callback_success(callback_id, "too late")
        with pytest.raises(DurableFunctionsTestError, match="already ended"):
            runner.stop_execution(arn)
        runner.advance_time(3600)  # nothing runs again
        assert runner.get_result(arn).invocation_count == 1


def test_stop_after_success_is_refused():
    with DurableFunctionTestRunner(approval) as runner:
        result = runner.run(input={}, callbacks={"approval": "yes"})
        with pytest.raises(DurableFunctionsTestError, match="already ended"):
            runner.stop_execution(result.execution_arn)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda r: r.stop_execution(UNKNOWN), id="stop_execution"),
        pytest.param(lambda r: r.get_execution(UNKNOWN), id="get_execution"),
        pytest.param(lambda r: r.get_execution_history(UNKNOWN), id="get_execution_history"),
        pytest.param(lambda r: r.get_result(UNKNOWN), id="get_result"),
        pytest.param(lambda r: r.wait_for_result(UNKNOWN), id="wait_for_result"),
        pytest.param(lambda r: r.wait_for_callback(UNKNOWN), id="wait_for_callback"),
    ],
)
def test_unknown_execution_arns_are_test_errors(call: Any):
    runner = DurableFunctionTestRunner(approval)
    with runner, pytest.raises(DurableFunctionsTestError, match="not found"):
        call(runner)


# --- advance_time -------------------------------------------------------------------------


def test_advance_time_fires_a_callback_timeout_that_falls_due():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={"timeout": 600})
        runner.wait_for_callback(arn, name="approval")
        runner.advance_time(601)
        result = runner.get_result(arn)
        started = _event(runner, arn, "CallbackStarted")
        timed_out = _event(runner, arn, "CallbackTimedOut")

    assert result.execution_status == "SUCCEEDED"
    assert result.result == {"timed_out": True}
    gap = (timed_out["EventTimestamp"] - started["EventTimestamp"]).total_seconds()
    assert 600 <= gap < 601


def test_advance_time_short_of_a_timeout_fires_nothing():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={"timeout": 600})
        callback_id = runner.wait_for_callback(arn, name="approval")
        before = runner.clock.now()
        runner.advance_time(599)
        assert runner.clock.now() - before >= 599
        assert "CallbackTimedOut" not in _types(runner, arn)
        runner.send_callback_success(callback_id, "just in time")
        result = runner.get_result(arn)
        started = _event(runner, arn, "CallbackStarted")
        answered = _event(runner, arn, "CallbackSucceeded")

    assert result.result == {"answer": "just in time"}
    assert (answered["EventTimestamp"] - started["EventTimestamp"]).total_seconds() >= 599


def test_advance_time_zero_moves_nothing():
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={"timeout": 600})
        runner.wait_for_callback(arn, name="approval")
        before = _types(runner, arn)
        runner.advance_time(0)
        assert _types(runner, arn) == before
