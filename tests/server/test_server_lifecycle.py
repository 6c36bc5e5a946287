"""Pause, resume, delete and list over HTTP, as botocore's model and its rules have them."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import server_workflows

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


@pytest.fixture
def realtime() -> Iterator[tuple[DurableLocalServer, Any]]:
    """Real time: a waiting execution stays waiting while the test acts on it."""
    with DurableLocalServer(server_workflows.FUNCTIONS) as server:
        client = server.client()
        yield server, client
        client.close()


def _kinds(client: Any, arn: str) -> list[str]:
    events = client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)
    return [event["EventType"] for event in events["Events"]]


def test_a_paused_execution_is_not_invoked_until_it_is_resumed(
    realtime: tuple[DurableLocalServer, Any],
) -> None:
    server, client = realtime
    runner = DurableFunctionCloudTestRunner("approval", client, poll_interval=0.1)
    arn = runner.run_async(input={"id": "p"})
    callback_id = runner.wait_for_callback(arn, "approve", timeout=30)
    server.settle()

    client.pause_durable_execution(DurableExecutionArn=arn, Reason="maintenance")
    described = client.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "PAUSED"
    assert described["PauseDetails"]["Reason"] == "maintenance"
    # The callback still completes while paused; nothing is invoked.
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"ok")
    server.settle()
    assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "PAUSED"
    assert "CallbackSucceeded" in _kinds(client, arn)
    assert _kinds(client, arn).count("InvocationCompleted") == 1

    client.resume_durable_execution(DurableExecutionArn=arn, Reason="done")
    result = runner.wait_for_result(arn, timeout=30)
    assert result.result == {"approved": "ok", "id": "p"}
    kinds = _kinds(client, arn)
    assert kinds.index("ExecutionPaused") < kinds.index("ExecutionResumed")


def test_pause_and_resume_refuse_the_wrong_states(realtime: tuple[DurableLocalServer, Any]) -> None:
    server, client = realtime
    done = client.invoke(FunctionName="fails", Payload=b"{}")["DurableExecutionArn"]
    with pytest.raises(client.exceptions.ResourceConflictException) as caught:
        client.pause_durable_execution(DurableExecutionArn=done)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    running = client.invoke(FunctionName="sleeper", Payload=b"{}", InvocationType="Event")
    server.settle()
    with pytest.raises(client.exceptions.ResourceConflictException):
        client.resume_durable_execution(DurableExecutionArn=running["DurableExecutionArn"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.pause_durable_execution(DurableExecutionArn=done + "0")


def test_only_an_ended_execution_can_be_deleted(realtime: tuple[DurableLocalServer, Any]) -> None:
    server, client = realtime
    running = client.invoke(FunctionName="sleeper", Payload=b"{}", InvocationType="Event")
    server.settle()
    with pytest.raises(client.exceptions.ResourceConflictException) as caught:
        client.delete_durable_execution(DurableExecutionArn=running["DurableExecutionArn"])
    assert "stop it first" in caught.value.response["Error"]["Message"]

    done = client.invoke(FunctionName="steps", Payload=b'{"count": 1}')["DurableExecutionArn"]
    deleted = client.delete_durable_execution(DurableExecutionArn=done)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert isinstance(deleted["DeletionRequestTimestamp"], datetime.datetime)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_durable_execution(DurableExecutionArn=done)
    listed = client.list_durable_executions_by_function(FunctionName="steps")
    assert done not in [e["DurableExecutionArn"] for e in listed["DurableExecutions"]]


def test_list_filters_and_pages(client: Any) -> None:
    arns = []
    for index in range(5):
        response = client.invoke(
            FunctionName="greet",
            Payload=json.dumps({"name": f"n{index}"}).encode(),
            DurableExecutionName=f"listed-{index}",
        )
        arns.append(response["DurableExecutionArn"])
    failed = client.invoke(FunctionName="fails", Payload=b"{}")["DurableExecutionArn"]

    newest_first = client.list_durable_executions_by_function(FunctionName="greet")
    assert [e["DurableExecutionArn"] for e in newest_first["DurableExecutions"]] == arns[::-1]
    first = newest_first["DurableExecutions"][-1]
    assert first["DurableExecutionName"] == "listed-0" and first["Status"] == "SUCCEEDED"
    assert first["FunctionArn"].endswith(":function:greet:$LATEST")

    oldest_first = client.list_durable_executions_by_function(
        FunctionName="greet", ReverseOrder=True
    )
    assert [e["DurableExecutionArn"] for e in oldest_first["DurableExecutions"]] == arns

    paged: list[str] = []
    marker = None
    while True:
        page = client.list_durable_executions_by_function(
            FunctionName="greet", MaxItems=2, **({"Marker": marker} if marker else {})
        )
        paged.extend(e["DurableExecutionArn"] for e in page["DurableExecutions"])
        marker = page.get("NextMarker")
        if not marker:
            break
    assert paged == arns[::-1]

    named = client.list_durable_executions_by_function(
        FunctionName="greet", DurableExecutionName="listed-3"
    )
    assert [e["DurableExecutionArn"] for e in named["DurableExecutions"]] == [arns[3]]
    by_status = client.list_durable_executions_by_function(
        FunctionName="fails", Statuses=["FAILED"]
    )
    assert [e["DurableExecutionArn"] for e in by_status["DurableExecutions"]] == [failed]
    none_running = client.list_durable_executions_by_function(
        FunctionName="greet", Statuses=["RUNNING"]
    )
    assert none_running["DurableExecutions"] == []
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    later = client.list_durable_executions_by_function(FunctionName="greet", StartedAfter=future)
    assert later["DurableExecutions"] == []
    earlier = client.list_durable_executions_by_function(FunctionName="greet", StartedBefore=future)
    assert len(earlier["DurableExecutions"]) == 5
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.list_durable_executions_by_function(FunctionName="greet", Marker="not-a-marker")
