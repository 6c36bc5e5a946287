"""Draws a ``TimelineLayout`` as one SVG Gantt chart (text in, text out; no layout decisions).

Rows are lanes (indented by depth, map and parallel children boxed under their parent),
invocations are shaded bands behind every row, compressed gaps are hatched stripes over
them, and each segment carries a ``<title>`` so a browser shows its details on hover
without any script. Every piece of user text goes through :func:`xml_text`.
"""

from __future__ import annotations

import html
import re

from aws_durable_execution_sdk_python_testing._timeline_axis import format_duration
from aws_durable_execution_sdk_python_testing._timeline_layout import (
    Lane,
    Outcome,
    Segment,
    SegmentKind,
    TimelineLayout,
)

__all__ = ["render_svg", "xml_text"]

LABEL_WIDTH = 300
INDENT = 16
ROW = 26
TOP = 44
LEFT = LABEL_WIDTH + 20
RIGHT_PAD = 48
MIN_BAR = 6.0
CHAR = 7.2  # average glyph width of the 12 px sans-serif labels

# Characters XML 1.0 forbids even when escaped (C0 controls but tab and newlines, and
# the surrogate and non-character code points).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# Glyphs every sans-serif font has; a timeout is drawn as a clock (see ``_clock``) because
# U+23F1 is missing from common Linux fonts.
_ICONS = {
    Outcome.FAILED: "✖",
    Outcome.STOPPED: "■",
    Outcome.CANCELLED: "⊘",
}
# What the label column calls each kind of operation (sub types as the service names them).
_KINDS = {
    "RunInChildContext": "child context",
    "MapIteration": "map item",
    "ParallelBranch": "branch",
    "WaitForCallback": "wait for callback",
    "WaitForCondition": "wait for condition",
    "ChainedInvoke": "invoke",
}
_BAR_HEIGHT = {
    SegmentKind.EXECUTION: 8,
    SegmentKind.CONTEXT: 8,
    SegmentKind.RETRY_DELAY: 4,
    SegmentKind.WAIT: 12,
    SegmentKind.CALLBACK: 12,
    SegmentKind.INVOKE: 14,
    SegmentKind.ATTEMPT: 16,
}

STYLE = """
svg.timeline { font: 12px system-ui, -apple-system, "Segoe UI", sans-serif; }
.row-even { fill: #f6f8fa; }
.row-odd { fill: #ffffff; }
.group { fill: #eef3fb; stroke: #b8c8e6; stroke-width: 1; }
.band { fill: #e3ecf7; opacity: 0.75; }
.band.alt { fill: #ece6f6; }
.band.failed { fill: #f9dcdc; }
.band-label { fill: #5a6b80; font-size: 10px; }
.grid { stroke: #d0d7de; stroke-width: 1; }
.tick { fill: #57606a; font-size: 11px; }
.gap { fill: url(#gap-hatch); }
.delay-label { fill: #8a5a00; font-size: 9px; }
.gap-edge { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 3 2; }
.gap-label { fill: #24292f; font-size: 11px; font-weight: 600; }
.label { fill: #24292f; }
.label.failed { fill: #b42318; }
.label.timed-out { fill: #9a5b00; }
.kind { fill: #8c959f; font-size: 10px; }
.bar { stroke: rgba(0,0,0,0.25); stroke-width: 0.5; }
.bar.attempt.succeeded { fill: #2da44e; }
.bar.attempt.failed { fill: #d1242f; }
.bar.attempt.pending { fill: #9aa5b1; }
.bar.retry-delay { fill: #f2c14e; stroke: #b7791f; stroke-dasharray: 3 2; }
.bar.wait { fill: url(#wait-hatch); stroke: #3b6fd4; }
.bar.callback { fill: #b9a3ea; stroke: #6d4fc2; }
.bar.callback.succeeded { fill: #8e6bd6; }
.bar.invoke { fill: #2a9d8f; }
.bar.context { fill: #57606a; }
.bar.execution { fill: #24292f; }
.bar.failed { fill: #d1242f; }
.bar.timed-out { fill: #e8890c; stroke: #9a5b00; }
.bar.stopped, .bar.cancelled { fill: #8c959f; }
.bar.pending { opacity: 0.55; }
.icon { font-size: 12px; font-weight: 700; }
.icon.failed { fill: #d1242f; }
.icon.timed-out { fill: none; stroke: #c26b00; stroke-width: 1.6; }
.icon.stopped, .icon.cancelled { fill: #57606a; }
.deadline { stroke: #c26b00; stroke-width: 2; }
.lane:hover .bar { stroke: #0969da; stroke-width: 1.5; }
.lane:hover .label { font-weight: 600; }
"""

DEFS = (
    "<defs>"
    '<pattern id="gap-hatch" width="8" height="8" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="8" height="8" fill="#ffffff" opacity="0.85"/>'
    '<line x1="0" y1="0" x2="0" y2="8" stroke="#c8d0d8" stroke-width="2"/></pattern>'
    '<pattern id="wait-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#c9dafc"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#5b8def" stroke-width="2"/></pattern>'
    "</defs>"
)


def xml_text(text: object) -> str:
    """``text`` safe inside an SVG or HTML element or a quoted attribute."""
    return html.escape(_NOT_XML.sub("\ufffd", str(text)), quote=True)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def render_svg(layout: TimelineLayout) -> str:
    """The chart as one ``<svg>`` element (its own styles inside, so it stands alone too)."""
    axis = layout.axis
    width = LEFT + axis.width + RIGHT_PAD
    bottom = TOP + ROW * len(layout.lanes)
    height = bottom + 44
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{_fmt(width)}" '
        f'height="{_fmt(height)}" viewBox="0 0 {_fmt(width)} {_fmt(height)}" role="img" '
        f'aria-label="timeline of {xml_text(layout.title)}">',
        f"<style>{STYLE}</style>",
        DEFS,
    ]
    for index in range(len(layout.lanes)):
        row_class = "row-even" if index % 2 == 0 else "row-odd"
        parts.append(
            f'<rect class="{row_class}" x="0" y="{TOP + index * ROW}" '
            f'width="{_fmt(width)}" height="{ROW}"/>'
        )
    parts.extend(_groups(layout.lanes, width))
    parts.extend(_bands(layout, bottom))
    parts.extend(_axis(layout, bottom))
    for index, lane in enumerate(layout.lanes):
        parts.append(_lane(layout, lane, TOP + index * ROW))
    parts.extend(_gaps(layout, bottom))
    parts.append("</svg>")
    return "\n".join(parts)


def _x(layout: TimelineLayout, seconds: float) -> float:
    return LEFT + layout.axis.x(seconds)


def _groups(lanes: tuple[Lane, ...], width: float) -> list[str]:
    """A box behind each map or parallel and its children, so the items read as a group."""
    out: list[str] = []
    for index, lane in enumerate(lanes):
        if not lane.has_children or lane.sub_type not in ("Map", "Parallel"):
            continue
        last = index
        while last + 1 < len(lanes) and lanes[last + 1].depth > lane.depth:
            last += 1
        x = 4 + lane.depth * INDENT
        out.append(
            f'<rect class="group" x="{x}" y="{TOP + index * ROW + 2}" '
            f'width="{_fmt(width - x - 4)}" height="{(last - index + 1) * ROW - 4}" rx="5"/>'
        )
    return out


def _bands(layout: TimelineLayout, bottom: float) -> list[str]:
    out: list[str] = []
    for band in layout.bands:
        x0, x1 = _x(layout, band.start), _x(layout, band.end)
        classes = "band" + (" alt" if band.number % 2 == 0 else "")
        classes += " failed" if band.error else ""
        tip = (
            f"invocation #{band.number}: +{format_duration(band.start, precise=True)}, "
            f"took {format_duration(band.end - band.start)}"
        )
        if band.request_id:
            tip += f"\nrequest id {band.request_id}"
        if band.error:
            tip += f"\nfailed: {band.error}"
        out.append(
            f'<g class="invocation" data-invocation="{band.number}">'
            f'<rect class="{classes}" x="{_fmt(x0 - 2)}" y="{TOP - 14}" '
            f'width="{_fmt(max(4.0, x1 - x0 + 4))}" height="{_fmt(bottom - TOP + 14)}">'
            f"<title>{xml_text(tip)}</title></rect>"
            f'<text class="band-label" x="{_fmt(x0)}" y="{TOP - 4}">#{band.number}</text></g>'
        )
    return out


def _axis(layout: TimelineLayout, bottom: float) -> list[str]:
    out = [
        f'<line class="grid" x1="{LEFT}" y1="{bottom}" '
        f'x2="{_fmt(LEFT + layout.axis.width)}" y2="{bottom}"/>'
    ]
    for tick in layout.axis.ticks:
        x = LEFT + tick.x
        out.append(
            f'<line class="grid" x1="{_fmt(x)}" y1="{bottom}" x2="{_fmt(x)}" y2="{bottom + 5}"/>'
        )
        out.append(
            f'<text class="tick" x="{_fmt(x)}" y="{bottom + 18}" text-anchor="middle">'
            f"{xml_text(tick.label)}</text>"
        )
    out.append(f'<text class="tick" x="8" y="{bottom + 18}">virtual time from the start</text>')
    return out


def _gaps(layout: TimelineLayout, bottom: float) -> list[str]:
    out: list[str] = []
    for gap in layout.axis.gaps:
        x = LEFT + gap.x
        left, right = _fmt(x + 6), _fmt(x + gap.width - 6)
        tip = (
            f"{format_duration(gap.end - gap.start)} with nothing happening, drawn "
            f"{_fmt(gap.width)} px wide (+{format_duration(gap.start, precise=True)} to "
            f"+{format_duration(gap.end, precise=True)})"
        )
        out.append(
            f'<g class="gap-marker"><title>{xml_text(tip)}</title>'
            f'<rect class="gap" x="{left}" y="{TOP}" '
            f'width="{_fmt(max(0.0, gap.width - 12))}" height="{bottom - TOP}"/>'
            f'<line class="gap-edge" x1="{left}" y1="{TOP}" x2="{left}" y2="{bottom}"/>'
            f'<line class="gap-edge" x1="{right}" y1="{TOP}" x2="{right}" y2="{bottom}"/>'
            f'<text class="gap-label" x="{_fmt(x + gap.width / 2)}" y="{bottom + 34}" '
            f'text-anchor="middle">{xml_text(gap.label)}</text></g>'
        )
    return out


def _truncate(text: str, room: float) -> str:
    fits = max(4, int(room / CHAR))
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _lane_tip(lane: Lane) -> str:
    kind = lane.sub_type or lane.operation_type
    attempts = sum(1 for s in lane.segments if s.kind is SegmentKind.ATTEMPT)
    parts = [f"{lane.name} — {kind}, {lane.outcome.value.replace('-', ' ')}"]
    if attempts > 1:
        parts.append(f"{attempts} attempts")
    text = ", ".join(parts) + f"\nid {lane.operation_id}"
    errors = [s.error for s in lane.segments if s.error]
    if errors:
        text += f"\nerror: {errors[-1]}"
    return text


def _lane(layout: TimelineLayout, lane: Lane, y: float) -> str:
    classes = f"lane {lane.operation_type} {lane.outcome.value}"
    indent = 8 + lane.depth * INDENT
    kind = _KINDS.get(lane.sub_type, (lane.sub_type or lane.operation_type).lower())
    room = LABEL_WIDTH - indent - 12 - CHAR * (len(kind) + 1)
    icon = _ICONS.get(lane.outcome)
    label_class = f"label {lane.outcome.value}"
    name = (f"{icon} " if icon else "") + lane.name
    out = [
        f'<g class="{classes}" data-operation-id="{xml_text(lane.operation_id)}" '
        f'data-depth="{lane.depth}">',
        f"<title>{xml_text(_lane_tip(lane))}</title>",
        f'<text class="{label_class}" x="{indent}" y="{_fmt(y + ROW / 2 + 4)}">'
        f"{xml_text(_truncate(name, room))}</text>",
        f'<text class="kind" x="{LABEL_WIDTH}" y="{_fmt(y + ROW / 2 + 4)}" '
        f'text-anchor="end">{xml_text(kind)}</text>',
    ]
    for segment in lane.segments:
        out.extend(_segment(layout, segment, y))
    if lane.deadline is not None:
        x = _x(layout, lane.deadline)
        out.append(
            f'<line class="deadline" x1="{_fmt(x)}" y1="{_fmt(y + 4)}" x2="{_fmt(x)}" '
            f'y2="{_fmt(y + ROW - 4)}"><title>timeout at '
            f"+{xml_text(format_duration(lane.deadline, precise=True))}</title></line>"
        )
    out.append("</g>")
    return "\n".join(out)


def _segment(layout: TimelineLayout, segment: Segment, y: float) -> list[str]:
    x0 = _x(layout, segment.start)
    width = max(MIN_BAR, _x(layout, segment.end) - x0)
    if segment.kind is SegmentKind.RETRY_DELAY:
        width = max(0.0, _x(layout, segment.end) - x0)
    height = _BAR_HEIGHT[segment.kind]
    top = y + (ROW - height) / 2
    outcome = segment.outcome.value
    tip = f"{segment.label}: {outcome.replace('-', ' ')}"
    tip += (
        f"\n+{format_duration(segment.start, precise=True)} → "
        f"+{format_duration(segment.end, precise=True)} "
        f"({format_duration(segment.end - segment.start)})"
    )
    if segment.error:
        tip += f"\n{segment.error}"
    if segment.detail:
        tip += f"\n{segment.detail}"
    out = [
        f'<rect class="bar {segment.kind.value} {outcome}" x="{_fmt(x0)}" y="{_fmt(top)}" '
        f'width="{_fmt(width)}" height="{height}" rx="2"><title>{xml_text(tip)}</title></rect>'
    ]
    icon = _ICONS.get(segment.outcome)
    if segment.kind is SegmentKind.RETRY_DELAY:
        if width > 8 * CHAR:  # say how long, where there is room for it
            out.append(
                f'<text class="delay-label" x="{_fmt(x0 + width / 2)}" y="{_fmt(top - 2)}" '
                f'text-anchor="middle">{xml_text(format_duration(segment.end - segment.start))}'
                "</text>"
            )
        return out
    if icon:
        out.append(
            f'<text class="icon {outcome}" x="{_fmt(x0 + width + 2)}" '
            f'y="{_fmt(y + ROW / 2 + 4)}">{icon}<title>{xml_text(tip)}</title></text>'
        )
    elif segment.outcome is Outcome.TIMED_OUT:
        out.append(_clock(x0 + width + 8, y + ROW / 2, tip))
    return out


def _clock(cx: float, cy: float, tip: str) -> str:
    return (
        f'<g class="icon timed-out"><title>{xml_text(tip)}</title>'
        f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="5.5"/>'
        f'<path d="M{_fmt(cx)} {_fmt(cy - 3.5)} V{_fmt(cy)} H{_fmt(cx + 3)}"/></g>'
    )
