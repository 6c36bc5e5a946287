"""Validating a checkpoint batch the way the service does, all of it before any effect.

Validation covers what the real service rejects with ``InvalidParameterValueException``:
actions allowed per operation type and status, an operation's type, subtype, name and parent
never changing, parents being contexts, the same id twice in a batch only as START then a
completion, and the size and count limits. A rejected batch changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord, Limits

__all__ = ["RESULTING_STATUS", "reject", "validate_batch"]

_ALLOWED_ACTIONS = {
    OperationType.STEP: {
        OperationAction.START,
        OperationAction.SUCCEED,
        OperationAction.FAIL,
        OperationAction.RETRY,
    },
    OperationType.CONTEXT: {OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL},
    OperationType.WAIT: {OperationAction.START, OperationAction.CANCEL},
    OperationType.CALLBACK: {OperationAction.START},
    OperationType.CHAINED_INVOKE: {OperationAction.START, OperationAction.CANCEL},
    OperationType.EXECUTION: {OperationAction.SUCCEED, OperationAction.FAIL},
}

# Which status an operation must be in for each action (None = the operation is new).
_FROM_STATUS: dict[tuple[OperationType, OperationAction], frozenset[OperationStatus | None]] = {
    (OperationType.STEP, OperationAction.START): frozenset({None, OperationStatus.READY}),
    (OperationType.STEP, OperationAction.SUCCEED): frozenset(
        {None, OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.STEP, OperationAction.FAIL): frozenset(
        {None, OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.STEP, OperationAction.RETRY): frozenset(
        {OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.CONTEXT, OperationAction.START): frozenset({None}),
    (OperationType.CONTEXT, OperationAction.SUCCEED): frozenset({None, OperationStatus.STARTED}),
    (OperationType.CONTEXT, OperationAction.FAIL): frozenset({None, OperationStatus.STARTED}),
    (OperationType.WAIT, OperationAction.START): frozenset({None}),
    (OperationType.WAIT, OperationAction.CANCEL): frozenset({OperationStatus.STARTED}),
    (OperationType.CALLBACK, OperationAction.START): frozenset({None}),
    (OperationType.CHAINED_INVOKE, OperationAction.START): frozenset({None}),
    (OperationType.CHAINED_INVOKE, OperationAction.CANCEL): frozenset({OperationStatus.STARTED}),
}

RESULTING_STATUS = {
    OperationAction.START: OperationStatus.STARTED,
    OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
    OperationAction.FAIL: OperationStatus.FAILED,
    OperationAction.RETRY: OperationStatus.PENDING,
    OperationAction.CANCEL: OperationStatus.CANCELLED,
}


class _Where:
    """Names an update in an error message; formatted only if there is an error."""

    __slots__ = ("index", "update")

    def __init__(self, index: int, update: OperationUpdate) -> None:
        self.index = index
        self.update = update

    def __str__(self) -> str:
        u = self.update
        return f"update {self.index} (Id={u.operation_id}, {u.operation_type} {u.action})"


def reject(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


# Keys, id, type, action, parent, name and options of one update, generously: the batch
# limit is checked on this estimate rather than by encoding every update to JSON.
_UPDATE_OVERHEAD_BYTES = 512


def _estimated_size(update: OperationUpdate) -> int:
    size = _UPDATE_OVERHEAD_BYTES
    if update.payload is not None:
        size += len(update.payload.encode())
    if update.error is not None:
        size += _json_size(update.error.to_dict())
    return size


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def validate_batch(record: ExecutionRecord, limits: Limits, updates: list[OperationUpdate]) -> None:
    """Raise ``InvalidParameterValueException`` for the first rule the batch breaks."""
    seen: dict[str, tuple[OperationUpdate, OperationStatus | None]] = {}
    batch_bytes = 0
    new_ops = 0
    for index, update in enumerate(updates):
        kind = update.operation_type
        action = update.action
        where = _Where(index, update)
        if action not in _ALLOWED_ACTIONS.get(kind, ()):
            raise reject(f"Invalid action for the given operation type: {where}")
        if kind is OperationType.EXECUTION:
            if index != len(updates) - 1:
                raise reject(f"an EXECUTION update must be the last of its batch: {where}")
            continue
        batch_bytes += _estimated_size(update)
        _check_sizes(limits, update, where)
        existing = record.operations.get(update.operation_id)
        if update.operation_id in seen:
            first, status = seen[update.operation_id]
            if not (
                first.action is OperationAction.START
                and action is not OperationAction.START
                and kind in (OperationType.STEP, OperationType.CONTEXT)
            ):
                raise reject(
                    f"an operation may appear twice in a batch only as START then a "
                    f"completion of a STEP or CONTEXT: {where}"
                )
            reference: OperationUpdate | Operation | None = first
        else:
            status = existing.status if existing else None
            reference = existing
            if existing is None:
                new_ops += 1
        allowed = _FROM_STATUS.get((kind, action), frozenset())
        if status not in allowed:
            found = status.value if status else "no operation"
            raise reject(f"Invalid {action.value} of {kind.value} in status {found}: {where}")
        if reference is not None:
            _check_consistent(update, reference, where)
        _check_parent(record, update, seen, where)
        _check_content(update, where)
        seen[update.operation_id] = (update, RESULTING_STATUS[action])
    if batch_bytes > limits.max_batch_bytes:
        raise reject(
            f"checkpoint request is {batch_bytes} bytes; the limit is "
            f"{limits.max_batch_bytes} bytes"
        )
    if len(record.operations) - 1 + new_ops > limits.max_operations:
        raise reject(f"the execution would have more than {limits.max_operations} operations")


def _check_sizes(limits: Limits, update: OperationUpdate, where: _Where) -> None:
    if update.payload is not None:
        size = len(update.payload.encode())
        limit = limits.max_operation_payload_bytes
        if size > limit:
            raise reject(
                f"{update.operation_type.value} output payload size must be less than or "
                f"equal to {limit} bytes (got {size}): {where}"
            )
    if update.error is not None:
        size = _json_size(update.error.to_dict())
        if size > limits.max_error_bytes:
            raise reject(
                f"error payload is {size} bytes; the limit is {limits.max_error_bytes}: {where}"
            )


def _check_consistent(
    update: OperationUpdate, reference: OperationUpdate | Operation, where: _Where
) -> None:
    pairs = (
        ("Type", update.operation_type, reference.operation_type),
        ("SubType", update.sub_type, reference.sub_type),
        ("Name", update.name, reference.name),
        ("ParentId", update.parent_id, reference.parent_id),
    )
    for field, new, old in pairs:
        if new is not None and old is not None and new != old:
            raise reject(
                f"Inconsistent operation {field}: checkpointed {old!s}, update has {new!s}: {where}"
            )


def _check_parent(
    record: ExecutionRecord,
    update: OperationUpdate,
    seen: dict[str, tuple[OperationUpdate, OperationStatus | None]],
    where: _Where,
) -> None:
    if not update.parent_id:
        return
    parent = record.operations.get(update.parent_id)
    parent_type = parent.operation_type if parent else None
    if parent is None and update.parent_id in seen:
        parent_type = seen[update.parent_id][0].operation_type
    if parent_type is not OperationType.CONTEXT:
        raise reject(f"ParentId {update.parent_id} is not a CONTEXT operation: {where}")


def _check_content(update: OperationUpdate, where: _Where) -> None:
    action = update.action
    if action is OperationAction.FAIL and update.payload is not None:
        raise reject(f"a FAIL update must not carry a Payload: {where}")
    if action is OperationAction.SUCCEED and update.error is not None:
        raise reject(f"a SUCCEED update must not carry an Error: {where}")
    if action is OperationAction.RETRY:
        if update.step_options is None:
            raise reject(f"a RETRY update needs StepOptions: {where}")
        if update.payload is not None and update.error is not None:
            raise reject(f"a RETRY update carries a Payload or an Error, not both: {where}")
    if (
        update.operation_type is OperationType.WAIT
        and action is OperationAction.START
        and update.wait_options is None
    ):
        raise reject(f"a WAIT START needs WaitOptions: {where}")
