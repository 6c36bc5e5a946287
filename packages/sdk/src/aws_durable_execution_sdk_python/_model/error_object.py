"""``ErrorObject``: how an error travels on the wire, and back into an exception."""

from __future__ import annotations

import json
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    error_type_name,
)

__all__ = ["MAX_ERROR_BYTES", "ErrorObject"]

# The service rejects an update whose serialised error exceeds 32,768 bytes.
MAX_ERROR_BYTES = 32 * 1024


@attrs.frozen
class ErrorObject:
    """``{ErrorMessage, ErrorType, ErrorData, StackTrace}``; absent keys stay ``None``."""

    message: str | None = None
    type: str | None = None
    data: str | None = None
    stack_trace: list[str] | None = None

    @classmethod
    def from_exception(cls, error: BaseException) -> ErrorObject:
        """Record an exception; a failed operation's error keeps its original type and fields."""
        if isinstance(error, DurableOperationError):
            return cls(error.message, error.error_type, error.data, error.stack_trace)
        message = getattr(error, "message", None)
        if not isinstance(message, str) or not message:
            message = str(error)
        return cls(message, error_type_name(type(error)), None, None)

    def fitted(self, limit: int = MAX_ERROR_BYTES) -> ErrorObject:
        """This error cut down to the service's error-size limit (32 KiB as JSON).

        A long message or stack trace must not turn a handled failure into a rejected
        checkpoint: the stack trace goes first, then the message and data are shortened.
        """
        # ensure_ascii counts any character as at most 6 bytes: a safe over-estimate.
        if len(json.dumps(self.to_dict())) <= limit:
            return self
        trimmed = attrs.evolve(self, stack_trace=None)
        if len(json.dumps(trimmed.to_dict())) <= limit:
            return trimmed
        keep = limit // 16  # characters each for message and data: <= 6 bytes apiece
        note = "... [truncated]"

        def cut(text: str | None) -> str | None:
            return text if text is None or len(text) <= keep else text[:keep] + note

        return attrs.evolve(trimmed, message=cut(self.message), data=cut(self.data))

    @classmethod
    def from_message(cls, message: str) -> ErrorObject:
        return cls(message=message)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorObject:
        trace = data.get("StackTrace")
        return cls(
            data.get("ErrorMessage"),
            data.get("ErrorType"),
            data.get("ErrorData"),
            list(trace) if trace is not None else None,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.message is not None:
            out["ErrorMessage"] = self.message
        if self.type is not None:
            out["ErrorType"] = self.type
        if self.data is not None:
            out["ErrorData"] = self.data
        if self.stack_trace is not None:
            out["StackTrace"] = list(self.stack_trace)
        return out
