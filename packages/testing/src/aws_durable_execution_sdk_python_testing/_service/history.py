"""History events, appended as things happen (never rebuilt from state).

Event types and detail members are botocore's (``GetDurableExecutionHistory``); each event
is built once, in order, so the history is causal and its ids are stable.
"""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationSubType,
)

__all__ = ["History", "error_details", "result_details"]


def result_details(payload: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"Truncated": False}
    if payload is not None:
        out["Payload"] = payload
    return out


def error_details(error: ErrorObject | None) -> dict[str, Any]:
    return {"Payload": (error or ErrorObject()).to_dict(), "Truncated": False}


class History:
    """The events of one execution, with the per-execution ``EventId`` counter."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def append(
        self,
        event_type: str,
        timestamp: datetime.datetime,
        details: dict[str, Any],
        operation: Operation | None = None,
        *,
        operation_id: str | None = None,
        name: str | None = None,
        sub_type: OperationSubType | None = None,
        parent_id: str | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "EventType": event_type,
            "EventId": len(self.events) + 1,
            "EventTimestamp": timestamp,
        }
        if operation is not None:
            operation_id = operation.operation_id
            name = operation.name
            sub_type = operation.sub_type
            parent_id = operation.parent_id
        if sub_type is not None:
            event["SubType"] = sub_type.value
        if operation_id is not None:
            event["Id"] = operation_id
        if name:
            event["Name"] = name
        if parent_id:
            event["ParentId"] = parent_id
        event[f"{event_type}Details"] = details
        self.events.append(event)
        return event
