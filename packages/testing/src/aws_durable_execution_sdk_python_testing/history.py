"""Saved execution histories: the JSON file format, the loader, and what a replay reports.

A history is saved in the shape of the service's ``GetDurableExecutionHistory`` response
(``{"Events": [...]}``, botocore member names), so a file written by
``result.save_history(path)`` and a response fetched from the real service with boto3 are
the same kind of fixture. Timestamps are written as ISO 8601 text in UTC with a ``Z``
(``2026-01-02T03:04:05.123456Z``), the format the service model documents for
``EventTimestamp``; the loader also takes the datetimes boto3 returns and epoch seconds.

``runner.replay(history)`` (see ``_replay``) runs the current handler against one of these
and returns a :class:`ReplayReport`.
"""

from __future__ import annotations

import datetime
import enum
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import attrs

from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.lambda_service import OperationSubType, OperationType
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = [
    "Divergence",
    "DivergenceKind",
    "ExecutionHistory",
    "HasHistory",
    "HistorySource",
    "InvalidHistoryError",
    "OperationShape",
    "ReplayReport",
    "history_to_json",
    "load_history",
    "save_history",
]

#: botocore's ``EventType`` enum (``GetDurableExecutionHistory``), all 26 members.
EVENT_TYPES = frozenset(
    {
        "ExecutionStarted",
        "ExecutionSucceeded",
        "ExecutionFailed",
        "ExecutionTimedOut",
        "ExecutionStopped",
        "ContextStarted",
        "ContextSucceeded",
        "ContextFailed",
        "WaitStarted",
        "WaitSucceeded",
        "WaitCancelled",
        "StepStarted",
        "StepSucceeded",
        "StepFailed",
        "ChainedInvokeStarted",
        "ChainedInvokeSucceeded",
        "ChainedInvokeFailed",
        "ChainedInvokeTimedOut",
        "ChainedInvokeStopped",
        "CallbackStarted",
        "CallbackSucceeded",
        "CallbackFailed",
        "CallbackTimedOut",
        "InvocationCompleted",
        "ExecutionPaused",
        "ExecutionResumed",
    }
)
_TERMINAL_EXECUTION_EVENTS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionStopped"}
)
_ISO = "%Y-%m-%dT%H:%M:%S.%fZ"
# Events of these operations need their ``Id`` to be replayed; the execution's and the
# invocations' events do not (``Id`` is optional in the service model).
_OPERATION_PREFIXES = ("Step", "Wait", "Context", "Callback", "ChainedInvoke")


class InvalidHistoryError(DurableFunctionsTestError, ValidationError):
    """What was given as a history is not one this runner can replay (the message says why)."""


@attrs.frozen
class ExecutionHistory:
    """The events of one execution, in order, with timestamps as aware datetimes."""

    events: tuple[Mapping[str, Any], ...]

    @property
    def is_complete(self) -> bool:
        """The execution had ended (succeeded, failed, timed out or stopped)."""
        return any(e["EventType"] in _TERMINAL_EXECUTION_EVENTS for e in self.events)

    @property
    def final_event(self) -> Mapping[str, Any] | None:
        """The event that ended the execution, if it ended."""
        ends = [e for e in self.events if e["EventType"] in _TERMINAL_EXECUTION_EVENTS]
        return ends[-1] if ends else None

    def to_json(self, indent: int | None = 2) -> str:
        return history_to_json(self.events, indent=indent)


def history_to_json(events: Iterable[Mapping[str, Any]], indent: int | None = 2) -> str:
    """``{"Events": [...]}`` as JSON text, timestamps as ISO 8601 UTC (``...Z``)."""
    return json.dumps({"Events": [_jsonable(e) for e in events]}, indent=indent) + "\n"


def save_history(events: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> None:
    """Write ``history_to_json(events)`` to ``path`` (UTF-8)."""
    with open(path, "w", encoding="utf-8") as out:
        out.write(history_to_json(events))


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
        return aware.astimezone(datetime.UTC).strftime(_ISO)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# -- loading ---------------------------------------------------------------------------------


class HasHistory(Protocol):
    """What carries its events as ``history`` (``DurableFunctionTestResult``)."""

    @property
    def history(self) -> list[dict[str, Any]]: ...


#: A saved file's path, a response (or its pages), events, or a result.
HistorySource = (
    str
    | os.PathLike[str]
    | Mapping[str, Any]
    | Sequence[Mapping[str, Any]]
    | ExecutionHistory
    | HasHistory
)


def load_history(source: HistorySource) -> ExecutionHistory:
    """Read a history: a path to a saved file, a ``GetDurableExecutionHistory`` response
    (boto3's, with datetimes), a list of such pages in order, a list of events
    (``result.history``) or a runner's result itself.

    Raises:
        InvalidHistoryError: the file cannot be read or parsed, it is no durable-execution
            history, it is empty, a page is missing, or it was fetched without execution
            data.
    """
    if isinstance(source, ExecutionHistory):
        return source
    recorded = getattr(source, "history", None)
    if isinstance(recorded, list):  # a DurableFunctionTestResult
        source = recorded
    if isinstance(source, str | os.PathLike):
        source = _read(source)
    events = _events_of(source)
    if not events:
        raise InvalidHistoryError("the history has no events: nothing to replay")
    checked = [_check_event(index, event) for index, event in enumerate(events)]
    if all(isinstance(e.get("EventId"), int) for e in checked):
        # ReverseOrder=True pages, or pages concatenated out of order: put them back.
        checked.sort(key=lambda e: int(e["EventId"]))
    first = checked[0]["EventType"]
    if first != "ExecutionStarted":
        raise InvalidHistoryError(
            f"the history starts with {first!r}, not 'ExecutionStarted': it is not the whole "
            "history (fetch every page, from the first, and concatenate them)"
        )
    for event in checked:
        _refuse_truncated(event)
    return ExecutionHistory(tuple(checked))


def _read(path: str | os.PathLike[str]) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise InvalidHistoryError(f"cannot read the history file {str(path)!r}: {error}") from None
    except ValueError as error:
        raise InvalidHistoryError(f"{str(path)!r} is not JSON: {error}") from None


def _events_of(source: Any) -> list[Mapping[str, Any]]:
    if isinstance(source, Mapping):
        return _page_events(source, last=True)
    if isinstance(source, Sequence) and not isinstance(source, str | bytes):
        items = list(source)
        if items and all(isinstance(i, Mapping) and "Events" in i for i in items):
            events: list[Mapping[str, Any]] = []
            for number, page in enumerate(items):
                events.extend(_page_events(page, last=number == len(items) - 1))
            return events
        return items
    raise InvalidHistoryError(
        f"a history is a file path, a GetDurableExecutionHistory response or a list of "
        f"events; got {type(source).__name__}"
    )


def _page_events(page: Mapping[str, Any], *, last: bool) -> list[Mapping[str, Any]]:
    if "Events" not in page:
        hint = (
            " (this looks like a Step Functions history: lowercase 'events')"
            if "events" in page
            else ""
        )
        raise InvalidHistoryError(
            "not a GetDurableExecutionHistory response: it has no 'Events' member; "
            f"its keys: {sorted(map(str, page))}{hint}"
        )
    events = page["Events"]
    if not isinstance(events, list):
        raise InvalidHistoryError(f"'Events' must be a list, got {type(events).__name__}")
    if last and page.get("NextMarker"):
        raise InvalidHistoryError(
            f"the last page has NextMarker={page['NextMarker']!r}: the history continues; "
            "fetch every page and pass them all (a list of responses, in order)"
        )
    return events


def _check_event(index: int, event: Any) -> dict[str, Any]:
    where = f"event {index}"
    if not isinstance(event, Mapping):
        raise InvalidHistoryError(f"{where} is a {type(event).__name__}, not an object")
    event_type = event.get("EventType")
    if event_type is None:
        raise InvalidHistoryError(
            f"{where} has no 'EventType' (keys: {sorted(map(str, event))}): this is not a "
            "durable-execution history event"
        )
    if event_type not in EVENT_TYPES:
        raise InvalidHistoryError(f"{where} has an unknown EventType {event_type!r}")
    copy = dict(event)
    try:
        copy["EventTimestamp"] = _timestamp(event.get("EventTimestamp"))
        details_key = f"{event_type}Details"
        details = event.get(details_key)
        if isinstance(details, Mapping):
            copy[details_key] = {
                k: _timestamp(v) if k.endswith("Timestamp") else v for k, v in details.items()
            }
    except (TypeError, ValueError) as error:
        raise InvalidHistoryError(f"{where} ({event_type}): {error}") from None
    if event_type.startswith(_OPERATION_PREFIXES) and not isinstance(event.get("Id"), str):
        raise InvalidHistoryError(f"{where} ({event_type}) has no operation 'Id'")
    return copy


def _timestamp(value: Any) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)  # botocore: seconds
    if isinstance(value, str):
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)
    raise TypeError(f"not a timestamp: {value!r}")


def _refuse_truncated(event: Mapping[str, Any]) -> None:
    details = event.get(f"{event['EventType']}Details")
    if not isinstance(details, Mapping):
        return
    for field in ("Input", "Result"):
        data = details.get(field)
        if isinstance(data, Mapping) and data.get("Truncated") and "Payload" not in data:
            raise InvalidHistoryError(
                f"event {event.get('EventId')} ({event['EventType']}) has no {field} payload: "
                "the history was fetched without execution data; fetch it with "
                "IncludeExecutionData=True to replay it"
            )


# -- what a replay reports -------------------------------------------------------------------


@attrs.frozen
class OperationShape:
    """What replay compares of an operation: its id, type, subtype and name."""

    operation_id: str
    operation_type: OperationType | str
    sub_type: OperationSubType | str | None = None
    name: str | None = None

    def __str__(self) -> str:
        kind = getattr(self.operation_type, "value", self.operation_type)
        sub = getattr(self.sub_type, "value", self.sub_type)
        label = f"{kind}/{sub}" if sub else str(kind)
        named = f" {self.name!r}" if self.name else " (unnamed)"
        return f"{label}{named} (id {self.operation_id})"


class DivergenceKind(enum.Enum):
    """How the current code departed from the recorded execution."""

    #: At a recorded operation's id the code ran another type, subtype or name.
    MISMATCH = "mismatch"
    #: The code started an operation the recorded execution does not have.
    UNEXPECTED_OPERATION = "unexpected operation"
    #: The code finished without reaching a recorded operation.
    MISSING_OPERATION = "missing operation"
    #: The code reached every recorded operation but ended otherwise.
    DIFFERENT_OUTCOME = "different outcome"


@attrs.frozen
class Divergence:
    """The first place where the current code departs from the recorded execution."""

    kind: DivergenceKind
    operation_id: str | None
    expected: str
    found: str
    hint: str = ""

    def __str__(self) -> str:
        where = f" (operation {self.operation_id})" if self.operation_id else ""
        text = f"{self.kind.value}{where}: expected {self.expected}, found {self.found}"
        return f"{text} ({self.hint})" if self.hint else text


@attrs.frozen
class ReplayReport:
    """The outcome of ``runner.replay(history)``: ``ok``, or the first ``divergence``."""

    divergence: Divergence | None = None
    operations_replayed: int = 0
    complete: bool = True

    @property
    def ok(self) -> bool:
        return self.divergence is None

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.divergence is None:
            upto = "the end of the execution" if self.complete else "the recorded point"
            return (
                f"replay ok: {self.operations_replayed} recorded operations reached, up to {upto}"
            )
        return f"replay diverged from the saved history: {self.divergence}"
