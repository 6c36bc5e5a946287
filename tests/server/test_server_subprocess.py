"""``invocation_mode="subprocess"``: each invocation in a child that can really die."""

from __future__ import annotations

import json
from pathlib import Path

import server_workflows

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


def test_a_child_that_dies_is_a_crash_and_is_invoked_again(tmp_path: Path) -> None:
    with DurableLocalServer(
        server_workflows.FUNCTIONS, invocation_mode="subprocess", skip_time=True
    ) as server:
        client = server.client()
        payload = json.dumps({"marker": str(tmp_path / "marker")}).encode()
        response = client.invoke(FunctionName="dies-once", Payload=payload)
        assert json.loads(response["Payload"].read()) == "survived"
        events = client.get_durable_execution_history(
            DurableExecutionArn=response["DurableExecutionArn"]
        )["Events"]
        client.close()
    completed = [e for e in events if e["EventType"] == "InvocationCompleted"]
    assert completed[0]["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"] == (
        "Runtime.ExitError"
    )
    assert (
        "exit status 3"
        in completed[0]["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorMessage"]
    )
    assert events[-1]["EventType"] == "ExecutionSucceeded"


def test_waits_and_steps_work_in_children(tmp_path: Path) -> None:
    with DurableLocalServer(
        server_workflows.FUNCTIONS, invocation_mode="subprocess", skip_time=True
    ) as server:
        client = server.client()
        response = client.invoke(FunctionName="greet", Payload=b'{"name": "kid"}')
        assert json.loads(response["Payload"].read()) == {"greeting": "hello KID"}
        client.close()
