"""``DurableFunctionTestResult``: what a test asserts on after a run."""

from __future__ import annotations

import datetime
import functools
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import termination_reason_for
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python.lambda_service import Operation as WireOperation
from aws_durable_execution_sdk_python_testing._recorded import operations_from_history
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)
from aws_durable_execution_sdk_python_testing._timeline import (
    format_timeline,
    save_timeline,
    timeline_html,
)
from aws_durable_execution_sdk_python_testing._views import (
    Operation,
    OperationLookup,
    build_operations,
    decode_payload,
)
from aws_durable_execution_sdk_python_testing.history import (
    HistorySource,
    history_to_json,
    load_history,
    save_history,
)
from aws_durable_execution_sdk_python_testing.hooks import HookEvent

__all__ = ["DurableFunctionTestResult", "ExecutionErrorDetails"]

_ERROR_KEYS = ("error_type", "message", "termination_reason", "data", "stack_trace")


@attrs.frozen
class ExecutionErrorDetails(ErrorObject, Mapping[str, Any]):
    """The execution's error: the SDK's ``ErrorObject``, plus its termination reason.

    A subclass, so code written for the existing library (``isinstance(error,
    ErrorObject)``, ``error.message``, ``error.type``, ``error.to_dict()``) works unchanged,
    while the seed's reading also does: ``"error_type" in error``, ``error["message"]``,
    ``error["termination_reason"]`` and ``str(error)``, which names the error type. The
    termination reason is not a wire field, so ``to_dict()`` leaves it out.
    """

    termination_reason: str = ""

    @classmethod
    def from_error(
        cls, error: ErrorObject, termination_reason: str | None
    ) -> ExecutionErrorDetails:
        reason = termination_reason or termination_reason_for(error.type).value
        return cls(error.message, error.type, error.data, error.stack_trace, reason)

    @property
    def error_type(self) -> str | None:
        return self.type

    def to_error_object(self) -> ErrorObject:
        """The plain ``ErrorObject`` (e.g. to compare with one built by the test)."""
        return ErrorObject(self.message, self.type, self.data, self.stack_trace)

    def __getitem__(self, key: str) -> Any:
        if key not in _ERROR_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(_ERROR_KEYS)

    def __len__(self) -> int:
        return len(_ERROR_KEYS)

    def __str__(self) -> str:
        return f"{self.type}: {self.message} (termination_reason={self.termination_reason})"


@attrs.frozen(kw_only=True, slots=False)
class DurableFunctionTestResult(OperationLookup):
    """Outcome, result, error, operations and history of one execution."""

    status: InvocationStatus
    execution_status: str
    execution_arn: str
    result: Any = None
    raw_result: str | None = None
    error: ExecutionErrorDetails | None = None
    wire_operations: tuple[WireOperation, ...] = ()
    history: list[dict[str, Any]] = attrs.Factory(list)
    invocations: list[dict[str, Any]] = attrs.Factory(list)
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    hook_events: list[HookEvent] = attrs.Factory(list)

    @property
    def _operations(self) -> tuple[Operation, ...]:  # type: ignore[override]
        return tuple(self.operations)

    @functools.cached_property
    def operations(self) -> list[Operation]:
        """Top-level operations (children nested), built on first use: big runs pay only
        for what a test reads."""
        return build_operations(self.wire_operations)

    @property
    def termination_reason(self) -> str | None:
        return self.error.termination_reason if self.error else None

    @property
    def invocation_count(self) -> int:
        return len(self.invocations)

    def hooks(self, name: str) -> list[Any]:
        """The infos of every call of hook ``name`` (e.g. ``"on_operation_end"``), in order."""
        return [event.info for event in self.hook_events if event.hook == name]

    @classmethod
    def from_record(cls, record: ExecutionRecord) -> DurableFunctionTestResult:
        status = (
            InvocationStatus.SUCCEEDED
            if record.status is ExecutionStatus.SUCCEEDED
            else InvocationStatus.FAILED
            if record.is_terminal
            else InvocationStatus.PENDING
        )
        return cls(
            status=status,
            execution_status=record.status.value,
            execution_arn=record.arn,
            result=_decode_result(record.result),
            raw_result=record.result,
            error=(
                ExecutionErrorDetails.from_error(record.error, record.termination_reason)
                if record.error is not None
                else None
            ),
            wire_operations=tuple(record.operations.values()),
            history=list(record.history.events),
            invocations=list(record.invocation_records),
            start_timestamp=record.start,
            end_timestamp=record.end,
            hook_events=list(record.hook_events),
        )

    @classmethod
    def from_execution_history(
        cls, execution: Mapping[str, Any], history: HistorySource
    ) -> DurableFunctionTestResult:
        """The result of an execution read over the Lambda API: a ``GetDurableExecution``
        response (with execution data) and its whole ``GetDurableExecutionHistory`` (a
        response, its pages in order, or their events), as the cloud runner fetches them.

        Operations are rebuilt from the history, so ``get_step``, ``history``,
        ``save_history`` and the timelines work as for a local run; plugin hook events are
        not on the wire, so ``hook_events`` is empty.

        Raises:
            InvalidHistoryError: ``history`` is not a whole history with execution data.
        """
        events = load_history(history)
        status = str(execution.get("Status", ""))
        raw = execution.get("Result")
        error = execution.get("Error")
        operations = operations_from_history(events)
        return cls(
            status=_invocation_status(status),
            execution_status=status,
            execution_arn=str(execution.get("DurableExecutionArn", "")),
            result=_decode_result(raw),
            raw_result=raw,
            error=(
                ExecutionErrorDetails.from_error(
                    ErrorObject.from_dict(dict(error)), _CLOSING_REASONS.get(status)
                )
                if isinstance(error, Mapping)
                else None
            ),
            wire_operations=tuple(_with_execution_status(operations, status)),
            history=[dict(event) for event in events.events],
            invocations=[
                dict(event.get("InvocationCompletedDetails") or {})
                for event in events.events
                if event["EventType"] == "InvocationCompleted"
            ],
            start_timestamp=execution.get("StartTimestamp"),
            end_timestamp=execution.get("EndTimestamp"),
        )

    def history_json(self, indent: int | None = 2) -> str:
        """The history as JSON in the ``GetDurableExecutionHistory`` shape
        (``{"Events": [...]}``, timestamps ISO 8601 UTC), for ``runner.replay``."""
        return history_to_json(self.history, indent=indent)

    def save_history(self, path: str | os.PathLike[str]) -> None:
        """Save the history as a JSON fixture (``history_json()``) for ``runner.replay``."""
        save_history(self.history, path)

    def format_timeline(self) -> str:
        """A readable timeline of the history, in virtual time from the start."""
        return format_timeline(self.history)

    def timeline(self) -> str:
        """The text timeline (``format_timeline()``), as the CLI prints it."""
        return format_timeline(self.history)

    def timeline_html(self) -> str:
        """One self-contained HTML page with an SVG Gantt chart of the execution on its
        virtual clock (see ``save_timeline``)."""
        return timeline_html(self.history, self.execution_arn)

    def save_timeline(self, path: str | os.PathLike[str]) -> None:
        """Write ``timeline_html()`` to ``path``: open it in a browser, no network needed.

        One lane per operation, nested under its parent; attempts, retry delays, waits and
        callbacks as bars; invocations as bands; failures marked, their errors on hover;
        idle stretches over a minute compressed and labelled with their real length.

        Raises:
            OSError: ``path`` cannot be written.
        """
        save_timeline(self.history, path, self.execution_arn)


# Closings the service decides (not the handler's error): their reason is the status.
_CLOSING_REASONS = {"TIMED_OUT": "TIMED_OUT", "STOPPED": "STOPPED"}
_ENDED = frozenset({"FAILED", "TIMED_OUT", "STOPPED"})


def _invocation_status(status: str) -> InvocationStatus:
    if status == "SUCCEEDED":
        return InvocationStatus.SUCCEEDED
    return InvocationStatus.FAILED if status in _ENDED else InvocationStatus.PENDING


def _with_execution_status(operations: list[WireOperation], status: str) -> list[WireOperation]:
    """The history's rebuilt operations leave the execution STARTED (what a replay needs);
    a result shows it as it ended."""
    try:
        final = OperationStatus(status)
    except ValueError:  # RUNNING, PAUSED...: not an operation status; it is still going
        return operations
    return [
        attrs.evolve(op, status=final) if op.operation_type is OperationType.EXECUTION else op
        for op in operations
    ]


def _decode_result(raw: str | None) -> Any:
    if raw is None or raw == "":
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return decode_payload(raw)
