"""``DurableFunctionCloudTestRunner`` over a boto3-like client (``cloud_support.LocalLambda``).

What is checked: the calls it makes (Invoke types, history pages with execution data), the
result it builds from the history (the same as a local run's), waiting without spinning
(the pause schedule, the timeout naming the execution and its status, not-found retried
after a start), callbacks sent by the test and declared up front, botocore errors as
``LambdaApiError``, and what only the local runner can do refused as such.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import EndpointConnectionError
from cloud_support import LocalLambda

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackSuccess,
    CallbackTimeout,
    DurableFunctionCloudTestRunner,
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
    LambdaApiError,
    RunnerMode,
    UnsupportedInCloudError,
)
from aws_durable_execution_sdk_python_testing._cloud_api import Backoff, poll_delays
from aws_durable_execution_sdk_python_testing.runner import (
    DurableFunctionCloudTestRunner as FromRunnerModule,
)


@durable_execution
def greet(event: dict, context: DurableContext) -> dict:
    def shout(_: StepContext) -> str:
        return event["name"].upper()

    loud = context.step(shout, name="shout")
    context.wait(30, name="pause")
    return {"greeting": f"hello {loud}"}


@durable_execution
def refuse(event: dict, context: DurableContext) -> None:
    def check(_: StepContext) -> None:
        raise ValueError("no such customer")

    context.step(check, name="check")


@durable_execution
def approval(event: dict, context: DurableContext) -> dict:
    answer = context.wait_for_callback(
        lambda callback_id, _ctx: None,
        name="approval",
        config=None,
    )
    return {"answer": answer}


@durable_execution
def two_callbacks(event: dict, context: DurableContext) -> list:
    first = context.create_callback(name="first", config=CallbackConfig(timeout_seconds=3600))
    second = context.create_callback(name="second", config=CallbackConfig(timeout_seconds=3600))
    return [first.result(), second.result()]


def cloud(lam: LocalLambda, **options) -> DurableFunctionCloudTestRunner:
    return DurableFunctionCloudTestRunner("deployed", lam, poll_interval=0.05, **options)


# --- the surface ---------------------------------------------------------------------------


def test_the_runner_is_exported_and_says_cloud():
    assert FromRunnerModule is DurableFunctionCloudTestRunner
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        assert runner.mode == "cloud"
        assert runner.mode is RunnerMode.CLOUD
        assert runner.function_name == "deployed"
        assert runner.client is lam


def test_the_existing_runners_positional_region_and_endpoint_are_understood(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    with DurableFunctionCloudTestRunner(
        "f", "eu-west-1", lambda_endpoint="http://127.0.0.1:9"
    ) as runner:
        assert runner.region == "eu-west-1"
        assert runner.client.meta.region_name == "eu-west-1"
        assert runner.client.meta.endpoint_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda lam: DurableFunctionCloudTestRunner("", lam), "function_name=''"),
        (lambda lam: DurableFunctionCloudTestRunner(None, lam), "function_name=None"),
        (lambda lam: DurableFunctionCloudTestRunner("f", lam, poll_interval=-1), "-1"),
        (lambda lam: DurableFunctionCloudTestRunner("f", lam, poll_interval="1"), "'1'"),
        (lambda lam: cloud(lam).run({}, timeout=-1), "-1"),
        (lambda lam: cloud(lam).wait_for_result("arn", timeout=float("nan")), "nan"),
        (lambda lam: cloud(lam).run({}, execution_name="not ok"), "execution_name='not ok'"),
        (lambda lam: cloud(lam).run(object()), "JSON serialisable"),
    ],
)
def test_bad_arguments_are_refused_naming_them(make, fragment):
    lam = LocalLambda(greet)
    with pytest.raises(DurableFunctionsTestError) as caught:
        make(lam)
    assert fragment in str(caught.value)
    assert lam.names() == []  # refused before any call


# --- running ---------------------------------------------------------------------------------


def test_run_gives_the_result_a_local_run_gives():
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        result = runner.run(input={"name": "ada"}, timeout=10)
    with DurableFunctionTestRunner(greet) as local:
        expected = local.run(input={"name": "ada"})

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.execution_status == "SUCCEEDED"
    assert result.result == expected.result == {"greeting": "hello ADA"}
    assert result.raw_result == expected.raw_result
    assert result.get_step("shout").result == "ADA"
    assert result.get_wait("pause").status.value == "SUCCEEDED"
    assert [e["EventType"] for e in result.history] == [e["EventType"] for e in expected.history]
    assert result.invocation_count == expected.invocation_count == 2
    assert result.error is None
    assert result.start_timestamp is not None and result.end_timestamp is not None
    assert (
        result.timeline()
        == expected.timeline().replace(expected.execution_arn, result.execution_arn)
        or "shout" in result.timeline()
    )
    assert result.hook_events == []


def test_run_invokes_synchronously_and_reads_every_history_page_with_data():
    lam = LocalLambda(greet, page_size=2)
    with cloud(lam) as runner:
        result = runner.run(input={"name": "ada"})

    invoke = lam.calls[0]
    assert invoke[0] == "Invoke"
    assert invoke[1]["InvocationType"] == "RequestResponse"
    assert invoke[1]["FunctionName"] == "deployed"
    assert json.loads(invoke[1]["Payload"]) == {"name": "ada"}
    assert invoke[1]["DurableExecutionName"].startswith("test-")
    pages = [r for name, r in lam.calls if name == "GetDurableExecutionHistory"]
    assert len(pages) == -(-len(result.history) // 2)  # pages of two, the last maybe short
    assert len(pages) > 1
    assert all(page["IncludeExecutionData"] is True for page in pages)
    assert "Marker" not in pages[0]
    assert len({e["EventId"] for e in result.history}) == len(result.history)


def test_run_async_invokes_as_an_event_and_wait_for_result_polls():
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        arn = runner.run_async(input={"name": "bo"}, execution_name="my-run")
        assert runner.get_execution(arn)["Status"] == "SUCCEEDED"
        result = runner.wait_for_result(arn, timeout=None)  # None: the default, as locally

    assert lam.calls[0][1]["InvocationType"] == "Event"
    assert lam.calls[0][1]["DurableExecutionName"] == "my-run"
    assert result.execution_arn == arn
    assert result.result == {"greeting": "hello BO"}


def test_input_is_normalised_as_the_local_runner_does():
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        runner.run_async('{"name": "json text"}')
        runner.run_async("plain text")

    assert [r["Payload"] for name, r in lam.calls if name == "Invoke"] == [
        b'{"name": "json text"}',
        b'"plain text"',
    ]


def test_a_failed_execution_has_its_error_and_termination_reason():
    lam = LocalLambda(refuse)
    with cloud(lam) as runner:
        result = runner.run({})
    with DurableFunctionTestRunner(refuse) as local:
        expected = local.run({})

    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "FAILED"
    assert result.error.message == expected.error.message
    assert result.error.type == expected.error.type
    assert result.termination_reason == expected.termination_reason
    assert result.get_step("check").error.message == "no such customer"


def test_a_stopped_execution_says_stopped():
    lam = LocalLambda(approval)
    with cloud(lam) as runner:
        arn = runner.run_async({})
        runner.wait_for_callback(arn, name="approval")
        runner.stop_execution(arn, ErrorObject("cancelled by the test", "Cancelled"))
        result = runner.wait_for_result(arn)

    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "STOPPED"
    assert result.termination_reason == "STOPPED"
    assert result.error.message == "cancelled by the test"
    stop = dict(lam.calls)["StopDurableExecution"]
    assert stop == {
        "DurableExecutionArn": arn,
        "Error": {"ErrorMessage": "cancelled by the test", "ErrorType": "Cancelled"},
    }


def test_get_execution_and_one_history_page():
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        arn = runner.run_async({"name": "x"})
        execution = runner.get_execution(arn)
        page = runner.get_execution_history(arn, max_items=2, reverse_order=True)

    assert execution["Status"] == "SUCCEEDED"
    assert "ResponseMetadata" not in execution
    assert [e["EventId"] for e in page["Events"]] == sorted(
        (e["EventId"] for e in page["Events"]), reverse=True
    )
    assert page["NextMarker"]


# --- waiting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("poll_interval", "first"),
    [
        (1.0, [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0]),
        (0.05, [0.01, 0.02, 0.04, 0.05, 0.05]),
        (0.01, [0.01, 0.01, 0.01]),
        (0.0, [0.01, 0.01, 0.01]),  # never a spin
    ],
)
def test_pauses_back_off_from_10_ms_to_the_poll_interval(poll_interval, first):
    delays = poll_delays(poll_interval)
    assert [next(delays) for _ in first] == pytest.approx(first)


def test_the_backoff_starts_over_when_the_history_grows():
    backoff = Backoff(1.0)
    assert [backoff.next(5), backoff.next(5), backoff.next(5)] == [0.01, 0.02, 0.04]
    assert [backoff.next(7), backoff.next(7)] == [0.01, 0.02]  # two new events
    assert [backoff.next(None), backoff.next(7)] == [0.04, 0.08]  # nothing read, no change


def test_not_found_right_after_the_start_is_retried():
    lam = LocalLambda(greet, hidden_polls=3)
    with cloud(lam) as runner:
        result = runner.run({"name": "ada"})

    assert result.status is InvocationStatus.SUCCEEDED
    assert lam.names().count("GetDurableExecution") >= 4


def test_a_run_that_does_not_end_in_time_names_the_execution_and_its_status():
    lam = LocalLambda(approval)
    with cloud(lam) as runner:
        arn = runner.run_async({})
        with pytest.raises(TimeoutError) as caught:
            runner.wait_for_result(arn, timeout=0.05)

    assert arn in str(caught.value)
    assert "RUNNING" in str(caught.value)
    assert "0.05 s" in str(caught.value)


def test_a_synchronous_invoke_that_outlasts_the_wait_falls_back_to_polling():
    lam = LocalLambda(greet)
    lam.sync_read_timeout = True
    with cloud(lam) as runner:
        result = runner.run({"name": "ada"})

    invokes = [r for name, r in lam.calls if name == "Invoke"]
    assert [r["InvocationType"] for r in invokes] == ["RequestResponse", "Event"]
    assert invokes[0]["DurableExecutionName"] == invokes[1]["DurableExecutionName"]
    assert result.result == {"greeting": "hello ADA"}
    assert len(lam.started) == 1


def test_a_closed_runner_starts_nothing():
    lam = LocalLambda(greet)
    runner = cloud(lam)
    runner.close()
    with pytest.raises(DurableFunctionsLocalRunnerError, match="closed"):
        runner.run({})
    assert lam.names() == []


# --- callbacks -------------------------------------------------------------------------------


def test_the_test_answers_a_callback_it_waited_for():
    lam = LocalLambda(approval)
    with cloud(lam) as runner:
        arn = runner.run_async({})
        callback_id = runner.wait_for_callback(arn, name="approval")
        runner.send_callback_heartbeat(callback_id)
        runner.send_callback_success(callback_id, {"ok": True})
        result = runner.wait_for_result(arn)

    assert result.result == {"answer": '{"ok": true}'}  # as a local run gives it
    sent = dict(lam.calls)["SendDurableExecutionCallbackSuccess"]
    assert sent == {"CallbackId": callback_id, "Result": b'{"ok": true}'}


def test_wait_for_callback_without_a_name_is_the_newest_open_one():
    lam = LocalLambda(two_callbacks)
    with cloud(lam) as runner:
        arn = runner.run_async({})
        newest = runner.wait_for_callback(arn)
        first = runner.wait_for_callback(arn, name="first")
        runner.send_callback_success(first, "1")
        runner.send_callback_failure(newest, ErrorObject("nope", "Refused"))
        result = runner.wait_for_result(arn)

    assert newest == result.get_callback("second").callback_id
    assert first == result.get_callback("first").callback_id
    assert result.status is InvocationStatus.FAILED
    assert "nope" in result.error.message


def test_wait_for_callback_fails_when_the_execution_ends_without_it():
    lam = LocalLambda(greet)
    with cloud(lam) as runner:
        arn = runner.run_async({"name": "x"})
        with pytest.raises(DurableFunctionsTestError, match="ended without a callback named 'x'"):
            runner.wait_for_callback(arn, name="x")


def test_declared_answers_are_sent_over_the_api():
    lam = LocalLambda(two_callbacks)
    with cloud(lam) as runner:
        result = runner.run(
            {},
            timeout=10,
            callbacks={"first": "one", "second": CallbackSuccess({"n": 2}, delay=0.02)},
        )

    assert lam.calls[0][1]["InvocationType"] == "Event"
    assert result.result == ["one", '{"n": 2}']
    assert lam.names().count("SendDurableExecutionCallbackSuccess") == 2
    assert runner.rejected_callback_actions == []


def test_a_declared_failure_fails_the_callback():
    lam = LocalLambda(approval)
    with cloud(lam) as runner:
        result = runner.run({}, callbacks={"approval": CallbackFailure("Rejected", "no receipt")})

    assert result.status is InvocationStatus.FAILED
    (failed,) = [e for e in result.history if e["EventType"] == "CallbackFailed"]
    payload = failed["CallbackFailedDetails"]["Error"]["Payload"]
    assert payload == {"ErrorType": "Rejected", "ErrorMessage": "no receipt"}


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (CallbackSuccess("late", delay=3600), "delayed 3600 s, past the run's timeout"),
        (CallbackTimeout(), "cannot time a callback out"),
    ],
)
def test_declared_answers_the_api_cannot_give_are_refused_and_the_execution_stopped(
    answer, fragment
):
    lam = LocalLambda(approval)
    with cloud(lam) as runner, pytest.raises(UnsupportedInCloudError, match=fragment):
        runner.run({}, timeout=5, callbacks={"approval": answer})

    assert lam.names()[-1] == "StopDurableExecution"


# --- errors ----------------------------------------------------------------------------------


def test_service_errors_become_lambda_api_errors_with_code_and_message():
    lam = LocalLambda(greet)
    with cloud(lam) as runner, pytest.raises(LambdaApiError) as caught:
        runner.get_execution("arn:aws:lambda:us-east-1:123456789012:function:f/x/y")

    error = caught.value
    assert isinstance(error, DurableFunctionsTestError)
    assert error.operation == "GetDurableExecution"
    assert error.code == "ResourceNotFoundException"
    assert "Execution not found" in error.message
    assert error.status_code == 404
    assert str(error).startswith("GetDurableExecution failed: ResourceNotFoundException: ")


def test_an_answer_to_an_ended_callback_is_a_lambda_api_error():
    lam = LocalLambda(approval)
    with cloud(lam) as runner:
        arn = runner.run_async({})
        callback_id = runner.wait_for_callback(arn)
        runner.send_callback_success(callback_id, "yes")
        with pytest.raises(LambdaApiError) as caught:
            runner.send_callback_success(callback_id, "again")

    assert caught.value.operation == "SendDurableExecutionCallbackSuccess"


def test_an_unreachable_endpoint_is_a_lambda_api_error():
    class Unreachable(LocalLambda):
        def invoke(self, **request):
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    with cloud(Unreachable(greet)) as runner, pytest.raises(LambdaApiError) as caught:
        runner.run({})

    assert caught.value.code == "EndpointConnectionError"
    assert caught.value.status_code is None
    assert "127.0.0.1:9" in caught.value.message


def test_an_invoke_without_an_execution_arn_says_the_function_is_not_durable():
    lam = LocalLambda(greet)
    lam.omit_arn = True
    with cloud(lam) as runner, pytest.raises(DurableFunctionsTestError, match="durable function"):
        runner.run({})


@pytest.mark.parametrize(
    ("attempt", "fragment"),
    [
        (lambda r: r.register_durable_function("payments", greet), "register_durable_function"),
        (lambda r: r.register_function("payments", print), "register_function"),
        (lambda r: r.advance_time(60), "advance_time(60)"),
        (lambda r: r.replay("history.json"), "replay(history)"),
        (lambda r: r.run({}, crash_after=1), "run(crash_after=...)"),
        (lambda r: r.run_async({}, faults=[object()]), "run_async(faults=...)"),
    ],
)
def test_what_needs_the_handler_in_this_process_is_unsupported(attempt, fragment):
    lam = LocalLambda(greet)
    with cloud(lam) as runner, pytest.raises(UnsupportedInCloudError) as caught:
        attempt(runner)
    assert fragment in str(caught.value)
    assert lam.names() == []


# --- against the HTTP server, through real boto3 clients --------------------------------------


@durable_execution
def many_steps(event: dict, context: DurableContext) -> int:
    return sum(context.step(lambda _, i=i: i, name=f"step-{i}") for i in range(event["count"]))


SERVED = {
    "greet": greet,
    "refuse": refuse,
    "approval": approval,
    "two-callbacks": two_callbacks,
    "many-steps": many_steps,
}


@pytest.fixture(scope="module")
def server():
    from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

    with DurableLocalServer(SERVED, skip_time=True) as running:
        yield running


@pytest.fixture
def served(server, monkeypatch):
    """A cloud runner for a served function, with its own boto3 client (as in CI)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    made = []

    def make(function_name: str) -> DurableFunctionCloudTestRunner:
        runner = DurableFunctionCloudTestRunner(
            function_name, endpoint_url=server.endpoint_url, region="us-east-1", poll_interval=0.1
        )
        made.append(runner)
        return runner

    yield make
    for runner in made:
        runner.close()


def test_served_run_gives_the_result_a_local_run_gives(served):
    result = served("greet").run(input={"name": "ada"}, timeout=30)
    with DurableFunctionTestRunner(greet) as local:
        expected = local.run(input={"name": "ada"})

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == expected.result
    assert result.get_step("shout").result == "ADA"
    assert [e["EventType"] for e in result.history] == [e["EventType"] for e in expected.history]
    assert result.invocation_count == expected.invocation_count
    assert ":function:greet" in result.execution_arn


def test_served_failure_keeps_its_error_and_reason(served):
    result = served("refuse").run({}, timeout=30)
    with DurableFunctionTestRunner(refuse) as local:
        expected = local.run({})

    assert result.status is InvocationStatus.FAILED
    assert (result.error.type, result.error.message) == (
        expected.error.type,
        expected.error.message,
    )
    assert result.termination_reason == expected.termination_reason


def test_served_history_is_read_across_pages(served):
    runner = served("many-steps")
    result = runner.run({"count": 120}, timeout=30)
    first_page = runner.get_execution_history(result.execution_arn, max_items=100)

    assert result.result == sum(range(120))
    assert len(result.history) > len(first_page["Events"])  # more than one page was read
    assert first_page["NextMarker"]
    assert result.get_step("step-119").result == 119


def test_served_callback_answered_by_the_test(served):
    runner = served("approval")
    arn = runner.run_async({})
    callback_id = runner.wait_for_callback(arn, name="approval", timeout=30)
    runner.send_callback_heartbeat(callback_id)
    runner.send_callback_success(callback_id, "yes")
    result = runner.wait_for_result(arn, timeout=30)

    assert result.result == {"answer": "yes"}
    assert result.get_context("approval").status.value == "SUCCEEDED"


def test_served_declared_answers(served):
    result = served("two-callbacks").run(
        {}, timeout=30, callbacks={"first": "one", "second": CallbackFailure("No", "refused")}
    )

    assert result.status is InvocationStatus.FAILED
    assert result.get_callback("first").raw_result == "one"
    assert result.get_callback("second").error.message == "refused"


def test_served_stop(served):
    runner = served("approval")
    arn = runner.run_async({})
    runner.wait_for_callback(arn, timeout=30)
    runner.stop_execution(arn)
    result = runner.wait_for_result(arn, timeout=30)

    assert result.execution_status == "STOPPED"
    assert result.termination_reason == "STOPPED"


def test_served_errors_carry_the_service_code(served):
    runner = served("greet")
    with pytest.raises(LambdaApiError) as caught:
        runner.send_callback_success("bm90LWEtY2FsbGJhY2s=", "x")
    assert caught.value.code in {"ResourceNotFoundException", "InvalidParameterValueException"}
    assert caught.value.status_code in {400, 404}

    with pytest.raises(LambdaApiError) as caught:
        served("no-such-function").run({}, timeout=5)
    assert caught.value.operation == "Invoke"
    assert caught.value.code == "ResourceNotFoundException"


def test_served_timeout_names_the_running_execution(served):
    runner = served("approval")
    arn = runner.run_async({})
    with pytest.raises(TimeoutError, match="its status: RUNNING"):
        runner.wait_for_result(arn, timeout=0.2)
    runner.stop_execution(arn)


def test_served_synchronous_run_is_bounded_by_its_timeout(served, server):
    """The server holds a synchronous Invoke until the execution ends (900 s here): the
    runner stops waiting for it at the run's timeout and names the execution still running;
    the Event Invoke it then makes with the same name starts nothing new."""
    runner = served("approval")
    with pytest.raises(TimeoutError, match="its status: RUNNING"):
        runner.run({}, timeout=1, execution_name="sync-bounded")

    client = server.client()
    (execution,) = client.list_durable_executions_by_function(
        FunctionName="approval", DurableExecutionName="sync-bounded"
    )["DurableExecutions"]
    runner.stop_execution(execution["DurableExecutionArn"])
    client.close()


@durable_execution
def leaves_a_callback_open(event: dict, context: DurableContext) -> str:
    context.create_callback(name="late")
    context.wait(Duration.from_seconds(30), name="meanwhile")
    return "done without it"


def test_answers_still_waiting_when_the_execution_ends_are_kept_as_rejected():
    from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

    # A short callback hold: the skipped clock soon jumps the wait, long before the answer.
    with DurableLocalServer(
        {"leaves-open": leaves_a_callback_open}, skip_time=True, callback_hold=0.3
    ) as server:
        client = server.client()
        runner = DurableFunctionCloudTestRunner("leaves-open", client, poll_interval=0.05)
        result = runner.run(timeout=30, callbacks={"late": CallbackSuccess("x", delay=20)})
        client.close()
    assert result.result == "done without it"
    [(created, action, error)] = runner.rejected_callback_actions
    assert created.name == "late" and action.result == "x"
    assert error.operation == "SendDurableExecutionCallbackSuccess"
    assert "execution has ended" in error.message
