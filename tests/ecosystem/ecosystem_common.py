"""The workflows the published plugins are tried on, and where the plugins' output lands.

Everything a plugin emits goes to files under one directory chosen when this module is first
imported (``DURABLE_ECOSYSTEM_OUT``, set in the environment so that sandbox processes started
later write beside the test process): OpenTelemetry spans as JSON lines, telemetry and insight
records as one JSON file per execution (their own ``FileExporter``).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aws_durable_execution_sdk_python import DurableContext, Duration
from aws_durable_execution_sdk_python.config import MapConfig, StepConfig
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)

OUT = Path(os.environ.setdefault("DURABLE_ECOSYSTEM_OUT", tempfile.mkdtemp(prefix="ecosystem-")))
SPANS = OUT / "otel-spans.jsonl"
TELEMETRY = OUT / "telemetry"
INSIGHT = OUT / "insight"
_write_lock = threading.Lock()


def _span_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    return {
        "name": span.name,
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "status": span.status.status_code.name,
        "description": span.status.description,
        "attributes": {key: _plain(value) for key, value in (span.attributes or {}).items()},
        "events": [event.name for event in span.events],
        "links": [f"{link.context.span_id:016x}" for link in span.links],
        "start": span.start_time,
        "end": span.end_time,
        "pid": os.getpid(),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, str):
        return str(value)  # an enum that is a str is written as its text
    if isinstance(value, Sequence):
        return [_plain(item) for item in value]
    return value


class SpanFileExporter(SpanExporter):
    """Appends each finished span to ``SPANS``: sandbox processes cannot share memory."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(_span_record(span)) + "\n" for span in spans)
        with _write_lock, SPANS.open("a", encoding="utf-8") as sink:
            sink.write(lines)
        return SpanExportResult.SUCCESS


# The global provider, as the ADOT layer would install it; the in-memory exporter is read by
# in-process tests to check that the file holds exactly what OpenTelemetry finished.
MEMORY = InMemorySpanExporter()
if not isinstance(trace.get_tracer_provider(), TracerProvider):
    _provider = TracerProvider()
    _provider.add_span_processor(SimpleSpanProcessor(SpanFileExporter()))
    _provider.add_span_processor(SimpleSpanProcessor(MEMORY))
    trace.set_tracer_provider(_provider)

RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(2))
    )
)


def _flaky(step_context: Any) -> str:
    if step_context.attempt < 2:
        raise ConnectionError("warehouse busy")
    return "reserved"


def everything(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    """A retried step, a wait, a callback, a child context, map and parallel."""
    reserved = context.step(_flaky, name="reserve", config=RETRY_ONCE)
    context.wait(Duration.from_seconds(30), name="cool-off")
    approval = context.wait_for_callback(lambda callback_id, ctx: None, name="approval")
    total = context.run_in_child_context(
        lambda child: child.step(lambda _: sum(event["items"]), name="sum"), name="totals"
    )
    doubled = context.map(
        event["items"],
        lambda child, item, index, items: child.step(lambda _: item * 2, name="double"),
        name="double-all",
        config=MapConfig(max_concurrency=2),
    )
    pair = context.parallel(
        [lambda child: child.step(lambda _: "a", name="left"), lambda child: "b"],
        name="pair",
    )
    return {
        "reserved": reserved,
        "approval": approval,
        "total": total,
        "doubled": doubled.get_results(),
        "pair": pair.get_results(),
    }


def failing(event: dict[str, Any], context: DurableContext) -> None:
    context.step(lambda _: "fine", name="prepare")

    def broken(_: Any) -> None:
        raise ValueError(f"order {event['order']} is invalid")

    context.step(broken, name="validate", config=StepConfig(retry_strategy=RetryPresets.none()))


def spans_of(execution_arn: str) -> list[dict[str, Any]]:
    """Every span any process finished for the execution, in the order they finished."""
    if not SPANS.exists():
        return []
    found = []
    for line in SPANS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["attributes"].get("durable.execution.arn") == execution_arn:
            found.append(record)
    return found


def record_of(directory: Path, execution_arn: str) -> dict[str, Any]:
    """The one JSON record a FileExporter wrote for the execution."""
    name = execution_arn.split("/durable-execution/")[1].split("/", maxsplit=1)[0]
    matches = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in directory.glob("*.json")
        if name in path.name
    ]
    assert len(matches) == 1, (directory, name, sorted(p.name for p in directory.glob("*")))
    record: dict[str, Any] = matches[0]
    return record
