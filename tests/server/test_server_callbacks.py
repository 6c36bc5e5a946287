"""Callbacks answered with boto3 while the execution waits on the server."""

from __future__ import annotations

import json
from typing import Any

import pytest
import server_workflows

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


def _waiting(client: Any, server: DurableLocalServer, name: str) -> tuple[str, str]:
    """Start ``approval`` and return its ARN and the callback id it waits on."""
    response = client.invoke(
        FunctionName="approval",
        Payload=json.dumps({"id": name}).encode(),
        InvocationType="Event",
        DurableExecutionName=name,
    )
    arn = response["DurableExecutionArn"]
    server.settle()
    events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    started = next(e for e in events if e["EventType"] == "CallbackStarted")
    return arn, started["CallbackStartedDetails"]["CallbackId"]


def _finish(client: Any, name: str) -> dict[str, Any]:
    response = client.invoke(
        FunctionName="approval",
        Payload=json.dumps({"id": name}).encode(),
        DurableExecutionName=name,
    )
    response["Body"] = json.loads(response["Payload"].read())
    return dict(response)


def test_a_success_sent_with_boto3_resumes_the_execution(
    client: Any, server: DurableLocalServer
) -> None:
    arn, callback_id = _waiting(client, server, "ok")
    assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"yes")
    assert _finish(client, "ok")["Body"] == {"approved": "yes", "id": "ok"}


def test_a_failure_sent_with_boto3_fails_the_callback(
    client: Any, server: DurableLocalServer
) -> None:
    arn, callback_id = _waiting(client, server, "no")
    client.send_durable_execution_callback_failure(
        CallbackId=callback_id, Error={"ErrorMessage": "rejected", "ErrorType": "Rejected"}
    )
    response = _finish(client, "no")
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorMessage"] == "rejected"
    kinds = [
        e["EventType"]
        for e in client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
    ]
    assert "CallbackFailed" in kinds


def test_a_second_answer_is_refused(client: Any, server: DurableLocalServer) -> None:
    _, callback_id = _waiting(client, server, "twice")
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"1")
    with pytest.raises(
        (
            client.exceptions.InvalidParameterValueException,
            client.exceptions.CallbackTimeoutException,
        )
    ):
        client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"2")


def test_an_answer_after_the_timeout_is_a_callback_timeout() -> None:
    # callback_hold=0: the skipped clock reaches the heartbeat timeout as soon as it can.
    with DurableLocalServer(server_workflows.FUNCTIONS, skip_time=True, callback_hold=0) as server:
        client = server.client()
        try:
            arn, callback_id = _waiting(client, server, "late")
            response = _finish(client, "late")
            assert response["FunctionError"] == "Unhandled"
            with pytest.raises(client.exceptions.CallbackTimeoutException) as caught:
                client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"1")
            assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
            assert "CallbackTimedOut" in [e["EventType"] for e in events]
        finally:
            client.close()
