"""The runner's callback and chained-invoke API: declared answers racing timeouts and waits on
the virtual clock, answers sent by the test, stuck runs, and invoke targets registered on
the runner (durable or plain, nested, each with its own history)."""

from __future__ import annotations

import threading
import time

import pytest

from aws_durable_execution_sdk_python import (
    CallbackExternalError,
    CallbackTimeoutError,
    DurableContext,
    InvokeError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, WaitForCallbackConfig
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    CreatedCallback,
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
    StuckExecutionError,
)

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function"


@pytest.fixture(autouse=True)
def no_threads_left_running():
    """The runner is single-threaded: no test may leave a thread behind."""
    before = threading.active_count()
    yield
    assert threading.active_count() == before


# --- handlers ----------------------------------------------------------------------------


@durable_execution
def reply_with_timeout(event: dict, context: DurableContext) -> dict:
    """A callback with ``event["timeout"]`` s to answer; then optionally ``linger`` s more."""
    callback = context.create_callback(
        name="reply", config=CallbackConfig(timeout_seconds=event.get("timeout", 0))
    )
    try:
        outcome = {"answer": callback.result()}
    except CallbackTimeoutError as error:
        outcome = {"timed_out": error.message}
    if event.get("linger"):
        context.wait(event["linger"], name="linger")
    return outcome


@durable_execution
def reply_during_a_wait(event: dict, context: DurableContext) -> str:
    """The callback is created, then a 5 s wait runs; the answer is read afterwards."""
    callback = context.create_callback(name="reply")
    context.wait(5, name="five seconds")
    return callback.result()


@durable_execution
def heartbeat_callback(event: dict, context: DurableContext) -> dict:
    callback = context.create_callback(
        name="job", config=CallbackConfig(timeout_seconds=3600, heartbeat_timeout_seconds=10)
    )
    try:
        return {"answer": callback.result()}
    except CallbackTimeoutError as error:
        return {"timed_out": error.message}


@durable_execution
def approval(event: dict, context: DurableContext) -> dict:
    """``wait_for_callback(submitter, name="approval")``, with an optional overall timeout."""
    config = WaitForCallbackConfig(timeout_seconds=event.get("timeout", 0))
    try:
        answer = context.wait_for_callback(
            lambda callback_id, ctx: None, name="approval", config=config
        )
    except CallbackExternalError as error:
        return {"failed": error.message, "callback_id": error.callback_id}
    context.step(lambda _: "after", name="after approval")
    return {"answer": answer}


@durable_execution
def callback_in_plain_child_context(event: dict, context: DurableContext) -> str:
    return context.run_in_child_context(
        lambda child: child.create_callback(name="cb").result(), name="group"
    )


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


# --- helpers -----------------------------------------------------------------------------


def events(result, event_type: str) -> list[dict]:
    return [e for e in result.history if e["EventType"] == event_type]


def at(result, event: dict) -> float:
    """Virtual seconds from the execution's start to ``event``."""
    (started,) = events(result, "ExecutionStarted")
    return (event["EventTimestamp"] - started["EventTimestamp"]).total_seconds()


def error_type_of(event: dict) -> str:
    return event[f"{event['EventType']}Details"]["Error"]["Payload"]["ErrorType"]


def target_arn(history_events: list[dict], name: str = "call") -> str:
    (started,) = [
        e
        for e in history_events
        if e["EventType"] == "ChainedInvokeStarted" and e.get("Name") == name
    ]
    return started["ChainedInvokeStartedDetails"]["DurableExecutionArn"]


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
    started = time.perf_counter()
    with DurableFunctionTestRunner(reply_during_a_wait) as runner:
        result = runner.run(input={}, callbacks={"reply": CallbackSuccess("early", delay=1)})

    assert time.perf_counter() - started < 1
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


# --- answers sent by the test ------------------------------------------------------------


def test_wait_for_callback_returns_as_soon_as_the_callback_exists():
    started = time.perf_counter()
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn, name="approval")
        pending = runner.get_result(arn)
        runner.send_callback_success(callback_id, "yes")
        result = runner.wait_for_result(arn)

    assert time.perf_counter() - started < 1
    assert pending.status is InvocationStatus.PENDING
    assert pending.get_callback("approval create callback id").status.value == "STARTED"
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
        with pytest.raises(DurableFunctionsTestError, match="SUCCEEDED"):
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
    started = time.perf_counter()
    with DurableFunctionTestRunner(handler) as runner:
        with pytest.raises(StuckExecutionError, match=f"callback {name!r}"):
            runner.run(input={})
        arn = runner.start(input={})
        with pytest.raises(StuckExecutionError) as raised:
            runner.wait_for_result(arn)
        result = runner.get_result(arn)

    assert time.perf_counter() - started < 1
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
    started = time.perf_counter()
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", echo_target)
        result = runner.run(input={"target": "paymnets"})

    assert time.perf_counter() - started < 1
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
