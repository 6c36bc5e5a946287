"""Errors reach boto3 as the modelled exception classes, with the status and the message."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing._server import api
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


def _error(caught: pytest.ExceptionInfo[Any]) -> tuple[str, int, str]:
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def _finished(client: Any) -> str:
    response = client.invoke(FunctionName="greet", Payload=b'{"name": "x"}')
    return str(response["DurableExecutionArn"])


def test_an_unknown_execution_is_resource_not_found(client: Any) -> None:
    arn = _finished(client)[:-4] + "0000"
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.get_durable_execution(DurableExecutionArn=arn)
    assert _error(caught) == ("ResourceNotFoundException", 404, f"Execution not found: {arn}")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_durable_execution_history(DurableExecutionArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_durable_execution(DurableExecutionArn=arn)


def test_an_unknown_function_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.invoke(FunctionName="nobody", Payload=b"{}")
    code, status, message = _error(caught)
    assert (code, status) == ("ResourceNotFoundException", 404)
    assert "nobody" in message and "greet" in message  # names what is served


def test_an_unknown_callback_is_resource_not_found(client: Any) -> None:
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.send_durable_execution_callback_success(CallbackId="bm8tc3VjaA==", Result=b"1")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.send_durable_execution_callback_heartbeat(CallbackId="bm8tc3VjaA==")


def test_a_stale_checkpoint_token_is_an_invalid_parameter(client: Any) -> None:
    arn = _finished(client)
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken="c3RhbGU=")
    code, status, message = _error(caught)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert "Invalid Checkpoint Token" in message
    with pytest.raises(client.exceptions.InvalidParameterValueException):
        client.checkpoint_durable_execution(
            DurableExecutionArn=arn, CheckpointToken="c3RhbGU=", Updates=[]
        )


def test_values_botocore_would_refuse_are_refused_by_the_server_too(raw_client: Any) -> None:
    arn = _finished(raw_client)
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException) as caught:
        raw_client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=5000)
    assert "MaxItems" in _error(caught)[2]
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException) as caught:
        raw_client.checkpoint_durable_execution(DurableExecutionArn=arn, Updates=[])
    assert "CheckpointToken is required" in _error(caught)[2]
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException):
        raw_client.invoke(FunctionName="greet", Payload=b"{}", InvocationType="Sometimes")
    with pytest.raises(raw_client.exceptions.InvalidParameterValueException):
        raw_client.invoke(FunctionName="greet", Payload=b"{}", DurableExecutionName="no spaces")


def test_a_payload_that_is_not_json_is_invalid_request_content(client: Any) -> None:
    with pytest.raises(client.exceptions.InvalidRequestContentException) as caught:
        client.invoke(FunctionName="greet", Payload=b"{not json")
    assert _error(caught)[:2] == ("InvalidRequestContentException", 400)


def test_payloads_over_the_quotas_are_request_too_large(client: Any) -> None:
    big = json.dumps("x" * (1024 * 1024 + 10)).encode()  # over the 1 MB asynchronous quota
    with pytest.raises(client.exceptions.RequestTooLargeException) as caught:
        client.invoke(FunctionName="greet", Payload=big, InvocationType="Event")
    assert _error(caught)[:2] == ("RequestTooLargeException", 413)
    huge = json.dumps("x" * (7 * 1024 * 1024)).encode()  # over every request the service takes
    with pytest.raises(client.exceptions.RequestTooLargeException):
        client.invoke(FunctionName="greet", Payload=huge)


def test_a_callback_result_over_the_payload_limit_is_refused(client: Any) -> None:
    with pytest.raises(client.exceptions.InvalidParameterValueException) as caught:
        client.send_durable_execution_callback_success(
            CallbackId="bm8tc3VjaA==", Result=b"x" * (256 * 1024 + 1)
        )
    assert "at most" in _error(caught)[2]


def test_a_failure_inside_the_server_is_a_service_exception(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(backend: Any, params: Any) -> dict[str, Any]:
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(api.HANDLERS, "GetDurableExecution", broken)
    with pytest.raises(client.exceptions.ServiceException) as caught:
        client.get_durable_execution(DurableExecutionArn="arn:aws:lambda:us-east-1:1:function:f")
    code, status, message = _error(caught)
    assert (code, status) == ("ServiceException", 500)
    assert "disk on fire" in message


def test_over_the_rate_limit_is_too_many_requests() -> None:
    with DurableLocalServer({}, max_requests_per_second=2) as server:
        client = server.client()
        try:
            with pytest.raises(client.exceptions.TooManyRequestsException) as caught:
                for _ in range(10):
                    client.list_durable_executions_by_function(FunctionName="greet")
            assert _error(caught)[:2] == ("TooManyRequestsException", 429)
        finally:
            client.close()


def test_an_unknown_route_is_404(server: DurableLocalServer) -> None:
    request = urllib.request.Request(f"{server.endpoint_url}/2025-12-01/nothing-here", b"{}")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 404
    assert caught.value.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    assert "nothing-here" in json.loads(caught.value.read())["message"]
