"""A human-readable rendering of an execution history."""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python_testing._views import decode_payload

__all__ = ["format_timeline"]


def _offset(seconds: float) -> str:
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    days, hours = divmod(hours, 24)
    return f"+{days}d {hours:02d}:{minutes:02d}:{secs:06.3f}"


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary(event: dict[str, Any]) -> str:
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
    if result is not None:
        value = decode_payload(result)
        shown = (
            value if isinstance(value, str) and value == result else json.dumps(value, default=str)
        )
        parts.append(f"-> {_shorten(shown)}")
    return ", ".join(parts)


def format_timeline(history: list[dict[str, Any]]) -> str:
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
