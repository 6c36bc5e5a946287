"""The published record plugins, unchanged: telemetry exporter 1.0.0 and insight 0.0.1.

Both emit one record per execution (their own ``FileExporter``, as their READMEs show). Each
test runs a real workflow in both invocation modes and checks the record against what the
runner saw: status, input and output, and every operation with its identity, parent,
status, attempt, timing and error.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import ecosystem_common as common
import ecosystem_workflows as workflows
import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackSuccess,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)

MODES = ["in-process", "subprocess"]
INPUT = {"items": [1, 2, 3], "order": "o-1"}
PLUGINS = {
    "telemetry": (common.TELEMETRY, workflows.telemetry_everything, workflows.telemetry_failing),
    "insight": (common.INSIGHT, workflows.insight_everything, workflows.insight_failing),
}


def run(handler: Any, mode: str) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(handler, invocation_mode=mode) as runner:
        return runner.run(
            input=INPUT,
            execution_name=f"record-{uuid.uuid4().hex[:12]}",
            callbacks={"approval": [CallbackSuccess({"ok": True}, delay=5)]},
        )


def flattened(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for op in operations:
        found.append(op)
        found.extend(flattened(op.get("children", [])))
    return found


def timestamp(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_operations(record: dict[str, Any], result: DurableFunctionTestResult) -> None:
    """Each recorded operation is one the runner checkpointed, with the same identity."""
    wire = {op.operation_id: op for op in result.wire_operations}
    recorded = flattened(record["operations"])
    assert recorded
    assert len({op["id"] for op in recorded}) == len(recorded)
    for op in recorded:
        truth = wire[op["id"]]
        assert op["name"] == truth.name
        assert op["type"] == truth.operation_type
        assert op["subType"] == truth.sub_type
        assert op["status"] == truth.status
        assert op.get("parentId") == truth.parent_id
        if truth.step_details is not None:
            assert op["attempt"] == truth.step_details.attempt
        start, end = timestamp(op["startTime"]), timestamp(op["endTime"])
        assert start <= end
        # Both ends are shown to the millisecond, the duration from the exact times.
        assert abs(op["durationMs"] - (end - start).total_seconds() * 1000) < 2
    # Top-level operations are all there, in the order they ran.
    top = [op.operation_id for op in result.wire_operations if op.parent_id is None]
    top = [op_id for op_id in top if wire[op_id].operation_type != "EXECUTION"]
    assert [op["id"] for op in recorded if op.get("parentId") is None] == top


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_the_record_of_a_successful_execution(plugin: str, mode: str) -> None:
    directory, handler, _ = PLUGINS[plugin]
    result = run(handler, mode)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    record = common.record_of(Path(directory), result.execution_arn)
    assert record["executionArn"] == result.execution_arn
    assert record["status"] == "SUCCEEDED"
    assert record["input"] == INPUT
    assert record["output"] == result.result
    check_operations(record, result)
    by_name = {op["name"]: op for op in flattened(record["operations"])}
    assert by_name["reserve"]["attempt"] == 2  # the retried step
    assert 30_000 <= by_name["cool-off"]["durationMs"] < 30_100  # on the virtual clock
    assert by_name["double-all"]["subType"] == "Map"
    if plugin == "telemetry":  # configured for the full tree: children are listed too
        items = [op for op in flattened(record["operations"]) if op["subType"] == "MapIteration"]
        # Listed in the order the plugin saw them end: map items run on threads, so any.
        assert sorted(op["name"] for op in items) == ["map-item-0", "map-item-1", "map-item-2"]
        assert {op["parentId"] for op in items} == {by_name["double-all"]["id"]}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_the_record_of_a_failing_execution(plugin: str, mode: str) -> None:
    directory, _, handler = PLUGINS[plugin]
    result = run(handler, mode)

    assert result.status is InvocationStatus.FAILED
    record = common.record_of(Path(directory), result.execution_arn)
    assert record["status"] == "FAILED"
    assert record["error"] == {"name": "ValueError", "message": "order o-1 is invalid"}
    assert "output" not in record
    check_operations(record, result)
    validate = next(op for op in record["operations"] if op["name"] == "validate")
    assert validate["status"] == "FAILED"
    assert validate["error"] == {"name": "ValueError", "message": "order o-1 is invalid"}
