"""The published OpenTelemetry plugin (aws-durable-execution-sdk-python-otel 2.0.0), unchanged.

Each test runs a real workflow (a retried step, a wait, a callback, a child context, map and
parallel; or a failing one) with the plugin wired as its README says, in both invocation
modes, and checks the spans it finished: one trace, every operation with its span under the
right parent, attempts with their outcome and error, invocations and the workflow with their
status.
"""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import ecosystem_common as common
import ecosystem_workflows as workflows
import pytest
from aws_durable_execution_sdk_python_otel import (
    ExecutionOtelPluginFactory,
    InvocationOtelPluginFactory,
)

from aws_durable_execution_sdk_python import DurableContext, PluginLoadError, durable_execution
from aws_durable_execution_sdk_python.plugin import plugins_of
from aws_durable_execution_sdk_python_testing import (
    CallbackSuccess,
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)

MODES = ["in-process", "subprocess"]
INPUT = {"items": [1, 2, 3], "order": "o-1"}


def run(handler: Any, mode: str) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(handler, invocation_mode=mode) as runner:
        return runner.run(
            input=INPUT,
            execution_name=f"otel-{uuid.uuid4().hex[:12]}",
            callbacks={"approval": [CallbackSuccess({"ok": True}, delay=5)]},
        )


def all_operations(result: DurableFunctionTestResult) -> list[Any]:
    """Every checkpointed operation but the execution itself, nested ones included."""
    return [op for op in result.wire_operations if op.operation_type != "EXECUTION"]


def operation_id(span: dict[str, Any]) -> str | None:
    value: str | None = span["attributes"].get("durable.operation.id")
    return value


def ancestors(span: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    chain = []
    parent = by_id.get(span["parent_id"] or "")
    while parent is not None:
        chain.append(parent)
        parent = by_id.get(parent["parent_id"] or "")
    return chain


def check_well_formed(result: DurableFunctionTestResult, view: str) -> list[dict[str, Any]]:
    spans = common.spans_of(result.execution_arn)
    assert spans, "the plugin finished no span"
    # One trace for the whole execution, each span finished once, never open-ended.
    assert len({span["trace_id"] for span in spans}) == 1
    ids = [span["span_id"] for span in spans if span["name"] != "DurableExecutionRoot"]
    assert len(ids) == len(set(ids))
    assert all(span["end"] >= span["start"] for span in spans)
    by_id = {span["span_id"]: span for span in spans}

    invocations = [span for span in spans if span["name"] == "Invocation"]
    assert len(invocations) == result.invocation_count
    statuses = [span["attributes"]["durable.invocation.status"] for span in invocations]
    final = "SUCCEEDED" if result.status is InvocationStatus.SUCCEEDED else "FAILED"
    assert statuses == ["PENDING"] * (len(invocations) - 1) + [final]
    assert [span["attributes"]["durable.invocation.first"] for span in invocations] == [True] + [
        False
    ] * (len(invocations) - 1)
    [workflow] = [span for span in spans if span["name"] == "Workflow"]
    assert workflow["attributes"]["durable.execution.status"] == final

    # Every operation has a span that shows it finished, with its type and name, under the
    # span of its parent operation (or of the invocation / workflow at the top level).
    operations = list(all_operations(result))
    assert operations
    for op in operations:
        finished = [
            span
            for span in spans
            if operation_id(span) == op.operation_id
            and span["attributes"].get("durable.operation.status") == op.status
        ]
        assert finished, f"no finished span for {op.name or op.operation_id} ({op.status})"
        span = finished[-1]
        assert span["attributes"]["durable.operation.type"] == op.operation_type
        if op.name:
            assert span["attributes"]["durable.operation.name"] == op.name
        chain = ancestors(span, by_id)
        owners = [operation_id(a) for a in chain if operation_id(a) is not None]
        if op.parent_id is None:
            assert owners == [], (op.name, owners)
            top = "Invocation" if view == "invocation" else "Workflow"
            assert any(a["name"] == top for a in chain), (op.name, [a["name"] for a in chain])
        else:
            assert owners and owners[0] == op.parent_id, (op.name, owners)
    return spans


def attempts(spans: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    found = [span for span in spans if span["name"].startswith(f"{name} attempt ")]
    return sorted(found, key=lambda span: span["attributes"]["durable.attempt.number"])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("view", "handler"),
    [
        ("invocation", workflows.otel_invocation_view),
        ("execution", workflows.otel_execution_view),
    ],
)
def test_every_operation_has_a_well_formed_span(mode: str, view: str, handler: Any) -> None:
    result = run(handler, mode)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["doubled"] == [2, 4, 6]
    spans = check_well_formed(result, view)
    # The retried step: a failed first attempt with its error, a second that succeeded.
    first, second = attempts(spans, "reserve")
    assert first["attributes"]["durable.attempt.outcome"] == "FAILED"
    assert first["status"] == "ERROR" and first["description"] == "warehouse busy"
    assert "exception" in first["events"]
    assert second["attributes"]["durable.attempt.outcome"] == "SUCCEEDED"
    assert second["status"] == "OK"
    # Map items and parallel branches are grouped under their batch.
    items = [span for span in spans if span["name"].startswith("map-item-")]
    assert sorted(span["name"] for span in items) == ["map-item-0", "map-item-1", "map-item-2"]
    [batch] = [span for span in spans if span["name"] == "double-all"]
    assert {span["parent_id"] for span in items} == {batch["span_id"]}


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_execution_marks_the_attempt_the_invocation_and_the_workflow(
    mode: str,
) -> None:
    result = run(workflows.otel_failing, mode)

    assert result.status is InvocationStatus.FAILED
    spans = check_well_formed(result, "invocation")
    [attempt] = attempts(spans, "validate")
    assert attempt["status"] == "ERROR" and "exception" in attempt["events"]
    message = "order o-1 is invalid"
    assert attempt["description"] == message
    for name in ("validate", "Invocation", "Workflow"):
        [span] = [s for s in spans if s["name"] == name]
        assert span["status"] == "ERROR" and span["description"] == message, name


def test_the_file_holds_exactly_the_spans_opentelemetry_finished() -> None:
    common.MEMORY.clear()
    result = run(workflows.otel_invocation_view, "in-process")

    in_memory = [
        f"{span.get_span_context().span_id:016x}"
        for span in common.MEMORY.get_finished_spans()
        if span.attributes and span.attributes.get("durable.execution.arn") == result.execution_arn
    ]
    assert in_memory == [span["span_id"] for span in common.spans_of(result.execution_arn)]


def test_the_two_views_are_mutually_exclusive() -> None:
    with pytest.raises(PluginLoadError, match="mutually exclusive"):
        durable_execution(plugins=[InvocationOtelPluginFactory(), ExecutionOtelPluginFactory()])(
            common.everything
        )


@pytest.mark.parametrize("mode", MODES)
def test_selected_by_the_environment_variable(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``DURABLE_EXECUTION_PLUGINS=otel-invocation``: no import of the plugin in the handler."""
    monkeypatch.setenv("DURABLE_EXECUTION_PLUGINS", "otel-invocation")
    module = importlib.import_module("ecosystem_env_workflow")
    handler = module.handler
    assert [type(p).__name__ for p in plugins_of(handler)] == ["InvocationOtelPluginFactory"]

    result = run(handler, mode)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    check_well_formed(result, "invocation")


def test_propagation_metadata_reaches_the_invoked_execution() -> None:
    """The plugin's X-Ray header goes into the invoke's START, and the target runs under it."""
    targets: list[str] = []

    @durable_execution(plugins=[InvocationOtelPluginFactory()])
    def caller(event: Any, context: DurableContext) -> Any:
        return context.invoke("payments", {"amount": 3}, name="pay")

    @durable_execution
    def payments(event: Any, context: DurableContext) -> int:
        targets.append(context.execution_context.durable_execution_arn)
        return int(event["amount"]) * 2

    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("payments", payments)
        result = runner.run(input={}, execution_name=f"otel-{uuid.uuid4().hex[:12]}")
        assert result.status is InvocationStatus.SUCCEEDED, result.error
        assert result.result == 6
        header = runner.get_execution(targets[0])["TraceHeader"]["XAmznTraceId"]

    spans = common.spans_of(result.execution_arn)
    [invoke] = [
        s
        for s in spans
        if s["name"] == "pay" and s["attributes"].get("durable.operation.status") == "SUCCEEDED"
    ]
    root, parent, sampled = header.split(";")
    trace_id = spans[0]["trace_id"]
    assert root == f"Root=1-{trace_id[:8]}-{trace_id[8:]}"
    assert parent.startswith("Parent=") and sampled in ("Sampled=0", "Sampled=1")
    assert invoke["trace_id"] == trace_id
