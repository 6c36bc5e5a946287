"""``OperationUpdate`` (write side): one action the SDK checkpoints."""

from __future__ import annotations

from typing import Any

import attrs

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject

__all__ = [
    "CallbackOptions",
    "ChainedInvokeOptions",
    "ContextOptions",
    "OperationUpdate",
    "StepOptions",
    "WaitOptions",
]


@attrs.frozen
class StepOptions:
    next_attempt_delay_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"NextAttemptDelaySeconds": self.next_attempt_delay_seconds}


@attrs.frozen
class WaitOptions:
    wait_seconds: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"WaitSeconds": self.wait_seconds}


@attrs.frozen
class CallbackOptions:
    timeout_seconds: int = 0
    heartbeat_timeout_seconds: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "TimeoutSeconds": self.timeout_seconds,
            "HeartbeatTimeoutSeconds": self.heartbeat_timeout_seconds,
        }


@attrs.frozen
class ChainedInvokeOptions:
    function_name: str
    tenant_id: str | None = None
    #: The X-Ray trace header the invoked function starts with (a plugin supplies it).
    x_amzn_trace_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"FunctionName": self.function_name}
        if self.tenant_id is not None:
            out["TenantId"] = self.tenant_id
        if self.x_amzn_trace_id is not None:
            out["XAmznTraceId"] = self.x_amzn_trace_id
        return out


@attrs.frozen
class ContextOptions:
    replay_children: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"ReplayChildren": self.replay_children}


_OPTIONS: tuple[tuple[str, str, Any], ...] = (
    ("context_options", "ContextOptions", ContextOptions),
    ("step_options", "StepOptions", StepOptions),
    ("wait_options", "WaitOptions", WaitOptions),
    ("callback_options", "CallbackOptions", CallbackOptions),
    ("chained_invoke_options", "ChainedInvokeOptions", ChainedInvokeOptions),
)

_OPTION_FIELDS = {
    "ContextOptions": {"ReplayChildren": "replay_children"},
    "StepOptions": {"NextAttemptDelaySeconds": "next_attempt_delay_seconds"},
    "WaitOptions": {"WaitSeconds": "wait_seconds"},
    "CallbackOptions": {
        "TimeoutSeconds": "timeout_seconds",
        "HeartbeatTimeoutSeconds": "heartbeat_timeout_seconds",
    },
    "ChainedInvokeOptions": {
        "FunctionName": "function_name",
        "TenantId": "tenant_id",
        "XAmznTraceId": "x_amzn_trace_id",
    },
}


@attrs.frozen
class OperationUpdate:
    """One checkpointed action; ``to_dict`` is exactly the ``Updates[]`` member botocore sends."""

    operation_id: str
    operation_type: OperationType
    action: OperationAction
    parent_id: str | None = None
    name: str | None = None
    sub_type: OperationSubType | None = None
    payload: str | None = None
    error: ErrorObject | None = None
    context_options: ContextOptions | None = None
    step_options: StepOptions | None = None
    wait_options: WaitOptions | None = None
    callback_options: CallbackOptions | None = None
    chained_invoke_options: ChainedInvokeOptions | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Action": self.action.value,
        }
        if self.parent_id:
            out["ParentId"] = self.parent_id
        if self.name:
            out["Name"] = self.name
        if self.sub_type is not None:
            out["SubType"] = self.sub_type.value
        if self.payload is not None:
            out["Payload"] = self.payload
        if self.error is not None:
            out["Error"] = self.error.to_dict()
        for attr, key, _kind in _OPTIONS:
            value = getattr(self, attr)
            if value is not None:
                out[key] = value.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OperationUpdate:
        options = {}
        for attr, key, kind in _OPTIONS:
            if key in data:
                fields = _OPTION_FIELDS[key]
                options[attr] = kind(**{fields[k]: v for k, v in data[key].items() if k in fields})
        sub_type = data.get("SubType")
        error = data.get("Error")
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            action=OperationAction(data["Action"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=OperationSubType(sub_type) if sub_type else None,
            payload=data.get("Payload"),
            error=ErrorObject.from_dict(error) if error is not None else None,
            **options,
        )
