"""A human-readable rendering of an execution history."""

from __future__ import annotations

from typing import Any

__all__ = ["format_timeline"]


def _offset(seconds: float) -> str:
    if seconds < 60:
        return f"+{seconds:8.3f}s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    days, hours = divmod(hours, 24)
    text = f"{days}d" if days else ""
    return f"+{text}{hours:02d}:{minutes:02d}:{secs:06.3f}"


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
        parts.append(f"-> {result if len(result) <= 60 else result[:57] + '...'}")
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
