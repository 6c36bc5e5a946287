"""``store="sqlite:PATH"``: a restarted server resumes its executions, and concurrent clients
leave the database whole."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import server_workflows

from aws_durable_execution_sdk_python_testing.runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


def _server(path: Path, **options: Any) -> DurableLocalServer:
    return DurableLocalServer(server_workflows.FUNCTIONS, store=f"sqlite:{path}", **options)


def _history(client: Any, arn: str) -> list[dict[str, Any]]:
    return list(
        client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=1000)["Events"]
    )


def test_a_callback_answered_after_a_restart_finishes_the_execution(tmp_path: Path) -> None:
    database = tmp_path / "executions.db"
    with _server(database, skip_time=True, callback_hold=60) as first:
        client = first.client()
        runner = DurableFunctionCloudTestRunner("approval", client, poll_interval=0.1)
        arn = runner.run_async(input={"id": "restart"})
        callback_id = runner.wait_for_callback(arn, "approve", timeout=30)
        before = _history(client, arn)
        client.close()

    with _server(database, skip_time=True, callback_hold=60) as second:
        client = second.client()
        assert _history(client, arn) == before
        assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
        client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"later")
        result = DurableFunctionCloudTestRunner(
            "approval", client, poll_interval=0.1
        ).wait_for_result(arn, timeout=30)
        client.close()
    assert result.result == {"approved": "later", "id": "restart"}
    assert result.history[: len(before)] == before


def test_a_wait_started_before_a_restart_completes_after_it(tmp_path: Path) -> None:
    database = tmp_path / "executions.db"
    with _server(database) as first:  # real time: the day-long wait is still ahead
        client = first.client()
        response = client.invoke(FunctionName="sleeper", Payload=b"{}", InvocationType="Event")
        arn = response["DurableExecutionArn"]
        first.settle()
        assert client.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
        client.close()

    with _server(database, skip_time=True) as second:  # the skipped clock reaches the day
        client = second.client()
        name = arn.split("/durable-execution/")[1].split("/")[0]
        done = client.invoke(FunctionName="sleeper", Payload=b"{}", DurableExecutionName=name)
        assert json.loads(done["Payload"].read()) == "rested"
        kinds = [event["EventType"] for event in _history(client, arn)]
        client.close()
    assert kinds == [
        "ExecutionStarted",
        "WaitStarted",
        "InvocationCompleted",
        "WaitSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]


def test_concurrent_clients_leave_every_execution_whole(tmp_path: Path) -> None:
    database = tmp_path / "executions.db"
    arns: dict[int, str] = {}
    with _server(database, skip_time=True) as first:

        def one(index: int) -> None:
            own = first.client()
            try:
                response = own.invoke(
                    FunctionName="steps", Payload=json.dumps({"count": index % 4 + 2}).encode()
                )
                arns[index] = response["DurableExecutionArn"]
                own.get_durable_execution_history(DurableExecutionArn=arns[index])
            finally:
                own.close()

        threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client = first.client()
        histories = {i: _history(client, arn) for i, arn in arns.items()}
        client.close()

    with _server(database) as second:
        client = second.client()
        for index, arn in arns.items():
            described = client.get_durable_execution(DurableExecutionArn=arn)
            assert described["Status"] == "SUCCEEDED"
            assert json.loads(described["Result"]) == sum(range(index % 4 + 2))
            assert _history(client, arn) == histories[index]
        listed = client.list_durable_executions_by_function(FunctionName="steps", MaxItems=100)
        client.close()
    assert {e["DurableExecutionArn"] for e in listed["DurableExecutions"]} == set(arns.values())
