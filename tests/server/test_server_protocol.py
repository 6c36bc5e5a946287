"""The two calls a function makes, spoken directly over boto3 by a function that does not use
the SDK: a checkpoint and paged state reads, with the tokens the service hands out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

seen: dict[str, Any] = {}


def raw(event: Any, context: Any) -> dict[str, Any]:
    """A durable function written against the wire: three steps in one checkpoint, then
    every operation read back two at a time."""
    client = seen["client"]
    arn, token = event.durable_execution_arn, event.checkpoint_token
    updates = []
    for index in range(3):
        updates.append(
            {"Id": f"step-{index}", "Type": "STEP", "Action": "START", "Name": f"s{index}"}
        )
        updates.append(
            {"Id": f"step-{index}", "Type": "STEP", "Action": "SUCCEED", "Payload": str(index)}
        )
    answer = client.checkpoint_durable_execution(
        DurableExecutionArn=arn, CheckpointToken=token, Updates=updates
    )
    assert answer["CheckpointToken"] != token
    seen["stale"] = token
    token = answer["CheckpointToken"]
    seen["touched"] = sorted(op["Id"] for op in answer["NewExecutionState"]["Operations"])
    pages: list[list[str]] = []
    marker: str | None = None
    while True:
        page = client.get_durable_execution_state(
            DurableExecutionArn=arn,
            CheckpointToken=token,
            MaxItems=2,
            **({"Marker": marker} if marker else {}),
        )
        pages.append([op["Id"] for op in page["Operations"]])
        marker = page.get("NextMarker")
        if not marker:
            break
    seen["pages"] = pages
    seen["token"] = token
    return {"Status": "SUCCEEDED", "Result": json.dumps(sum(len(p) for p in pages))}


def test_a_checkpoint_and_paged_state_over_the_wire() -> None:
    with DurableLocalServer({"raw": raw}) as server:
        client = server.client()
        seen["client"] = client
        response = client.invoke(FunctionName="raw", Payload=b"{}")
        assert json.loads(response["Payload"].read()) == 4  # the execution and three steps
        assert seen["touched"] == ["step-0", "step-1", "step-2"]
        assert [len(page) for page in seen["pages"]] == [2, 2]
        assert seen["pages"][1][-1] == "step-2"
        arn = response["DurableExecutionArn"]
        events = client.get_durable_execution_history(DurableExecutionArn=arn)["Events"]
        assert [e["EventType"] for e in events].count("StepSucceeded") == 3
        # Once the invocation is over, its tokens are refused, the last one included.
        for token in (seen["stale"], seen["token"]):
            with pytest.raises(client.exceptions.InvalidParameterValueException):
                client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken=token)
        client.close()


def test_a_token_of_another_execution_is_refused() -> None:
    tokens: dict[str, str] = {}

    def grab(event: Any, context: Any) -> dict[str, Any]:
        other = tokens.get("arn")
        if other is not None:  # the second execution tries the first one's token
            with pytest.raises(seen["client"].exceptions.InvalidParameterValueException) as caught:
                seen["client"].get_durable_execution_state(
                    DurableExecutionArn=event.durable_execution_arn,
                    CheckpointToken=tokens["token"],
                )
            tokens["refused"] = caught.value.response["Error"]["Message"]
        tokens["arn"], tokens["token"] = event.durable_execution_arn, event.checkpoint_token
        return {"Status": "SUCCEEDED", "Result": "null"}

    with DurableLocalServer({"grab": grab}) as server:
        client = server.client()
        seen["client"] = client
        client.invoke(FunctionName="grab", Payload=b"{}")
        client.invoke(FunctionName="grab", Payload=b"{}")
        client.close()
    assert "Invalid Checkpoint Token" in tokens["refused"]
