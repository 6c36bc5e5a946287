"""``ErrorObject``: how an error travels on the wire, and what the SDK adds to ``ErrorData``.

A failed operation's exception must look the same on the first run and on every replay
(docs/decisions.md, "A failed step raises its original error"), so what the handler can
observe about it is recorded: the type name as ``ErrorType``, ``str()`` as ``ErrorMessage``,
and the arguments, the instance attributes and an exception group's members in ``ErrorData``,
inside an :class:`ErrorEnvelope`. The envelope is one JSON object with one key that names
this SDK, so ``ErrorData`` anyone else wrote (a callback failure, another SDK) is never
mistaken for it and stays the user's ``e.data``.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import (
    DurableExecutionsError,
    DurableOperationError,
    error_type_name,
    resolve_error_class,
)

__all__ = ["ENVELOPE_KEY", "MAX_ERROR_BYTES", "ErrorEnvelope", "ErrorObject"]

# The service rejects an update whose serialised error exceeds 32,768 bytes.
MAX_ERROR_BYTES = 32 * 1024

ENVELOPE_KEY = "AwsDurableExecutionSdkPythonError"
_ENVELOPE_VERSION = 1


def _json_value(value: Any) -> tuple[bool, Any]:
    """``(True, value as JSON gives it back)``, or ``(False, None)`` when JSON cannot carry it.

    The round trip matters: a tuple comes back as a list, and the first run must see what
    a replay will.
    """
    try:
        return True, json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return False, None


@attrs.frozen
class ErrorEnvelope:
    """What ``ErrorData`` carries for an exception raised by user code.

    ``args`` is ``None`` when the arguments were just ``(message,)`` or could not be
    serialised (then they are rebuilt as ``(message,)``); ``text`` is ``str()`` of the
    original when it differs from the recorded message; ``exceptions`` are the members of
    an exception group, each recorded the same way. Attributes JSON cannot carry (an enum,
    a client object, a datetime) are not recorded at all. ``bases`` names the importable
    ancestors of a class that cannot be found by its own name (botocore's generated
    ``NoSuchKey``, a class defined in a function), nearest first, so that a replay can
    still be a ``ClientError``.
    """

    args: tuple[Any, ...] | None = None
    attributes: dict[str, Any] = attrs.field(factory=dict)
    text: str | None = None
    exceptions: tuple[ErrorObject, ...] | None = None
    bases: tuple[str, ...] | None = None

    @classmethod
    def of(cls, error: BaseException, message: str) -> ErrorEnvelope | None:
        """The envelope for ``error``; ``None`` when it would add nothing to the message."""
        exceptions: tuple[ErrorObject, ...] | None = None
        raw_args: tuple[Any, ...] = tuple(error.args)
        if isinstance(error, BaseExceptionGroup):
            exceptions = tuple(ErrorObject.from_exception(e) for e in error.exceptions)
            raw_args = raw_args[:1]  # the members travel in ``exceptions``
        elif isinstance(error, OSError) and error.filename is not None:
            # ``args`` drops the file names the constructor took; pass them back to it.
            raw_args = (error.errno, error.strerror, error.filename)
            if error.filename2 is not None:
                raw_args += (None, error.filename2)
        args: tuple[Any, ...] | None = None
        if raw_args != (message,):
            ok, value = _json_value(list(raw_args))
            args = tuple(value) if ok else None
        attributes: dict[str, Any] = {}
        for key, raw in vars(error).items():
            if key == "message" and raw == message and isinstance(error, DurableExecutionsError):
                continue  # the SDK's own classes get it back from ErrorMessage
            ok, value = _json_value(raw)
            if ok:
                attributes[key] = value
        text = str(error)
        envelope = cls(
            args,
            attributes,
            None if text == message else text,
            exceptions,
            _importable_bases(type(error)),
        )
        if envelope == _EMPTY:
            return None
        return envelope

    @classmethod
    def parse(cls, data: str | None) -> ErrorEnvelope | None:
        """The envelope ``data`` holds, or ``None`` for anything this SDK did not write."""
        if not data or not data.startswith("{"):
            return None
        try:
            outer = json.loads(data)
        except ValueError:
            return None
        if not isinstance(outer, dict) or set(outer) != {ENVELOPE_KEY}:
            return None
        body = outer[ENVELOPE_KEY]
        if not isinstance(body, dict) or body.get("Version") != _ENVELOPE_VERSION:
            return None
        args = body.get("Args")
        attributes = body.get("Attributes")
        text = body.get("Str")
        members = body.get("Exceptions")
        bases = body.get("Bases")
        return cls(
            tuple(args) if isinstance(args, list) else None,
            dict(attributes) if isinstance(attributes, dict) else {},
            text if isinstance(text, str) else None,
            tuple(ErrorObject.from_dict(m) for m in members if isinstance(m, dict))
            if isinstance(members, list)
            else None,
            tuple(b for b in bases if isinstance(b, str)) if isinstance(bases, list) else None,
        )

    def dumps(self) -> str:
        body: dict[str, Any] = {"Version": _ENVELOPE_VERSION}
        if self.args is not None:
            body["Args"] = list(self.args)
        if self.attributes:
            body["Attributes"] = self.attributes
        if self.text is not None:
            body["Str"] = self.text
        if self.exceptions is not None:
            body["Exceptions"] = [e.to_dict() for e in self.exceptions]
        if self.bases is not None:
            body["Bases"] = list(self.bases)
        return json.dumps({ENVELOPE_KEY: body}, separators=(",", ":"))


_EMPTY = ErrorEnvelope()

# Every exception is one of these: naming them would tell a replay nothing.
_TOO_GENERAL = (Exception, BaseException, object)


def _importable_bases(cls: type[BaseException]) -> tuple[str, ...] | None:
    if resolve_error_class(error_type_name(cls)) is cls:
        return None
    names = tuple(
        name
        for base in cls.__mro__[1:]
        if base not in _TOO_GENERAL and resolve_error_class(name := error_type_name(base)) is base
    )
    return names or None


@attrs.frozen
class ErrorObject:
    """``{ErrorMessage, ErrorType, ErrorData, StackTrace}``; absent keys stay ``None``."""

    message: str | None = None
    type: str | None = None
    data: str | None = None
    stack_trace: list[str] | None = None

    @classmethod
    def from_exception(cls, error: BaseException) -> ErrorObject:
        """Record an exception; a failed operation's error keeps its original record."""
        if isinstance(error, DurableOperationError):
            recorded = error.__dict__.get("_durable_record")
            if isinstance(recorded, ErrorObject):
                return recorded
            return cls(error.message, error.error_type, error.data, error.stack_trace)
        message = getattr(error, "message", None)
        if not isinstance(message, str) or not message:
            message = str(error)
        envelope = ErrorEnvelope.of(error, message)
        data = envelope.dumps() if envelope is not None else None
        return cls(message, error_type_name(type(error)), data, None)

    @property
    def envelope(self) -> ErrorEnvelope | None:
        """The SDK's envelope in ``data``, if this SDK wrote it."""
        return ErrorEnvelope.parse(self.data)

    def fitted(self, limit: int = MAX_ERROR_BYTES) -> ErrorObject:
        """This error cut down to the service's error-size limit (32 KiB as JSON).

        A long message or stack trace must not turn a handled failure into a rejected
        checkpoint: the stack trace goes first, then the SDK's envelope (a cut envelope
        would not parse; the error is then rebuilt from its type and message alone), then
        the message and any other data are shortened.
        """
        # ensure_ascii counts any character as at most 6 bytes: a safe over-estimate.
        if len(json.dumps(self.to_dict())) <= limit:
            return self
        trimmed = attrs.evolve(self, stack_trace=None)
        if len(json.dumps(trimmed.to_dict())) <= limit:
            return trimmed
        if trimmed.envelope is not None:
            trimmed = attrs.evolve(trimmed, data=None)
            if len(json.dumps(trimmed.to_dict())) <= limit:
                return trimmed
        keep = limit // 16  # characters each for message and data: <= 6 bytes apiece
        note = "... [truncated]"

        def cut(text: str | None) -> str | None:
            return text if text is None or len(text) <= keep else text[:keep] + note

        return attrs.evolve(trimmed, message=cut(trimmed.message), data=cut(trimmed.data))

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
