"""An execution's saved form: its record, operations, events, timers and callback ids as
JSON-able dicts, and back, exactly.

This is the codec a store writes and reads; it knows nothing of SQL. Values are what the
service holds: botocore-shaped dicts with ``datetime`` timestamps (history events,
invocation details), the SDK's wire models (``Operation``, ``ErrorObject``,
``OperationUpdate``, through their own ``to_dict``/``from_dict``) and the service's
triggers. A timer is saved by its trigger, never by its closure, so a restored timer is
armed again on the restoring service.

Every attribute of ``ExecutionRecord`` is listed once: saved in the execution's row
(``RECORD_FIELDS``), saved as rows of its own (``SAVED_AS_ROWS``) or not saved, with the
reason (``NOT_PERSISTED``); a test keeps the three complete, so a new field cannot be
forgotten.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Mapping
from typing import Any, assert_never

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.callbacks import CallbackEntry
from aws_durable_execution_sdk_python_testing._service.effects import (
    CallbackDeadline,
    Deadline,
    ExecutionTimeout,
    ResolveInvoke,
    ScheduleTimer,
    StepRetryDue,
    Trigger,
    WaitEnded,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    PauseRequest,
)
from aws_durable_execution_sdk_python_testing._service.timers import Timer

__all__ = [
    "CREATION_FIELDS",
    "NOT_PERSISTED",
    "RECORD_FIELDS",
    "SAVED_AS_ROWS",
    "SavedCallback",
    "SavedTimer",
    "decode_event",
    "decode_operation",
    "decode_record",
    "decode_trigger",
    "decode_value",
    "encode_event",
    "encode_operation",
    "encode_record",
    "encode_trigger",
    "encode_value",
]

# -- values: JSON plus datetimes ----------------------------------------------------------

_DATETIME = "$datetime"
_ESCAPED = "$dict"  # a dict with a key that could be mistaken for a tag, as pairs


def encode_value(value: Any) -> Any:
    """A JSON-able form of ``value`` (JSON types and ``datetime``, nested).

    Raises:
        TypeError: a value of another type (it would not come back the same).
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, list):
        return [encode_value(item) for item in value]
    if isinstance(value, dict):
        if any(not isinstance(key, str) for key in value):
            raise TypeError(f"cannot save a dict with non-string keys: {value!r}")
        if any(key.startswith("$") for key in value):
            return {_ESCAPED: [[key, encode_value(item)] for key, item in value.items()]}
        return {key: encode_value(item) for key, item in value.items()}
    raise TypeError(f"cannot save a value of type {type(value).__name__}: {value!r}")


def decode_value(value: Any) -> Any:
    """The value ``encode_value`` was given."""
    if isinstance(value, list):
        return [decode_value(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1:
            if _DATETIME in value:
                return datetime.datetime.fromisoformat(value[_DATETIME])
            if _ESCAPED in value:
                return {key: decode_value(item) for key, item in value[_ESCAPED]}
        return {key: decode_value(item) for key, item in value.items()}
    return value


# -- events and operations ----------------------------------------------------------------


def encode_event(event: dict[str, Any]) -> Any:
    return encode_value(event)


def decode_event(data: Any) -> dict[str, Any]:
    event: dict[str, Any] = decode_value(data)
    return event


def encode_operation(operation: Operation) -> Any:
    return encode_value(operation.to_dict())


def decode_operation(data: Any) -> Operation:
    return Operation.from_dict(decode_value(data))


# -- triggers and timers ------------------------------------------------------------------


class TriggerKind(enum.StrEnum):
    """The saved tag of each trigger type."""

    EXECUTION_TIMEOUT = "ExecutionTimeout"
    STEP_RETRY_DUE = "StepRetryDue"
    WAIT_ENDED = "WaitEnded"
    RESOLVE_INVOKE = "ResolveInvoke"
    CALLBACK_DEADLINE = "CallbackDeadline"


def _error(error: ErrorObject | None) -> dict[str, Any] | None:
    return None if error is None else error.to_dict()


def _unerror(data: dict[str, Any] | None) -> ErrorObject | None:
    return None if data is None else ErrorObject.from_dict(data)


def encode_trigger(trigger: Trigger) -> dict[str, Any]:
    match trigger:
        case ExecutionTimeout(arn):
            return {"kind": TriggerKind.EXECUTION_TIMEOUT.value, "arn": arn}
        case StepRetryDue(arn, operation_id):
            kind = TriggerKind.STEP_RETRY_DUE.value
            return {"kind": kind, "arn": arn, "operation_id": operation_id}
        case WaitEnded(arn, operation_id, seconds):
            return {
                "kind": TriggerKind.WAIT_ENDED.value,
                "arn": arn,
                "operation_id": operation_id,
                "seconds": seconds,
            }
        case ResolveInvoke(arn, operation_id, status, result, error):
            return {
                "kind": TriggerKind.RESOLVE_INVOKE.value,
                "arn": arn,
                "operation_id": operation_id,
                "status": status.value,
                "result": result,
                "error": _error(error),
            }
        case CallbackDeadline(callback_id, deadline):
            return {
                "kind": TriggerKind.CALLBACK_DEADLINE.value,
                "callback_id": callback_id,
                "deadline": deadline.name,
            }
        case _:
            assert_never(trigger)


def decode_trigger(data: Mapping[str, Any]) -> Trigger:
    """Raises: ValueError: an unknown trigger kind or deadline (a newer store's data)."""
    kind = TriggerKind(data["kind"])
    match kind:
        case TriggerKind.EXECUTION_TIMEOUT:
            return ExecutionTimeout(data["arn"])
        case TriggerKind.STEP_RETRY_DUE:
            return StepRetryDue(data["arn"], data["operation_id"])
        case TriggerKind.WAIT_ENDED:
            return WaitEnded(data["arn"], data["operation_id"], data["seconds"])
        case TriggerKind.RESOLVE_INVOKE:
            return ResolveInvoke(
                data["arn"],
                data["operation_id"],
                OperationStatus(data["status"]),
                data["result"],
                _unerror(data["error"]),
            )
        case TriggerKind.CALLBACK_DEADLINE:
            return CallbackDeadline(data["callback_id"], Deadline[data["deadline"]])
        case _:
            assert_never(kind)


@attrs.frozen
class SavedTimer:
    """A live service timer as data: when, what it says, what it fires, in which order."""

    when: float
    seq: int
    description: str
    trigger: Trigger
    keeps_alive: bool = True

    @classmethod
    def of(cls, timer: Timer) -> SavedTimer | None:
        """``None`` for a timer without a trigger (the runner's own; a store skips them)."""
        if timer.trigger is None:
            return None
        return cls(timer.when, timer.seq, timer.description, timer.trigger, timer.keeps_alive)

    def effect(self) -> ScheduleTimer:
        """The timer as the service schedules it: a callback's deadline and an execution's
        timeout under their keys, so a heartbeat or a pause can replace them."""
        key = (
            self.trigger if isinstance(self.trigger, CallbackDeadline | ExecutionTimeout) else None
        )
        return ScheduleTimer(self.when, self.description, self.trigger, self.keeps_alive, key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "seq": self.seq,
            "description": self.description,
            "trigger": encode_trigger(self.trigger),
            "keeps_alive": self.keeps_alive,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SavedTimer:
        return cls(
            float(data["when"]),
            int(data["seq"]),
            data["description"],
            decode_trigger(data["trigger"]),
            bool(data["keeps_alive"]),
        )


@attrs.frozen
class SavedCallback:
    """A callback id and where it points (``CallbackRegistry``'s entry)."""

    callback_id: str
    entry: CallbackEntry

    def to_dict(self) -> dict[str, Any]:
        return {
            "callback_id": self.callback_id,
            "arn": self.entry.arn,
            "operation_id": self.entry.operation_id,
            "heartbeat_seconds": self.entry.heartbeat_seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SavedCallback:
        entry = CallbackEntry(data["arn"], data["operation_id"], int(data["heartbeat_seconds"]))
        return cls(data["callback_id"], entry)


# -- the record ---------------------------------------------------------------------------


def _encode_pause(pause: PauseRequest) -> dict[str, Any]:
    return {
        "requested": encode_value(pause.requested),
        "reason": pause.reason,
        "execution_timeout_paused": pause.execution_timeout_paused,
    }


def _decode_pause(data: Mapping[str, Any]) -> PauseRequest:
    return PauseRequest(
        decode_value(data["requested"]), data["reason"], bool(data["execution_timeout_paused"])
    )


def _encode_client_tokens(seen: Mapping[str, tuple[str, float]]) -> dict[str, list[Any]]:
    return {key: [parameters, when] for key, (parameters, when) in seen.items()}


def _decode_client_tokens(data: Mapping[str, list[Any]]) -> dict[str, tuple[str, float]]:
    return {key: (parameters, float(when)) for key, (parameters, when) in data.items()}


def _optional(
    encode: Callable[[Any], Any], decode: Callable[[Any], Any]
) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    def encoder(value: Any) -> Any:
        return None if value is None else encode(value)

    def decoder(value: Any) -> Any:
        return None if value is None else decode(value)

    return encoder, decoder


def _same(value: Any) -> Any:
    return value


_PLAIN = (_same, _same)
_DATETIME_CODEC = (encode_value, decode_value)

# Attribute -> (encode, decode); each saved under its attribute's name.
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "arn": _PLAIN,
    "function_name": _PLAIN,
    "execution_name": _PLAIN,
    "invocation_id": _PLAIN,
    "start": _DATETIME_CODEC,
    "input_payload": _PLAIN,
    "execution_timeout": _PLAIN,
    "status": (lambda status: status.value, ExecutionStatus),
    "sequence": _PLAIN,
    "pause": _optional(_encode_pause, _decode_pause),
    "timeout_at": _PLAIN,
    "timeout_held": _PLAIN,
    "cut_by_pause": _PLAIN,
    "client_tokens": (_encode_client_tokens, _decode_client_tokens),
    "result": _PLAIN,
    "error": _optional(ErrorObject.to_dict, ErrorObject.from_dict),
    "termination_reason": _PLAIN,
    "end": _DATETIME_CODEC,
    # The token counter: tokens issued after a restart must differ from every earlier one.
    "_token_seq": _PLAIN,
    "token": _PLAIN,
    "invoking": _PLAIN,
    "invocations": _PLAIN,
    "failed_invocations": _PLAIN,
    "updated_operation_ids": (sorted, set),
    "needs_invocation": _PLAIN,
    "parent": _optional(list, tuple),
    "trace_header": _PLAIN,
    "checkpointed_outcome": _optional(OperationUpdate.to_dict, OperationUpdate.from_dict),
}

#: Attributes saved in the execution's own row.
RECORD_FIELDS: tuple[str, ...] = tuple(_CODECS)

#: Of those, the ones fixed when the execution starts (the constructor's arguments): a store
#: writes them once, so the input payload (up to 256 KiB) is not rewritten at every save.
CREATION_FIELDS: tuple[str, ...] = (
    "arn",
    "function_name",
    "execution_name",
    "invocation_id",
    "start",
    "input_payload",
    "execution_timeout",
)

#: Attributes saved as rows of their own, so that a save writes only what changed.
SAVED_AS_ROWS: Mapping[str, str] = {
    "operations": "one row per operation, upserted by id",
    "history": "one row per event, appended: history is append-only",
}

#: Attributes not saved, and why.
NOT_PERSISTED: Mapping[str, str] = {
    "invocation_records": (
        "the details of the history's InvocationCompleted events (the same dicts): "
        "rebuilt from the history on restore"
    ),
    "callback_actions": (
        "a test runner's declared callback answers, which may be functions; "
        "a server's executions have none"
    ),
    "hook_events": "plugin hook calls a test runner records in-process, for one test's result",
}

_CHANGING = tuple(name for name in RECORD_FIELDS if name not in CREATION_FIELDS)


def encode_record(record: ExecutionRecord, *, changing_only: bool = False) -> dict[str, Any]:
    """The record's own fields (``RECORD_FIELDS``), without operations or history; with
    ``changing_only``, without the ``CREATION_FIELDS`` either."""
    attributes = vars(record)
    names = _CHANGING if changing_only else RECORD_FIELDS
    return {name: _CODECS[name][0](attributes[name]) for name in names}


def decode_record(data: Mapping[str, Any]) -> ExecutionRecord:
    """A record with the saved fields, no operations and an empty history.

    Raises:
        KeyError: a field is missing (the data is not a saved record).
    """
    values = {name: decode(data[name]) for name, (_encode, decode) in _CODECS.items()}
    record = ExecutionRecord(*(values.pop(name) for name in CREATION_FIELDS))
    for name, value in values.items():
        setattr(record, name, value)
    return record
