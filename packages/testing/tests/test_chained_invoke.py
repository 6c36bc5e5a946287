"""Chained invoke targets registered on the runner: durable or plain, nested, own histories."""

from __future__ import annotations

import pytest
from runner_support import events

from aws_durable_execution_sdk_python import DurableContext, InvokeError, durable_execution
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
    StuckExecutionError,
)

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"

pytestmark = pytest.mark.usefixtures("no_threads_left_running")


@durable_execution
def echo_target(event: dict, context: DurableContext) -> dict:
    context.wait(30, name="think")
    return {"echo": event, "by": "echo"}


@durable_execution
def middle_target(event: dict, context: DurableContext) -> dict:
    doubled = context.step(lambda _: event["n"] * 2, name="double")
    inner = context.invoke("echo", {"n": doubled}, name="call echo")
    return {"middle": doubled, "inner": inner}


@durable_execution
def failing_target(event: dict, context: DurableContext) -> None:
    raise ValueError(f"cannot handle {event}")


@durable_execution
def callback_target(event: dict, context: DurableContext) -> str:
    return context.create_callback(name="3ds").result()


@durable_execution
def caller(event: dict, context: DurableContext) -> dict:
    """Invokes ``event["target"]``; a failure is returned, not raised."""
    try:
        return {"result": context.invoke(event["target"], event.get("payload"), name="call")}
    except InvokeError as error:
        return {"error_type": error.error_type, "message": error.message}


def plain_lambda(event: dict, lambda_context) -> dict:
    return {"plain": event, "function": lambda_context.function_name}


def target_arn(history_events: list[dict], name: str = "call") -> str:
    (started,) = [
        e
        for e in history_events
        if e["EventType"] == "ChainedInvokeStarted" and e.get("Name") == name
    ]
    return started["ChainedInvokeStartedDetails"]["DurableExecutionArn"]


# --- invoke targets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "payments",
        "payments:live",
        f"{ACCOUNT_ARN}:payments",
        f"{ACCOUNT_ARN}:payments:live",
        "123456789012:function:payments",
    ],
)
def test_target_registered_by_arn_with_qualifier_is_found_by_any_form(target):
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function(f"{ACCOUNT_ARN}:payments:live", echo_target)
        result = runner.run(input={"target": target, "payload": {"amount": 5}})

    assert result.result == {"result": {"echo": {"amount": 5}, "by": "echo"}}
    started = events(result, "ChainedInvokeStarted")[0]["ChainedInvokeStartedDetails"]
    assert started["FunctionName"] == target
    assert ":function:payments:" in started["DurableExecutionArn"]


@pytest.mark.parametrize("name", ["", "two words", "arn:aws:s3:::bucket"])
def test_registering_a_name_that_is_not_a_function_is_a_test_error(name):
    with (
        DurableFunctionTestRunner(caller) as runner,
        pytest.raises(DurableFunctionsTestError, match="function"),
    ):
        runner.register_durable_function(name, echo_target)


def test_registering_something_not_callable_is_a_test_error():
    with (
        DurableFunctionTestRunner(caller) as runner,
        pytest.raises(DurableFunctionsTestError, match="callable"),
    ):
        runner.register_function("payments", {"not": "callable"})


def test_invoke_of_an_unregistered_name_fails_the_operation_with_a_fix():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", echo_target)
        result = runner.run(input={"target": "paymnets"})

    assert result.result["error_type"] == "ResourceNotFoundException"
    message = result.result["message"]
    assert "paymnets" in message
    assert "register_durable_function('paymnets', handler)" in message
    assert "register_function('paymnets', func)" in message
    invoke = result.get_invoke("call")
    assert invoke.status.value == "FAILED"
    assert invoke.error.type == "ResourceNotFoundException"


def test_uncaught_invoke_failure_fails_the_execution():
    @durable_execution
    def unguarded(event: dict, context: DurableContext) -> dict:
        return context.invoke("nowhere", {}, name="call")

    with DurableFunctionTestRunner(unguarded) as runner:
        result = runner.run(input={})

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ResourceNotFoundException"
    assert "register_durable_function" in result.error["message"]


def test_plain_lambda_target_gets_the_payload_and_a_lambda_context():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_function("plain", plain_lambda)
        result = runner.run(input={"target": "plain", "payload": [1, 2]})

    assert result.result == {"result": {"plain": [1, 2], "function": "plain"}}
    assert result.get_invoke("call").result == {"plain": [1, 2], "function": "plain"}


def test_target_failure_reaches_the_caller_as_invoke_error():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("strict", failing_target)
        result = runner.run(input={"target": "strict", "payload": "x"})
        target = runner.get_result(target_arn(result.history))

    assert result.result == {"error_type": "ValueError", "message": "cannot handle x"}
    assert target.status is InvocationStatus.FAILED
    assert target.error["error_type"] == "ValueError"


def test_nested_invoke_each_target_with_its_own_history():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("middle", middle_target)
        runner.register_durable_function("echo", echo_target)
        result = runner.run(input={"target": "middle", "payload": {"n": 21}})
        middle_arn = target_arn(result.history)
        middle = runner.get_execution_history(middle_arn, include_execution_data=True)["Events"]
        echo_arn = target_arn(middle, name="call echo")
        echo = runner.get_execution_history(echo_arn, include_execution_data=True)["Events"]

    assert result.result == {"result": {"middle": 42, "inner": {"echo": {"n": 42}, "by": "echo"}}}
    # The caller sees one invoke; the 30 s wait two levels down took 30 virtual seconds.
    assert [op.name for op in result.operations] == ["call"]
    invoke = result.get_invoke("call")
    assert (invoke.end_timestamp - invoke.start_timestamp).total_seconds() >= 30
    # Each target's history is its own, with its input and result.
    assert ":function:middle:" in middle_arn
    assert ":function:echo:" in echo_arn
    assert middle[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"n": 21}'
    operations = [(e["EventType"], e["Name"]) for e in middle if "ParentId" in e or "SubType" in e]
    assert operations == [
        ("StepStarted", "double"),
        ("StepSucceeded", "double"),
        ("ChainedInvokeStarted", "call echo"),
        ("ChainedInvokeSucceeded", "call echo"),
    ]
    assert middle[-1]["EventType"] == "ExecutionSucceeded"
    assert echo[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"n": 42}'
    assert ("WaitSucceeded", "think") in [(e["EventType"], e.get("Name")) for e in echo]
    assert echo[-1]["ExecutionSucceededDetails"]["Result"]["Payload"] == (
        '{"echo": {"n": 42}, "by": "echo"}'
    )


def test_stuck_target_is_named_in_the_callers_stuck_error():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", callback_target)
        with pytest.raises(StuckExecutionError) as raised:
            runner.run(input={"target": "payments"})

    message = str(raised.value)
    assert "chained invoke 'call'" in message
    assert "callback '3ds'" in message
    assert "in invoked payments" in message


def test_a_targets_callback_can_be_answered_with_the_targets_arn():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", callback_target)
        arn = runner.run_async(input={"target": "payments"})
        target = target_arn(runner.get_execution_history(arn)["Events"])
        runner.send_callback_success(runner.wait_for_callback(target, name="3ds"), "verified")
        result = runner.wait_for_result(arn)

    assert result.result == {"result": "verified"}


def test_declared_answers_reach_callbacks_of_invoked_targets():
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", callback_target)
        result = runner.run(input={"target": "payments"}, callbacks={"3ds": "verified"})

    assert result.result == {"result": "verified"}
