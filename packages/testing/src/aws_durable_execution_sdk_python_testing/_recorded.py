"""The checkpointed operations of a saved history, rebuilt from its events.

The state is the one the service held after the last event: each operation's type,
subtype, name and parent from its first event, its status, result, error and attempt from
its latest one. The replay (``_replay``) hands this state to the handler as the
invocation's initial execution state.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    ChainedInvokeDetails,
    ContextDetails,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationStatus,
    OperationSubType,
    OperationType,
    StepDetails,
    WaitDetails,
)
from aws_durable_execution_sdk_python_testing.history import ExecutionHistory

__all__ = ["operations_from_history", "payload_of"]

_EXECUTION_ID = "execution"
_PREFIXES = (
    ("ChainedInvoke", OperationType.CHAINED_INVOKE),
    ("Execution", OperationType.EXECUTION),
    ("Context", OperationType.CONTEXT),
    ("Callback", OperationType.CALLBACK),
    ("Step", OperationType.STEP),
    ("Wait", OperationType.WAIT),
)
_STATUS = {
    "Started": OperationStatus.STARTED,
    "Succeeded": OperationStatus.SUCCEEDED,
    "Failed": OperationStatus.FAILED,
    "TimedOut": OperationStatus.TIMED_OUT,
    "Stopped": OperationStatus.STOPPED,
    "Cancelled": OperationStatus.CANCELLED,
}


@attrs.define
class _Draft:
    """One operation, folded from its events in order."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None
    name: str | None
    sub_type: OperationSubType | None
    start: datetime.datetime | None
    end: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None
    attempt: int = 0
    next_attempt: datetime.datetime | None = None
    scheduled_end: datetime.datetime | None = None
    callback_id: str = ""
    input_payload: str | None = None
    replay_children: bool = False

    def operation(self) -> Operation:
        kind = self.operation_type
        details: dict[str, Any] = {}
        if kind is OperationType.EXECUTION:
            details["execution_details"] = ExecutionDetails(self.input_payload)
        elif kind is OperationType.STEP:
            details["step_details"] = StepDetails(
                self.attempt, self.next_attempt, self.result, self.error
            )
        elif kind is OperationType.WAIT:
            details["wait_details"] = WaitDetails(self.scheduled_end)
        elif kind is OperationType.CALLBACK:
            details["callback_details"] = CallbackDetails(self.callback_id, self.result, self.error)
        elif kind is OperationType.CHAINED_INVOKE:
            details["chained_invoke_details"] = ChainedInvokeDetails(self.result, self.error)
        else:
            details["context_details"] = ContextDetails(
                self.replay_children, self.result, self.error
            )
        return Operation(
            operation_id=self.operation_id,
            operation_type=kind,
            status=self.status,
            parent_id=self.parent_id,
            name=self.name,
            start_timestamp=self.start,
            end_timestamp=self.end,
            sub_type=self.sub_type,
            **details,
        )


def _kind(event_type: str) -> tuple[OperationType, str] | None:
    for prefix, kind in _PREFIXES:
        if event_type.startswith(prefix):
            return kind, event_type[len(prefix) :]
    return None


def operations_from_history(history: ExecutionHistory) -> list[Operation]:
    """The operations as the service held them after the last event, in first-seen order."""
    drafts: dict[str, _Draft] = {}
    for event in history.events:
        found = _kind(event["EventType"])
        if found is None or found[1] not in _STATUS:
            continue  # InvocationCompleted, ExecutionPaused/Resumed: no operation changes
        kind, suffix = found
        when = event["EventTimestamp"]
        details = event.get(f"{event['EventType']}Details") or {}
        op_id = event.get("Id") or _EXECUTION_ID  # only the execution's events may lack it
        draft = drafts.get(op_id)
        if draft is None:
            sub_type = event.get("SubType")
            draft = drafts[op_id] = _Draft(
                op_id,
                kind,
                OperationStatus.STARTED,
                event.get("ParentId"),
                event.get("Name"),
                OperationSubType(sub_type) if sub_type else None,
                when,
            )
        if kind is OperationType.EXECUTION:
            # The execution stays STARTED: a replay invokes it as the service did, and its
            # recorded end is what the replay's outcome is compared with.
            if suffix == "Started":
                draft.input_payload = payload_of(details.get("Input"))
            continue
        _fold(draft, suffix, details, when)
    return [draft.operation() for draft in drafts.values()]


def _fold(draft: _Draft, suffix: str, details: Mapping[str, Any], when: Any) -> None:
    draft.status = _STATUS[suffix]
    retry = details.get("RetryDetails") or {}
    if "CurrentAttempt" in retry:
        draft.attempt = int(retry["CurrentAttempt"])
    if suffix == "Started":
        draft.end = None
        draft.next_attempt = None
        draft.scheduled_end = details.get("ScheduledEndTimestamp") or draft.scheduled_end
        draft.callback_id = details.get("CallbackId") or draft.callback_id
        return
    draft.end = when
    if "Result" in details:
        draft.result = payload_of(details["Result"])
        # The history does not carry ReplayChildren: a context whose result was too big to
        # checkpoint succeeds with an empty payload (no serialiser writes ""), and its
        # replay rebuilds the result by running the body again over its checkpoints.
        if draft.operation_type is OperationType.CONTEXT and draft.result == "":
            draft.replay_children = True
    if isinstance(details.get("Error"), Mapping):
        payload = details["Error"].get("Payload")
        draft.error = ErrorObject.from_dict(payload) if isinstance(payload, dict) else None
    delay = retry.get("NextAttemptDelaySeconds")
    if suffix == "Failed" and draft.operation_type is OperationType.STEP and delay is not None:
        # A failed attempt with a retry scheduled: the step waits for its next attempt.
        draft.status = OperationStatus.PENDING
        draft.end = None
        draft.next_attempt = when + datetime.timedelta(seconds=float(delay))


def payload_of(data: Any) -> str | None:
    return data.get("Payload") if isinstance(data, Mapping) else None
