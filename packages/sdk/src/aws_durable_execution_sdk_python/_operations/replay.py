"""What every operation does first on replay: find its checkpoint and check it is the same op."""

from __future__ import annotations

import datetime
from typing import Any

from aws_durable_execution_sdk_python._model.enums import OperationAction
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.exceptions import (
    NonDeterministicExecutionError,
    SuspendExecution,
    TimedSuspendExecution,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.serdes import SerDes, deserialize

__all__ = ["checkpointed", "load_payload", "suspend", "suspend_until", "update_for"]


def load_payload(
    state: ExecutionState,
    identifier: OperationIdentifier,
    serdes: SerDes[Any] | None,
    payload: str | None,
) -> Any:
    """A checkpointed payload as a value (``None`` when nothing was stored)."""
    if payload is None:
        return None
    return deserialize(
        serdes, payload, identifier.operation_id, state.durable_execution_arn, identifier.name
    )


def update_for(
    identifier: OperationIdentifier, action: OperationAction, **fields: Any
) -> OperationUpdate:
    """The update of ``action`` for the operation at ``identifier`` (its type, subtype, name)."""
    return OperationUpdate(
        operation_id=identifier.operation_id,
        operation_type=identifier.operation_type,
        action=action,
        parent_id=identifier.parent_id,
        name=identifier.name,
        sub_type=identifier.sub_type,
        **fields,
    )


def _describe(type_: object, sub_type: object, name: str | None) -> str:
    return f"{type_}/{sub_type}" + (f" named {name!r}" if name else " (unnamed)")


def checkpointed(state: ExecutionState, identifier: OperationIdentifier) -> Operation | None:
    """The checkpoint at this id, after checking it records the same type, subtype and name.

    A mismatch means the code took another path than the one checkpointed: the execution
    fails with ``NonDeterministicExecutionError`` (docs/decisions.md, "Non-determinism is
    sticky").
    """
    op = state.operations.get(identifier.operation_id)
    if op is None:
        return None
    state.reporter.operation_replayed(op)
    if (
        op.operation_type is not identifier.operation_type
        or (op.sub_type is not None and op.sub_type is not identifier.sub_type)
        or (op.name or None) != (identifier.name or None)
    ):
        found = _describe(op.operation_type, op.sub_type, op.name)
        wanted = _describe(identifier.operation_type, identifier.sub_type, identifier.name)
        state.fail_nondeterministic(
            NonDeterministicExecutionError(
                f"non-deterministic execution at operation {identifier.operation_id}: the "
                f"checkpoint holds {found}, but this replay ran {wanted}. "
                "Code outside durable operations must take the same path on every replay: "
                "move random values, clocks and I/O into steps.",
                step_id=identifier.operation_id,
            )
        )
    return op


def suspend(reason: str) -> SuspendExecution:
    return SuspendExecution(reason)


def suspend_until(reason: str, when: datetime.datetime | None) -> SuspendExecution:
    if when is None:
        return SuspendExecution(reason)
    return TimedSuspendExecution(reason, when.timestamp())
