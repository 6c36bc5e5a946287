"""What Lambda hands a durable handler, and what the handler hands back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from aws_durable_execution_sdk_python._model.enums import InvocationStatus
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python.exceptions import ValidationError

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python._service.client import DurableServiceClient

__all__ = [
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "DurableExecutionInvocationOutput",
    "InitialExecutionState",
]


@attrs.frozen
class InitialExecutionState:
    """The first page of checkpointed operations; ``next_marker`` pages in the rest."""

    operations: list[Operation] = attrs.Factory(list)
    next_marker: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InitialExecutionState:
        """Parse the event's ``InitialExecutionState``; ``null`` fields mean empty.

        Raises:
            ValidationError: a field has the wrong type or an operation is malformed.
        """
        where = "InitialExecutionState"
        _expect(data, dict, where, "an object (dict)")
        raw = _expect(data.get("Operations") or [], list, f"{where}.Operations", "a list")
        operations = []
        for index, item in enumerate(raw):
            path = f"{where}.Operations[{index}]"
            _expect(item, dict, path, "an object (dict)")
            try:
                operations.append(Operation.from_dict(item))
            except (AttributeError, KeyError, TypeError, ValueError) as error:
                raise ValidationError(
                    f"durable execution event: {path} is malformed ({type(error).__name__}: "
                    f"{error})"
                ) from error
        marker = _expect(data.get("NextMarker") or "", str, f"{where}.NextMarker", "a str")
        return cls(operations, marker)

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "Operations": [op.to_json_dict() for op in self.operations],
            "NextMarker": self.next_marker,
        }


_REQUIRED = ("DurableExecutionArn", "CheckpointToken")


def _expect(value: Any, kind: type[Any], path: str, expected: str) -> Any:
    """``value`` if it is a ``kind``; else the error names the field and the type found."""
    if isinstance(value, kind):
        return value
    raise ValidationError(
        f"durable execution event: {path} must be {expected}, got {type(value).__name__}; "
        "this event was not written by Lambda durable execution (or DurableFunctionTestRunner)"
    )


@attrs.frozen
class DurableExecutionInvocationInput:
    """The invocation event of a durable function."""

    durable_execution_arn: str
    checkpoint_token: str
    initial_execution_state: InitialExecutionState = attrs.Factory(InitialExecutionState)
    updated_operation_ids: list[str] = attrs.field(factory=list, kw_only=True)

    @classmethod
    def from_dict(cls, event: Any) -> DurableExecutionInvocationInput:
        """Parse an event; a malformed one has no execution to fail, so it raises at once
        (docs/decisions.md, "Malformed invocation events").

        Raises:
            ValidationError: naming the missing field, or the field of the wrong type and
                the type found.
        """
        if not isinstance(event, dict):
            raise ValidationError(
                f"a durable function must be invoked with a durable execution event (a JSON "
                f"object with {', '.join(_REQUIRED)}), got {type(event).__name__}; "
                "invoke it through Lambda durable execution or DurableFunctionTestRunner"
            )
        missing = [key for key in _REQUIRED if event.get(key) is None or event.get(key) == ""]
        if missing:
            raise ValidationError(
                f"durable execution event is missing {', '.join(missing)}; this handler is "
                "wrapped with @durable_execution and must be invoked by Lambda durable "
                "execution (or DurableFunctionTestRunner), not with a plain event"
            )
        arn = _expect(event["DurableExecutionArn"], str, "DurableExecutionArn", "a str")
        token = _expect(event["CheckpointToken"], str, "CheckpointToken", "a str")
        state = InitialExecutionState.from_dict(event.get("InitialExecutionState") or {})
        updated = _expect(
            event.get("UpdatedOperationIds") or [], list, "UpdatedOperationIds", "a list"
        )
        for index, operation_id in enumerate(updated):
            _expect(operation_id, str, f"UpdatedOperationIds[{index}]", "a str")
        return cls(arn, token, state, updated_operation_ids=list(updated))

    from_json_dict = from_dict

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "DurableExecutionArn": self.durable_execution_arn,
            "CheckpointToken": self.checkpoint_token,
            "InitialExecutionState": self.initial_execution_state.to_json_dict(),
            "UpdatedOperationIds": list(self.updated_operation_ids),
        }


@attrs.frozen
class DurableExecutionInvocationInputWithClient(DurableExecutionInvocationInput):
    """An invocation input that brings its own service client (how test harnesses inject one).

    ``start_flush_window``, when set, overrides the function's own (``durable_execution``):
    a harness decides how long a queued START waits before it is sent on its own.
    """

    service_client: DurableServiceClient | None = attrs.field(default=None, kw_only=True)
    start_flush_window: float | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class DurableExecutionInvocationOutput:
    """``{"Status", "Result"?, "Error"?}`` returned to Lambda."""

    status: InvocationStatus
    result: str | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Status": self.status.value}
        if self.result is not None:
            out["Result"] = self.result
        if self.error is not None:
            out["Error"] = self.error.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DurableExecutionInvocationOutput:
        error = data.get("Error")
        return cls(
            InvocationStatus(data["Status"]),
            data.get("Result"),
            ErrorObject.from_dict(error) if error is not None else None,
        )
