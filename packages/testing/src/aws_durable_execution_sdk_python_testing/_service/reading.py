"""Reads that change nothing: pages of an execution's operations and of its history.

The SDK reads operations (the invoke event's first page, then ``GetDurableExecutionState``
with its invocation's token, which the service checks first); anyone reads the history
(``GetDurableExecutionHistory``). Both page by position, and the marker is that position as
a string: operations are only added or replaced in place and events only appended, so a
position stays valid between pages.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python.lambda_service import InitialExecutionState, StateOutput
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord

__all__ = ["first_state_page", "history_page", "state_page"]

_MAX_STATE_PAGE = 1000  # GetDurableExecutionState's MaxItems: at most 1000


def _position(marker: str | None) -> int:
    try:
        return int(marker) if marker else 0
    except ValueError:
        raise InvalidParameterValueException(f"Invalid marker: {marker!r}") from None


def first_state_page(record: ExecutionRecord, page_size: int) -> InitialExecutionState:
    """The operations an invoke event carries; the SDK reads the rest by the marker."""
    operations = list(record.operations.values())
    marker = str(page_size) if len(operations) > page_size else ""
    return InitialExecutionState(operations[:page_size], marker)


def state_page(record: ExecutionRecord, marker: str, max_items: int) -> StateOutput:
    """``GetDurableExecutionState``'s page from ``marker`` (the token already checked).

    Raises:
        InvalidParameterValueException: a marker that is not a position in the operations.
    """
    start = _position(marker)
    operations = list(record.operations.values())
    if start < 0 or start > len(operations):
        raise InvalidParameterValueException(f"Invalid marker: {marker!r}")
    end = start + max(1, min(max_items, _MAX_STATE_PAGE))
    return StateOutput(operations[start:end], str(end) if end < len(operations) else None)


def history_page(
    record: ExecutionRecord,
    *,
    include_execution_data: bool,
    max_items: int,
    marker: str | None,
    reverse_order: bool,
) -> dict[str, Any]:
    """``GetDurableExecutionHistory``'s response: ``Events`` and, if more follow,
    ``NextMarker``.

    Raises:
        InvalidParameterValueException: a marker that is not a number.
    """
    events = record.history.events
    if reverse_order:
        events = events[::-1]
    start = _position(marker)
    page = events[start : start + max(1, max_items)]
    out: dict[str, Any] = {"Events": [e if include_execution_data else _redact(e) for e in page]}
    if start + len(page) < len(events):
        out["NextMarker"] = str(start + len(page))
    return out


def _redact(event: dict[str, Any]) -> dict[str, Any]:
    """Without execution data, inputs, results and pause reasons are dropped and marked
    truncated."""
    copy = dict(event)
    key = f"{event['EventType']}Details"
    details = dict(copy.get(key) or {})
    for field in ("Input", "Result", "Reason"):
        if field in details:
            details[field] = {"Truncated": True}
    copy[key] = details
    return copy
