"""Enumerations of the durable-execution API (values exactly as on the wire)."""

from __future__ import annotations

import enum

__all__ = [
    "CallbackTimeoutType",
    "InvocationStatus",
    "OperationAction",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
]


class OperationType(enum.StrEnum):
    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"

    @classmethod
    def from_sub_type(cls, sub_type: OperationSubType) -> OperationType:
        return _TYPE_OF_SUB_TYPE[sub_type]


class OperationSubType(enum.StrEnum):
    STEP = "Step"
    WAIT = "Wait"
    CALLBACK = "Callback"
    RUN_IN_CHILD_CONTEXT = "RunInChildContext"
    MAP = "Map"
    MAP_ITERATION = "MapIteration"
    PARALLEL = "Parallel"
    PARALLEL_BRANCH = "ParallelBranch"
    WAIT_FOR_CALLBACK = "WaitForCallback"
    WAIT_FOR_CONDITION = "WaitForCondition"
    CHAINED_INVOKE = "ChainedInvoke"


_TYPE_OF_SUB_TYPE = {
    OperationSubType.STEP: OperationType.STEP,
    OperationSubType.WAIT_FOR_CONDITION: OperationType.STEP,
    OperationSubType.WAIT: OperationType.WAIT,
    OperationSubType.CALLBACK: OperationType.CALLBACK,
    OperationSubType.CHAINED_INVOKE: OperationType.CHAINED_INVOKE,
    OperationSubType.RUN_IN_CHILD_CONTEXT: OperationType.CONTEXT,
    OperationSubType.MAP: OperationType.CONTEXT,
    OperationSubType.MAP_ITERATION: OperationType.CONTEXT,
    OperationSubType.PARALLEL: OperationType.CONTEXT,
    OperationSubType.PARALLEL_BRANCH: OperationType.CONTEXT,
    OperationSubType.WAIT_FOR_CALLBACK: OperationType.CONTEXT,
}


class OperationStatus(enum.StrEnum):
    STARTED = "STARTED"
    PENDING = "PENDING"
    READY = "READY"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)


class OperationAction(enum.StrEnum):
    START = "START"
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    RETRY = "RETRY"
    CANCEL = "CANCEL"


class CallbackTimeoutType(enum.StrEnum):
    TIMEOUT = "Callback.Timeout"
    HEARTBEAT = "Callback.Heartbeat"


class InvocationStatus(enum.StrEnum):
    """Outcome of one invocation (``RETRY`` is internal: the invocation itself failed)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"
