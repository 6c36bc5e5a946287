"""The timeline's layout: a history turned into lanes, segments, invocation bands and an axis.

Pure data (frozen attrs values, seconds from the execution's start), so what the chart
shows can be tested without reading SVG; ``_timeline_svg`` only draws it. The input is the
history as ``GetDurableExecutionHistory`` events (``result.history``, or a saved file's
``Events``); invocations come from its ``InvocationCompleted`` events, so a saved history
draws the same chart as the run that wrote it.
"""

from __future__ import annotations

import datetime
import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing._stored import inline_stored, stored_summary
from aws_durable_execution_sdk_python_testing._timeline_axis import (
    Axis,
    TimelineScale,
    build_axis,
    format_duration,
)
from aws_durable_execution_sdk_python_testing._views import decode_payload

__all__ = [
    "Band",
    "Lane",
    "Outcome",
    "Segment",
    "SegmentKind",
    "TimelineLayout",
    "layout_timeline",
]


class Outcome(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed-out"
    STOPPED = "stopped"
    CANCELLED = "cancelled"
    PENDING = "pending"


class SegmentKind(enum.Enum):
    EXECUTION = "execution"
    ATTEMPT = "attempt"
    RETRY_DELAY = "retry-delay"
    WAIT = "wait"
    CALLBACK = "callback"
    CONTEXT = "context"
    INVOKE = "invoke"


@attrs.frozen
class Segment:
    """One stretch of a lane: an attempt, the delay before the next one, a wait..."""

    kind: SegmentKind
    start: float
    end: float
    outcome: Outcome
    label: str
    error: str | None = None
    detail: str = ""


@attrs.frozen
class Lane:
    """One operation: its segments in order, drawn ``depth`` levels under its parent."""

    operation_id: str
    name: str
    operation_type: str
    sub_type: str
    depth: int
    parent_id: str | None
    segments: tuple[Segment, ...]
    outcome: Outcome
    deadline: float | None = None  # a callback's timeout, seconds from the start
    has_children: bool = False


@attrs.frozen
class Band:
    """One invocation of the handler, drawn behind every lane."""

    number: int
    start: float
    end: float
    request_id: str
    error: str | None = None


@attrs.frozen
class TimelineLayout:
    title: str
    outcome: Outcome
    duration: float
    lanes: tuple[Lane, ...]
    bands: tuple[Band, ...]
    axis: Axis


# The event-type prefix of each operation type, as the service names its events.
_PREFIXES = (
    ("ChainedInvoke", SegmentKind.INVOKE),
    ("Execution", SegmentKind.EXECUTION),
    ("Callback", SegmentKind.CALLBACK),
    ("Context", SegmentKind.CONTEXT),
    ("Step", SegmentKind.ATTEMPT),
    ("Wait", SegmentKind.WAIT),
)
_ENDINGS = {
    "Succeeded": Outcome.SUCCEEDED,
    "Failed": Outcome.FAILED,
    "TimedOut": Outcome.TIMED_OUT,
    "Stopped": Outcome.STOPPED,
    "Cancelled": Outcome.CANCELLED,
}


def _seconds(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return aware.timestamp()
    if isinstance(value, str):
        return _seconds(datetime.datetime.fromisoformat(value.replace("Z", "+00:00")))
    return float(value)


def _error_text(details: Mapping[str, Any]) -> str | None:
    payload = (details.get("Error") or {}).get("Payload")
    if not payload:
        return None
    kind = payload.get("ErrorType") or "Error"
    message = payload.get("ErrorMessage")
    return f"{kind}: {message}" if message else str(kind)


def _result_text(event_type: str, details: Mapping[str, Any], width: int = 200) -> str:
    payload = (details.get("Result") or {}).get("Payload")
    if payload is None:
        return ""
    pointer = stored_summary(event_type, payload)  # a value FileSystemSerDes keeps in a file
    if pointer is not None:
        return "result: " + (pointer if len(pointer) <= width else pointer[: width - 1] + "…")
    value = decode_payload(inline_stored(event_type, payload))
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return "result: " + (text if len(text) <= width else text[: width - 1] + "…")


class _Builder:
    """The segments of one operation, collected as its events arrive."""

    def __init__(self, event: Mapping[str, Any], kind: SegmentKind, order: int) -> None:
        self.operation_id = str(event["Id"])
        self.kind = kind
        self.order = order
        self.name = event.get("Name")
        self.sub_type = str(event.get("SubType") or "")
        self.parent_id = event.get("ParentId")
        self.segments: list[Segment] = []
        self.open: tuple[float, str] | None = None  # start, label
        self.delay: tuple[float, float, str] | None = None  # start, planned end, label
        self.deadline: float | None = None
        self.attempts = 0

    def start(self, at: float, details: Mapping[str, Any]) -> None:
        self._end_delay(at)
        self.attempts += 1
        label = {
            SegmentKind.ATTEMPT: f"attempt {self.attempts}",
            SegmentKind.WAIT: (
                f"wait {format_duration(float(details['Duration']))}"
                if "Duration" in details
                else "wait"
            ),
            SegmentKind.CALLBACK: "waiting for the callback",
            SegmentKind.INVOKE: "chained invoke",
            SegmentKind.CONTEXT: self.sub_type or "context",
            SegmentKind.EXECUTION: "execution",
        }[self.kind]
        self.open = (at, label)
        timeout = details.get("Timeout") or details.get("TimeoutSeconds")
        if self.kind is SegmentKind.CALLBACK and timeout:
            self.deadline = at + float(timeout)

    def end(self, at: float, outcome: Outcome, details: Mapping[str, Any], event_type: str) -> None:
        self._end_delay(at)
        retry = details.get("RetryDetails") or {}
        if self.open is None:  # an ending without a start: a moment's segment
            self.attempts += 1
            self.open = (at, f"attempt {self.attempts}" if self.kind is SegmentKind.ATTEMPT else "")
        start, label = self.open
        if self.kind is SegmentKind.ATTEMPT and retry.get("CurrentAttempt"):
            self.attempts = int(retry["CurrentAttempt"])
            label = f"attempt {self.attempts}"
        self.segments.append(
            Segment(
                self.kind,
                start,
                at,
                outcome,
                label,
                _error_text(details),
                _result_text(event_type, details),
            )
        )
        self.open = None
        delay = retry.get("NextAttemptDelaySeconds")
        if outcome is Outcome.FAILED and delay is not None:
            self.delay = (at, at + float(delay), f"retry in {delay} s")

    def _end_delay(self, at: float) -> None:
        if self.delay is not None:
            start, _planned, label = self.delay
            self.segments.append(
                Segment(SegmentKind.RETRY_DELAY, start, at, Outcome.SUCCEEDED, label)
            )
            self.delay = None

    def finish(self, end: float) -> None:
        """Close whatever is still open at the end of the history: it is pending."""
        if self.open is not None:
            start, label = self.open
            self.segments.append(Segment(self.kind, start, end, Outcome.PENDING, label))
            self.open = None
        if self.delay is not None:
            start, planned, label = self.delay
            self.segments.append(
                Segment(SegmentKind.RETRY_DELAY, start, min(planned, end), Outcome.PENDING, label)
            )
            self.delay = None

    def outcome(self) -> Outcome:
        for segment in reversed(self.segments):
            if segment.kind is not SegmentKind.RETRY_DELAY or segment.outcome is Outcome.PENDING:
                return segment.outcome
        return Outcome.PENDING


def _classify(event_type: str) -> tuple[SegmentKind, str] | None:
    for prefix, kind in _PREFIXES:
        if event_type.startswith(prefix):
            return kind, event_type[len(prefix) :]
    return None


def layout_timeline(
    history: Iterable[Mapping[str, Any]],
    scale: TimelineScale | None = None,
    title: str | None = None,
) -> TimelineLayout:
    """Lay out ``history`` (events in order) on a compressed virtual-time axis."""
    events = list(history)
    scale = scale or TimelineScale()
    if not events:
        return TimelineLayout(
            title or "(no events)", Outcome.PENDING, 0.0, (), (), build_axis((), scale)
        )
    origin = _seconds(events[0]["EventTimestamp"])
    builders: dict[str, _Builder] = {}
    bands: list[Band] = []
    instants: set[float] = set()
    execution: _Builder | None = None
    for event in events:
        at = _seconds(event["EventTimestamp"]) - origin
        instants.add(at)
        event_type = str(event.get("EventType", ""))
        details = event.get(f"{event_type}Details") or {}
        if event_type == "InvocationCompleted":
            band = _band(len(bands) + 1, details, origin)
            bands.append(band)
            instants.update((band.start, band.end))
            continue
        classified = _classify(event_type)
        if classified is None or "Id" not in event:
            continue
        kind, suffix = classified
        key = str(event["Id"])
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = _Builder(event, kind, len(builders))
            if kind is SegmentKind.EXECUTION:
                execution = builder
        builder.name = builder.name or event.get("Name")
        if suffix == "Started":
            builder.start(at, details)
        elif suffix in _ENDINGS:
            builder.end(at, _ENDINGS[suffix], details, event_type)
    end = max(instants)
    for builder in builders.values():
        builder.finish(end)
        if builder.deadline is not None and builder.deadline <= end:
            instants.add(builder.deadline)
    lanes = _lanes(builders, execution)
    outcome = execution.outcome() if execution else Outcome.PENDING
    name = title or (str(execution.name) if execution and execution.name else "execution")
    return TimelineLayout(name, outcome, end, lanes, tuple(bands), build_axis(instants, scale))


def _band(number: int, details: Mapping[str, Any], origin: float) -> Band:
    start = _seconds(details["StartTimestamp"]) - origin
    end = _seconds(details["EndTimestamp"]) - origin
    return Band(
        number, start, max(start, end), str(details.get("RequestId", "")), _error_text(details)
    )


def _display_name(builder: _Builder) -> str:
    if builder.name:
        return str(builder.name)
    if builder.kind is SegmentKind.EXECUTION:
        return "execution"
    return (builder.sub_type or builder.kind.value).lower()


def _lanes(builders: dict[str, _Builder], execution: _Builder | None) -> tuple[Lane, ...]:
    """Tree order: each operation right after its parent, siblings in order of appearance.
    Operations without a parent (or whose parent is not in the history) hang under the
    execution, which is the root."""
    children: dict[str | None, list[_Builder]] = {}
    for builder in builders.values():
        if builder is execution:
            continue
        parent = builder.parent_id if builder.parent_id in builders else None
        children.setdefault(parent, []).append(builder)
    lanes: list[Lane] = []

    def visit(builder: _Builder, depth: int) -> None:
        kids = children.get(builder.operation_id, [])
        lanes.append(_lane(builder, depth, bool(kids)))
        for child in kids:
            visit(child, depth + 1)

    top = 0
    if execution is not None:
        lanes.append(_lane(execution, 0, bool(children.get(None))))
        top = 1
    for root in children.get(None, []):
        visit(root, top)
    return tuple(lanes)


def _lane(builder: _Builder, depth: int, has_children: bool) -> Lane:
    operation_type = builder.kind.value if builder.kind is not SegmentKind.ATTEMPT else "step"
    return Lane(
        operation_id=builder.operation_id,
        name=_display_name(builder),
        operation_type=operation_type,
        sub_type=builder.sub_type,
        depth=depth,
        parent_id=builder.parent_id,
        segments=tuple(builder.segments),
        outcome=builder.outcome(),
        deadline=builder.deadline,
        has_children=has_children,
    )
