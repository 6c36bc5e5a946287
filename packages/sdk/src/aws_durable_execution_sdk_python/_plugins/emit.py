"""Where the engine reports to plugins; every function is a no-op without a dispatcher.

Info objects are built only for hooks some plugin implements, so an execution with no
plugins pays one ``None`` check per reporting point and nothing else.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import attrs

from aws_durable_execution_sdk_python._model.enums import OperationStatus
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.info import (
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    OperationsView,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
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
    existing = state.operations.get(update.operation_id)
    if existing is not None:
        info = OperationStartInfo(
            **_fields(OperationInfo.from_operation(existing, is_replayed=True))
        )
    else:
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
            info = OperationInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_start", OperationStartInfo(**_fields(info)))
    elif (
        op.operation_id in state.updated_operation_ids
        and state.mark_ended(op.operation_id)
        and plugins.wants["on_operation_end"]
    ):
        info = OperationInfo.from_operation(op)
        plugins.emit("on_operation_end", OperationEndInfo(**_fields(info)))


def operations_merged(
    state: ExecutionState,
    operations: Iterable[Operation],
    previous: dict[str, OperationStatus | None],
) -> None:
    """A checkpoint response arrived: report terminal operations and what changed."""
    plugins = state.plugins
    if plugins is None:
        return
    changed = {}
    for op in operations:
        if previous.get(op.operation_id) is not op.status:
            changed[op.operation_id] = op
        if (
            op.status.is_terminal
            and state.mark_ended(op.operation_id)
            and plugins.wants["on_operation_end"]
        ):
            info = OperationInfo.from_operation(op)
            plugins.emit("on_operation_end", OperationEndInfo(**_fields(info)))
    if changed and plugins.wants["on_operation_change"]:
        plugins.emit(
            "on_operation_change",
            OperationChangeInfo(
                execution_arn=state.durable_execution_arn,
                updated_operations={k: OperationInfo.from_operation(v) for k, v in changed.items()},
                # A snapshot: an info describes its moment even when kept after its hook.
                operations=OperationsView(dict(state.operations)),
            ),
        )


def _user_info(
    state: ExecutionState, identifier: OperationIdentifier, attempt: int | None
) -> UserFunctionStartInfo:
    op = state.operations.get(identifier.operation_id)
    replay_children = bool(op and op.context_details and op.context_details.replay_children)
    return UserFunctionStartInfo(
        operation_id=identifier.operation_id,
        operation_type=identifier.operation_type,
        sub_type=identifier.sub_type,
        name=identifier.name,
        parent_id=identifier.parent_id,
        start_time=op.start_timestamp if op is not None else None,
        # Replayed: checkpointed before this invocation, not by this invocation's own START.
        is_replayed=identifier.operation_id in state.replayed_ids,
        status=op.status if op is not None else None,
        attempt=attempt,
        is_replay_children=replay_children,
    )


def user_function_started(
    state: ExecutionState, identifier: OperationIdentifier, attempt: int | None = None
) -> None:
    plugins = state.plugins
    if plugins is not None and plugins.wants["on_user_function_start"]:
        plugins.emit("on_user_function_start", _user_info(state, identifier, attempt))


def user_function_ended(
    state: ExecutionState,
    identifier: OperationIdentifier,
    succeeded: bool,
    attempt: int | None = None,
) -> None:
    plugins = state.plugins
    if plugins is not None and plugins.wants["on_user_function_end"]:
        base = _user_info(state, identifier, attempt)
        plugins.emit(
            "on_user_function_end",
            UserFunctionEndInfo(
                **_fields(base, "end_time"),
                end_time=datetime.datetime.now(datetime.UTC),
                outcome=UserFunctionOutcome.SUCCEEDED if succeeded else UserFunctionOutcome.FAILED,
            ),
        )


def _fields(info: OperationInfo, *exclude: str) -> dict[str, Any]:
    """An info's fields, to build a more specific info from it."""
    return {
        a.name: getattr(info, a.name) for a in attrs.fields(type(info)) if a.name not in exclude
    }
