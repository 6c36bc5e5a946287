"""Every route of the local server, driven with a real boto3 ``lambda`` client."""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import botocore.session
import pytest
import server_workflows

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

_ARN = re.compile(
    botocore.session.get_session()
    .get_service_model("lambda")
    .shape_for("DurableExecutionArn")
    .metadata["pattern"]
)


def _invoke(client: Any, function: str, payload: Any, **extra: Any) -> dict[str, Any]:
    response = client.invoke(FunctionName=function, Payload=json.dumps(payload).encode(), **extra)
    response["Body"] = response["Payload"].read()
    return dict(response)


def _events(client: Any, arn: str, **extra: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        page = client.get_durable_execution_history(
            DurableExecutionArn=arn, **extra, **({"Marker": marker} if marker else {})
        )
        events.extend(page["Events"])
        marker = page.get("NextMarker")
        if not marker:
            return events


def test_a_synchronous_invoke_runs_the_execution_to_its_end(client: Any) -> None:
    response = _invoke(client, "greet", {"name": "ada"})
    assert response["StatusCode"] == 200
    assert json.loads(response["Body"]) == {"greeting": "hello ADA"}
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert _ARN.fullmatch(response["DurableExecutionArn"])


def test_get_durable_execution_describes_it_with_or_without_its_data(client: Any) -> None:
    arn = _invoke(client, "greet", {"name": "ada"})["DurableExecutionArn"]
    full = client.get_durable_execution(DurableExecutionArn=arn)
    assert full["Status"] == "SUCCEEDED"
    assert json.loads(full["Result"]) == {"greeting": "hello ADA"}
    assert json.loads(full["InputPayload"]) == {"name": "ada"}
    assert full["EndTimestamp"] >= full["StartTimestamp"]
    assert full["FunctionArn"].endswith(":function:greet:$LATEST")
    lean = client.get_durable_execution(DurableExecutionArn=arn, IncludeExecutionData=False)
    assert "Result" not in lean and "InputPayload" not in lean
    assert lean["Status"] == "SUCCEEDED"


def test_an_event_invoke_answers_202_at_once_and_the_execution_goes_on(
    client: Any, server: DurableLocalServer
) -> None:
    response = _invoke(client, "greet", {"name": "bo"}, InvocationType="Event")
    assert response["StatusCode"] == 202
    assert response["Body"] == b""
    arn = response["DurableExecutionArn"]
    # The same name and payload find the same execution; RequestResponse waits for its end.
    name = arn.split("/durable-execution/")[1].split("/")[0]
    again = _invoke(client, "greet", {"name": "bo"}, DurableExecutionName=name)
    assert again["DurableExecutionArn"] == arn
    assert json.loads(again["Body"]) == {"greeting": "hello BO"}


def test_an_execution_name_is_idempotent_for_the_same_payload_only(client: Any) -> None:
    first = _invoke(client, "greet", {"name": "cy"}, DurableExecutionName="order-1")
    second = _invoke(client, "greet", {"name": "cy"}, DurableExecutionName="order-1")
    assert second["DurableExecutionArn"] == first["DurableExecutionArn"]
    with pytest.raises(client.exceptions.DurableExecutionAlreadyStartedException) as caught:
        _invoke(client, "greet", {"name": "other"}, DurableExecutionName="order-1")
    assert "order-1" in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_a_dry_run_starts_nothing(client: Any) -> None:
    response = _invoke(client, "greet", {"name": "x"}, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert "DurableExecutionArn" not in response


def test_a_failed_execution_is_a_function_error(client: Any) -> None:
    response = _invoke(client, "fails", {"id": 7})
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Body"]) == {
        "errorMessage": "bad order 7",
        "errorType": "ValueError",
    }
    described = client.get_durable_execution(DurableExecutionArn=response["DurableExecutionArn"])
    assert described["Status"] == "FAILED"
    assert described["Error"]["ErrorType"] == "ValueError"


def test_a_retried_step_waits_its_backoff_on_the_skipped_clock(client: Any) -> None:
    response = _invoke(client, "flaky", {"key": "routes-flaky"})
    assert json.loads(response["Body"]) == "attempt 2"
    kinds = [e["EventType"] for e in _events(client, response["DurableExecutionArn"])]
    assert kinds.count("StepStarted") == 2  # the attempt 5 minutes later, on the skipped clock
    assert kinds[-2:] == ["InvocationCompleted", "ExecutionSucceeded"]
    assert "StepSucceeded" in kinds


def test_history_pages_forwards_and_backwards(client: Any) -> None:
    arn = _invoke(client, "steps", {"count": 30})["DurableExecutionArn"]
    whole = client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)["Events"]
    assert len(whole) > 60
    paged = _events(client, arn, MaxItems=7)
    assert [e["EventId"] for e in paged] == [e["EventId"] for e in whole]
    backwards = _events(client, arn, MaxItems=9, ReverseOrder=True)
    assert [e["EventId"] for e in backwards] == [e["EventId"] for e in reversed(whole)]
    first = client.get_durable_execution_history(DurableExecutionArn=arn)
    assert len(first["Events"]) == 100 or "NextMarker" not in first  # the model's default page


def test_history_without_execution_data_leaves_payloads_out(client: Any) -> None:
    arn = _invoke(client, "greet", {"name": "di"})["DurableExecutionArn"]
    lean = _events(client, arn, IncludeExecutionData=False)
    full = _events(client, arn, IncludeExecutionData=True)
    succeeded = [e for e in full if e["EventType"] == "StepSucceeded"]
    assert succeeded[0]["StepSucceededDetails"]["Result"]["Payload"] == '"DI"'
    lean_succeeded = [e for e in lean if e["EventType"] == "StepSucceeded"]
    assert "Payload" not in lean_succeeded[0]["StepSucceededDetails"]["Result"]


def test_a_chained_invoke_starts_the_served_target(client: Any) -> None:
    response = _invoke(client, "caller", {"name": "eve"})
    assert json.loads(response["Body"]) == {"greeting": "hello EVE"}
    events = _events(client, response["DurableExecutionArn"])
    started = next(e for e in events if e["EventType"] == "ChainedInvokeStarted")
    target = started["ChainedInvokeStartedDetails"]["DurableExecutionArn"]
    assert client.get_durable_execution(DurableExecutionArn=target)["Status"] == "SUCCEEDED"


def test_stop_ends_a_running_execution() -> None:
    # Real time: the day-long wait is still running when the stop arrives.
    with DurableLocalServer(server_workflows.FUNCTIONS) as server:
        client = server.client()
        try:
            _stop_a_sleeper(client, server)
        finally:
            client.close()


def _stop_a_sleeper(client: Any, server: DurableLocalServer) -> None:
    arn = _invoke(client, "sleeper", {}, InvocationType="Event")["DurableExecutionArn"]
    server.settle()
    stopped = client.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorMessage": "operator said so", "ErrorType": "Ops"}
    )
    assert stopped["StopTimestamp"]
    described = client.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "STOPPED"
    assert described["Error"] == {"ErrorMessage": "operator said so", "ErrorType": "Ops"}
    assert _events(client, arn)[-1]["EventType"] == "ExecutionStopped"


def test_many_clients_at_once_each_get_their_own_result(server: DurableLocalServer) -> None:
    results: dict[int, Any] = {}

    def one(index: int) -> None:
        own = server.client()
        try:
            response = own.invoke(
                FunctionName="steps", Payload=json.dumps({"count": index % 5 + 1}).encode()
            )
            results[index] = json.loads(response["Payload"].read())
        finally:
            own.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {i: sum(range(i % 5 + 1)) for i in range(16)}


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("port", 70000, "port=70000: expected an integer >= 0 and <= 65535"),
        ("port", "80", "port='80': expected an integer"),
        ("invocation_timeout", 0, "invocation_timeout=0: expected a number > 0"),
        ("invocation_retries", -1, "invocation_retries=-1: expected an integer >= 0"),
        ("execution_timeout", 0, "execution_timeout=0: expected an integer >= 1"),
        ("execution_timeout", 10**9, "<= 31622400"),
        ("max_concurrent_invocations", 0, "max_concurrent_invocations=0"),
        ("callback_hold", float("nan"), "callback_hold=nan"),
        ("sync_invoke_timeout", -5, "sync_invoke_timeout=-5"),
        ("max_request_bytes", 1.5, "max_request_bytes=1.5: expected an integer"),
        ("max_requests_per_second", 0, "max_requests_per_second=0: expected a number > 0"),
        ("invocation_mode", "thread", "invocation_mode='thread'"),
        ("store", "postgres:x", "sqlite:PATH"),
    ],
)
def test_bad_options_are_refused_naming_the_option(option: str, value: Any, message: str) -> None:
    from aws_durable_execution_sdk_python_testing import DurableFunctionsTestError

    with pytest.raises(DurableFunctionsTestError) as caught:
        DurableLocalServer({}, **{option: value}).start().stop()
    assert message in str(caught.value)


def test_a_bad_function_name_or_handler_is_refused() -> None:
    from aws_durable_execution_sdk_python_testing import DurableFunctionsTestError

    with pytest.raises(DurableFunctionsTestError, match="use a Lambda function name"):
        DurableLocalServer({"no spaces": server_workflows.greet})
    with pytest.raises(DurableFunctionsTestError, match="callable handler"):
        DurableLocalServer({"greet": "not a handler"})  # type: ignore[dict-item]
