"""What the in-memory service decided, as data: the effects of one decision, and triggers.

A decision (a checkpoint batch, a callback answer, a timer that fired, an execution's end)
is computed by a function that reads state and never changes it; it returns a ``Decision``,
an ordered tuple of effects that the service alone carries out, one by one, in order. So
an effect can be inspected, recorded or interrupted between any two of them, and no
deciding module needs to know the service that applies it.

A ``Trigger`` is something the service reacts to with a new decision. A timer carries one
(``ScheduleTimer.trigger``) and fires it when due; ``ResolveInvoke`` is also an effect, for
an execution's end that completes its caller's chained-invoke operation at once.

This module imports only values: the SDK's wire model and the execution's status.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterator
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationStatus,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionStatus,
    PauseRequest,
)

__all__ = [
    "AnnounceCallback",
    "AppendEvent",
    "ArmCallback",
    "CallbackDeadline",
    "CancelTimer",
    "ChangeStatus",
    "CutInvocation",
    "Deadline",
    "Decision",
    "Effect",
    "EndExecution",
    "ExecutionTimeout",
    "MarkChanged",
    "RearmTimeout",
    "RecordOutcome",
    "RememberRequest",
    "ResolveInvoke",
    "ScheduleTimer",
    "StartChainedInvoke",
    "StepRetryDue",
    "StoreOperation",
    "TimerKey",
    "Trigger",
    "WaitEnded",
]


class Deadline(enum.Enum):
    """The two deadlines of a callback, with the error each one completes it with."""

    TIMEOUT = ("Callback.Timeout", "Callback timed out")
    HEARTBEAT = ("Callback.Heartbeat", "Callback timed out on heartbeat")

    @property
    def error_type(self) -> str:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


# -- triggers: what a timer fires -------------------------------------------------------


@attrs.frozen
class ExecutionTimeout:
    arn: str


@attrs.frozen
class StepRetryDue:
    arn: str
    operation_id: str


@attrs.frozen
class WaitEnded:
    arn: str
    operation_id: str
    seconds: int


@attrs.frozen
class ResolveInvoke:
    """A chained invoke's outcome reaches the caller's operation (``arn`` is the caller)."""

    arn: str
    operation_id: str
    status: OperationStatus
    result: str | None = None
    error: ErrorObject | None = None


@attrs.frozen
class CallbackDeadline:
    """A callback's timeout or heartbeat timeout; also the key its timer is kept under."""

    callback_id: str
    deadline: Deadline


Trigger = ExecutionTimeout | StepRetryDue | WaitEnded | ResolveInvoke | CallbackDeadline
#: What a replaceable timer is kept under: a callback's deadline, an execution's timeout.
TimerKey = CallbackDeadline | ExecutionTimeout

# -- effects ------------------------------------------------------------------------------


@attrs.frozen
class AppendEvent:
    """Append one event to the execution's history (``History.append``'s arguments)."""

    event_type: str
    timestamp: datetime.datetime
    details: dict[str, Any]
    operation: Operation | None = None


@attrs.frozen
class StoreOperation:
    """Put ``operation`` in the execution's operations, replacing one of the same id."""

    operation: Operation


@attrs.frozen
class ScheduleTimer:
    """Add a timer; one with a ``key`` first cancels the live timer under that key."""

    when: float
    description: str
    trigger: Trigger
    keeps_alive: bool = True
    key: TimerKey | None = None


@attrs.frozen
class CancelTimer:
    """Cancel the live timer under ``key``, if there is one."""

    key: TimerKey


@attrs.frozen
class ArmCallback:
    """Make a callback id answerable: it locates its execution and operation from now on."""

    callback_id: str
    operation_id: str
    heartbeat_seconds: int


@attrs.frozen
class AnnounceCallback:
    """Tell the runner a callback exists (declared answers become timers then)."""

    operation: Operation


@attrs.frozen
class StartChainedInvoke:
    """Start the target of a chained invoke, then append ``started`` naming it.

    The target's ARN is only known once the runner has started it, so the caller's
    ``ChainedInvokeStarted`` event travels here and gets its ``DurableExecutionArn`` then.
    """

    operation: Operation
    function_name: str
    payload: str | None
    tenant_id: str | None
    started: AppendEvent
    #: The X-Ray header the target starts with; ``None``: it inherits the caller's.
    trace_header: str | None = None


@attrs.frozen
class RecordOutcome:
    """An EXECUTION SUCCEED/FAIL update the SDK checkpointed (a result over the limit)."""

    update: OperationUpdate


@attrs.frozen
class MarkChanged:
    """Something the execution waits on changed: it needs another invocation."""

    operation_id: str | None = None


@attrs.frozen
class EndExecution:
    """The execution's end: its status, outcome and end time."""

    status: ExecutionStatus
    end: datetime.datetime
    result: str | None = None
    error: ErrorObject | None = None
    termination_reason: str | None = None


@attrs.frozen
class ChangeStatus:
    """The execution's status changes without ending it (a pause, a resume).

    ``pause`` is the pause in force from now on (``None`` once resumed). An execution that
    becomes ``RUNNING`` while something already waits for an invocation is queued again.
    """

    status: ExecutionStatus
    pause: PauseRequest | None = None


@attrs.frozen
class RearmTimeout:
    """Move the execution timeout's timer to ``when``.

    With ``held`` a pause holds the timeout with that many seconds left, and ``when`` is
    only the bound no pause extends (366 days after the start).
    """

    when: float
    held: float | None = None


@attrs.frozen
class CutInvocation:
    """A pause took effect during an invocation: its later checkpoints are refused, its
    outcome is ignored, and it is invoked again once resumed."""


@attrs.frozen
class RememberRequest:
    """An idempotent request with a ClientToken, so that its repeat changes nothing."""

    key: str
    parameters: str
    when: float


Effect = (
    AppendEvent
    | StoreOperation
    | ScheduleTimer
    | CancelTimer
    | ArmCallback
    | AnnounceCallback
    | StartChainedInvoke
    | RecordOutcome
    | MarkChanged
    | EndExecution
    | ResolveInvoke
    | ChangeStatus
    | RearmTimeout
    | CutInvocation
    | RememberRequest
)


@attrs.frozen
class Decision:
    """The effects of one decision on the execution ``arn``, in the order they apply."""

    arn: str
    effects: tuple[Effect, ...] = ()

    def __iter__(self) -> Iterator[Effect]:
        return iter(self.effects)

    def stored_operations(self) -> list[Operation]:
        """Each operation the decision stores, once, in its final state (first-touch order)."""
        stored: dict[str, Operation] = {}
        for effect in self.effects:
            if type(effect) is StoreOperation:
                stored[effect.operation.operation_id] = effect.operation
        return list(stored.values())
