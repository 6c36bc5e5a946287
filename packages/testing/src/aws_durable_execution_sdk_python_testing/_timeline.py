"""Renderings of an execution history people read: plain text, and an HTML Gantt chart."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from aws_durable_execution_sdk_python_testing._stored import inline_stored, stored_summary
from aws_durable_execution_sdk_python_testing._timeline_html import render_page
from aws_durable_execution_sdk_python_testing._timeline_layout import layout_timeline
from aws_durable_execution_sdk_python_testing._views import decode_payload

__all__ = ["format_timeline", "save_timeline", "timeline_html"]


def _offset(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    days, hours = divmod(hours, 24)
    return f"+{days}d {hours:02d}:{minutes:02d}:{secs:06.3f}"


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary(event: Mapping[str, Any]) -> str:
    details = event.get(f"{event['EventType']}Details") or {}
    parts = []
    if "Duration" in details:
        parts.append(f"{details['Duration']}s")
    retry = details.get("RetryDetails")
    if retry:
        parts.append(f"attempt {retry.get('CurrentAttempt')}")
        if "NextAttemptDelaySeconds" in retry:
            parts.append(f"retry in {retry['NextAttemptDelaySeconds']}s")
    error = (details.get("Error") or {}).get("Payload")
    if error:
        parts.append(f"{error.get('ErrorType')}: {error.get('ErrorMessage')}")
    result = (details.get("Result") or {}).get("Payload")
    pointer = stored_summary(event["EventType"], result)  # a FileSystemSerDes file
    if pointer is not None:
        parts.append(f"-> {pointer}")
    elif result is not None:
        result = inline_stored(event["EventType"], result)
        value = decode_payload(result)
        shown = (
            value if isinstance(value, str) and value == result else json.dumps(value, default=str)
        )
        parts.append(f"-> {_shorten(shown)}")
    return ", ".join(parts)


def format_timeline(history: Sequence[Mapping[str, Any]]) -> str:
    """One line per event: offset in virtual time from the start, type, name, details."""
    if not history:
        return "(no events)"
    start = history[0]["EventTimestamp"].timestamp()
    lines = []
    for event in history:
        offset = event["EventTimestamp"].timestamp() - start
        label = event.get("Name") or (event.get("Id", "")[:8] if event.get("Id") else "")
        line = f"{_offset(offset)}  {event['EventType']:<22} {label:<24} {_summary(event)}"
        lines.append(line.rstrip())
    return "\n".join(lines)


def timeline_html(history: Sequence[Mapping[str, Any]], subtitle: str = "") -> str:
    """One self-contained HTML page: the SVG chart of ``history`` and its text timeline."""
    events = list(history)
    return render_page(layout_timeline(events), format_timeline(events), subtitle)


def save_timeline(
    history: Sequence[Mapping[str, Any]], path: str | os.PathLike[str], subtitle: str = ""
) -> None:
    """Write :func:`timeline_html` to ``path`` (UTF-8).

    Raises:
        OSError: ``path`` cannot be written.
    """
    page = timeline_html(history, subtitle)
    with open(path, "w", encoding="utf-8") as file:
        file.write(page)
