"""Where the engine reports to plugins; every function is a no-op without a dispatcher.

Info objects are built only for hooks some plugin implements, so an execution with no
plugins pays one ``None`` check per reporting point and nothing else.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from aws_durable_execution_sdk_python._model.enums import OperationStatus
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.info import (
    OperationChangeInfo,
    OperationEndInfo,
    OperationStartInfo,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python._plugins.snapshots import OperationsSnapshot
from aws_durable_execution_sdk_python.identifier import OperationIdentifier

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python._state.execution_state import ExecutionState

__all__ = [
    "operation_started",
    "operations_merged",
    "replay_reached",
    "user_function_ended",
    "user_function_started",
]


def operation_started(state: ExecutionState, update: OperationUpdate) -> None:
    plugins = state.plugins
    if plugins is None or not plugins.wants["on_operation_start"]:
        return
    if update.operation_id in state.operations:
        return  # a re-START (a retry): replay_reached reported this operation already
    info = OperationStartInfo(
        operation_id=update.operation_id,
        operation_type=update.operation_type,
        sub_type=update.sub_type,
        name=update.name,
        parent_id=update.parent_id,
        is_replayed=False,
    )
    plugins.emit("on_operation_start", info)


def replay_reached(state: ExecutionState, op: Operation) -> None:
    """Replay met a checkpointed operation: re-report it if it is still in flight, or end it
    if it finished while the function was suspended."""
    plugins = state.plugins
    if plugins is None:
        return
    if not op.status.is_terminal:
        if plugins.wants["on_operation_start"]:
            start = OperationStartInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_start", start)
    elif (
        plugins.wants["on_operation_end"]
        and op.operation_id in state.updated_operation_ids
        and state.mark_ended(op.operation_id)
    ):
        plugins.emit("on_operation_end", OperationEndInfo.from_operation(op))
    elif plugins.wants_replay:
        # Finished in an earlier invocation: only plugins that asked for replay events.
        start = OperationStartInfo.from_operation(op, is_replayed=True)
        plugins.emit("on_operation_start", start, replay=True)
        end = OperationEndInfo.from_operation(op, is_replayed=True)
        plugins.emit("on_operation_end", end, replay=True)


def operations_merged(
    state: ExecutionState,
    operations: list[Operation],
    previous: dict[str, OperationStatus | None],
) -> None:
    """A checkpoint response arrived: report terminal operations and what changed."""
    plugins = state.plugins
    if plugins is None:
        return
    if plugins.wants["on_operation_end"]:
        for op in operations:
            if op.status.is_terminal and state.mark_ended(op.operation_id):
                plugins.emit("on_operation_end", OperationEndInfo.from_operation(op))
    if plugins.wants["on_operation_change"]:
        changed = {
            op.operation_id: op
            for op in operations
            if previous.get(op.operation_id) is not op.status
        }
        if changed:
            info = OperationChangeInfo(
                execution_arn=state.durable_execution_arn,
                updated_operations=OperationsSnapshot(changed),
                operations=state.operations_view(),  # this moment, however long it is kept
            )
            plugins.emit("on_operation_change", info)


def _user_fields(
    state: ExecutionState, identifier: OperationIdentifier, attempt: int | None
) -> dict[str, Any]:
    op = state.operations.get(identifier.operation_id)
    return {
        "operation_id": identifier.operation_id,
        "operation_type": identifier.operation_type,
        "sub_type": identifier.sub_type,
        "name": identifier.name,
        "parent_id": identifier.parent_id,
        "start_time": op.start_timestamp if op is not None else None,
        # Replayed: checkpointed before this invocation, not by this invocation's own START.
        "is_replayed": identifier.operation_id in state.replayed_ids,
        "status": op.status if op is not None else None,
        "attempt": attempt,
        "is_replay_children": bool(
            op is not None and op.context_details and op.context_details.replay_children
        ),
    }


def user_function_started(
    state: ExecutionState, identifier: OperationIdentifier, attempt: int | None = None
) -> None:
    plugins = state.plugins
    if plugins is not None and plugins.wants["on_user_function_start"]:
        info = UserFunctionStartInfo(**_user_fields(state, identifier, attempt))
        plugins.emit("on_user_function_start", info)


def user_function_ended(
    state: ExecutionState,
    identifier: OperationIdentifier,
    succeeded: bool,
    attempt: int | None = None,
) -> None:
    plugins = state.plugins
    if plugins is not None and plugins.wants["on_user_function_end"]:
        info = UserFunctionEndInfo(
            **_user_fields(state, identifier, attempt),
            end_time=datetime.datetime.now(datetime.UTC),
            outcome=UserFunctionOutcome.SUCCEEDED if succeeded else UserFunctionOutcome.FAILED,
        )
        plugins.emit("on_user_function_end", info)
