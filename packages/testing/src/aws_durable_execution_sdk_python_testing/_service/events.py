"""The history event builder: which event an operation's change appends, as an effect.

Event types are botocore's: the operation type's prefix and what happened to it
(``StepSucceeded``, ``WaitStarted``, ``ChainedInvokeTimedOut``...).
"""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import Operation, OperationType
from aws_durable_execution_sdk_python_testing._service.effects import AppendEvent

__all__ = ["event"]

_EVENT_PREFIX = {
    OperationType.STEP: "Step",
    OperationType.CONTEXT: "Context",
    OperationType.WAIT: "Wait",
    OperationType.CALLBACK: "Callback",
    OperationType.CHAINED_INVOKE: "ChainedInvoke",
}


def event(
    op: Operation, suffix: str, details: dict[str, Any], when: datetime.datetime
) -> AppendEvent:
    """``<Type><suffix>`` for ``op``, to be appended to its execution's history."""
    return AppendEvent(f"{_EVENT_PREFIX[op.operation_type]}{suffix}", when, details, op)
