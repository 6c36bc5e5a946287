"""Functions at a Lambda endpoint (as ``sam local start-lambda`` runs them), in another
process, checkpointing through the SDK's own boto3 client found by ``AWS_ENDPOINT_URL_LAMBDA``."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

_RUNTIME = str(Path(__file__).parent / "fake_lambda_runtime.py")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def remote() -> Iterator[tuple[DurableLocalServer, Any]]:
    with _remote(explicit_client=False) as running:
        yield running


@contextlib.contextmanager
def _remote(explicit_client: bool) -> Iterator[tuple[DurableLocalServer, Any]]:
    """The server on a port chosen first, so the runtime's environment can name it."""
    port = _free_port()
    server_url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "AWS_ENDPOINT_URL_LAMBDA": server_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    if explicit_client:
        # Nothing listens at the default client's endpoint: only the passed client works.
        environment["AWS_ENDPOINT_URL_LAMBDA"] = f"http://127.0.0.1:{_free_port()}"
        environment["EXPLICIT_CLIENT_ENDPOINT"] = server_url
    runtime = subprocess.Popen(
        [sys.executable, _RUNTIME], stdout=subprocess.PIPE, text=True, env=environment
    )
    assert runtime.stdout is not None
    runtime_port = int(runtime.stdout.readline().split()[-1])
    try:
        with DurableLocalServer(
            port=port,
            lambda_endpoint=f"http://127.0.0.1:{runtime_port}",
            skip_time=True,
            callback_hold=30,
        ) as server:
            client = server.client()
            yield server, client
            client.close()
    finally:
        runtime.kill()
        runtime.wait()


def test_a_function_at_a_lambda_endpoint_checkpoints_through_the_server(
    remote: tuple[DurableLocalServer, Any],
) -> None:
    _, client = remote
    response = client.invoke(FunctionName="greet", Payload=b'{"name": "sam"}')
    assert json.loads(response["Payload"].read()) == {"greeting": "hello SAM"}
    events = client.get_durable_execution_history(
        DurableExecutionArn=response["DurableExecutionArn"]
    )
    kinds = [e["EventType"] for e in events["Events"]]
    # Two invocations (before and after the hour's wait), each over HTTP both ways.
    assert kinds.count("InvocationCompleted") == 2
    assert kinds[-1] == "ExecutionSucceeded"


def test_a_client_passed_to_the_decorator_is_the_one_used() -> None:
    with _remote(explicit_client=True) as (_server, client):
        response = client.invoke(FunctionName="greet", Payload=b'{"name": "own"}')
        assert json.loads(response["Payload"].read()) == {"greeting": "hello OWN"}
        assert "FunctionError" not in response


def test_a_callback_answered_with_boto3_reaches_the_remote_function(
    remote: tuple[DurableLocalServer, Any],
) -> None:
    _server, client = remote
    runner = DurableFunctionCloudTestRunner("approval", client, poll_interval=0.2)
    arn = runner.run_async(input={"id": "r1"})
    callback_id = runner.wait_for_callback(arn, "approve", timeout=30)
    client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"granted")
    result = runner.wait_for_result(arn, timeout=30)
    assert result.result == {"approved": "granted", "id": "r1"}


def test_a_failing_remote_function_fails_its_execution(
    remote: tuple[DurableLocalServer, Any],
) -> None:
    _, client = remote
    response = client.invoke(FunctionName="fails", Payload=b'{"id": 3}')
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "ValueError"


def test_an_unreachable_lambda_endpoint_fails_after_the_invocation_retries() -> None:
    with DurableLocalServer(
        lambda_endpoint=f"http://127.0.0.1:{_free_port()}", invocation_retries=1
    ) as server:
        client = server.client()
        response = client.invoke(FunctionName="anything", Payload=b"{}")
        client.close()
    assert response["FunctionError"] == "Unhandled"
    body = json.loads(response["Payload"].read())
    assert body["errorType"] == "Lambda.InvokeError"
    assert "Could not connect" in body["errorMessage"]
