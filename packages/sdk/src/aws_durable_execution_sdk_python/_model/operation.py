"""``Operation`` (read side): a checkpointed operation as the service returns it."""

from __future__ import annotations

import datetime
from typing import Any

import attrs

from aws_durable_execution_sdk_python._model.enums import (
    OperationStatus,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject

__all__ = [
    "CallbackDetails",
    "ChainedInvokeDetails",
    "ContextDetails",
    "ExecutionDetails",
    "Operation",
    "StepDetails",
    "WaitDetails",
    "from_timestamp",
    "to_epoch_millis",
]

_UTC = datetime.UTC


def from_timestamp(value: Any) -> datetime.datetime | None:
    """Accept what each transport gives: datetimes (boto3), epoch ms (event JSON) or ISO text."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=_UTC)
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value / 1000, tz=_UTC)
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)
    raise TypeError(f"not a timestamp: {value!r}")


def to_epoch_millis(value: datetime.datetime) -> int:
    return round(value.timestamp() * 1000)


def _error(data: dict[str, Any], key: str = "Error") -> ErrorObject | None:
    raw = data.get(key)
    return ErrorObject.from_dict(raw) if raw is not None else None


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


@attrs.frozen
class ExecutionDetails:
    input_payload: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExecutionDetails:
        return cls(data.get("InputPayload"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "InputPayload", self.input_payload)
        return out


@attrs.frozen
class ContextDetails:
    replay_children: bool = False
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ContextDetails:
        return cls(bool(data.get("ReplayChildren", False)), data.get("Result"), _error(data))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ReplayChildren": self.replay_children}
        _put(out, "Result", self.result)
        _put(out, "Error", self.error.to_dict() if self.error else None)
        return out


@attrs.frozen
class StepDetails:
    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepDetails:
        return cls(
            int(data.get("Attempt", 0) or 0),
            from_timestamp(data.get("NextAttemptTimestamp")),
            data.get("Result"),
            _error(data),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Attempt": self.attempt}
        _put(out, "NextAttemptTimestamp", self.next_attempt_timestamp)
        _put(out, "Result", self.result)
        _put(out, "Error", self.error.to_dict() if self.error else None)
        return out


@attrs.frozen
class WaitDetails:
    scheduled_end_timestamp: datetime.datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WaitDetails:
        return cls(from_timestamp(data.get("ScheduledEndTimestamp")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "ScheduledEndTimestamp", self.scheduled_end_timestamp)
        return out


@attrs.frozen
class CallbackDetails:
    callback_id: str = ""
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallbackDetails:
        return cls(data.get("CallbackId", ""), data.get("Result"), _error(data))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"CallbackId": self.callback_id}
        _put(out, "Result", self.result)
        _put(out, "Error", self.error.to_dict() if self.error else None)
        return out


@attrs.frozen
class ChainedInvokeDetails:
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChainedInvokeDetails:
        return cls(data.get("Result"), _error(data))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _put(out, "Result", self.result)
        _put(out, "Error", self.error.to_dict() if self.error else None)
        return out


_DETAILS: tuple[tuple[str, str, Any], ...] = (
    ("execution_details", "ExecutionDetails", ExecutionDetails),
    ("context_details", "ContextDetails", ContextDetails),
    ("step_details", "StepDetails", StepDetails),
    ("wait_details", "WaitDetails", WaitDetails),
    ("callback_details", "CallbackDetails", CallbackDetails),
    ("chained_invoke_details", "ChainedInvokeDetails", ChainedInvokeDetails),
)


@attrs.frozen
class Operation:
    """One checkpointed operation; ``from_dict`` takes boto3 or event-JSON shapes."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = None
    name: str | None = None
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    sub_type: OperationSubType | None = None
    execution_details: ExecutionDetails | None = None
    context_details: ContextDetails | None = None
    step_details: StepDetails | None = None
    wait_details: WaitDetails | None = None
    callback_details: CallbackDetails | None = None
    chained_invoke_details: ChainedInvokeDetails | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Operation:
        sub_type = data.get("SubType")
        details = {attr: kind.from_dict(data[key]) for attr, key, kind in _DETAILS if key in data}
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            status=OperationStatus(data["Status"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            start_timestamp=from_timestamp(data.get("StartTimestamp")),
            end_timestamp=from_timestamp(data.get("EndTimestamp")),
            sub_type=OperationSubType(sub_type) if sub_type else None,
            **details,
        )

    def to_dict(self) -> dict[str, Any]:
        """The boto3 shape (timestamps as datetimes)."""
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Status": self.status.value,
        }
        _put(out, "ParentId", self.parent_id)
        _put(out, "Name", self.name)
        _put(out, "SubType", self.sub_type.value if self.sub_type else None)
        _put(out, "StartTimestamp", self.start_timestamp)
        _put(out, "EndTimestamp", self.end_timestamp)
        for attr, key, _kind in _DETAILS:
            value = getattr(self, attr)
            if value is not None:
                out[key] = value.to_dict()
        return out

    def to_json_dict(self) -> dict[str, Any]:
        """The invocation-event shape: every timestamp as epoch milliseconds."""
        converted: dict[str, Any] = _millis(self.to_dict())
        return converted


def _millis(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return to_epoch_millis(value)
    if isinstance(value, dict):
        return {k: _millis(v) for k, v in value.items()}
    return value
