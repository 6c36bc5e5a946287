"""``wait``: a durable timer. START with the duration, suspend; the service completes it."""

from __future__ import annotations

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
)
from aws_durable_execution_sdk_python._model.update import WaitOptions
from aws_durable_execution_sdk_python._operations.replay import (
    checkpointed,
    suspend_until,
    update_for,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.identifier import OperationIdentifier

__all__ = ["run_wait"]


def run_wait(state: ExecutionState, identifier: OperationIdentifier, seconds: int) -> None:
    op = checkpointed(state, identifier)
    if op is None:
        state.commit(
            update_for(
                identifier,
                OperationAction.START,
                wait_options=WaitOptions(wait_seconds=seconds),
            )
        )
        op = state.get(identifier.operation_id)
    if op is not None and op.status is OperationStatus.SUCCEEDED:
        return
    scheduled = op.wait_details.scheduled_end_timestamp if op and op.wait_details else None
    raise suspend_until(f"wait {identifier.operation_id} runs for {seconds}s", scheduled)
