"""``ExecutionState``: the operations of one execution as this invocation sees them.

Operations are kept by id in a dict (O(1) replay lookups); the state changes only through
checkpoint responses, never by polling. Two failures are *sticky* here: a non-determinism or
a checkpoint failure found by one operation fails the invocation's outcome even if user code
catches the exception (ruling 7).
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python._model.invocation import DurableExecutionInvocationInput
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.emit import operation_started, operations_merged
from aws_durable_execution_sdk_python._plugins.snapshots import OperationsSnapshot
from aws_durable_execution_sdk_python._service.client import DurableServiceClient
from aws_durable_execution_sdk_python._state.checkpointer import Checkpointer
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    GetExecutionStateError,
    InvalidStateError,
    NonDeterministicExecutionError,
)

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python._plugins.manager import PluginDispatcher

__all__ = ["ExecutionState"]


class ExecutionState:
    """Checkpointed operations by id, the checkpointer, and the invocation's sticky failure."""

    def __init__(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        operations: list[Operation],
        client: DurableServiceClient,
        updated_operation_ids: list[str] | None = None,
    ) -> None:
        self.durable_execution_arn = durable_execution_arn
        self.operations: dict[str, Operation] = {op.operation_id: op for op in operations}
        # Ids known when the invocation began: the logger is silent while re-walking them.
        self.replayed_ids = frozenset(self.operations)
        self.updated_operation_ids = frozenset(updated_operation_ids or ())
        self.execution_operation_id = durable_execution_arn.rsplit("/", 1)[-1]
        self.checkpointer = Checkpointer(
            client, durable_execution_arn, checkpoint_token, self._merge
        )
        self._lock = threading.Lock()
        self.fatal_error: BaseException | None = None
        self.plugins: PluginDispatcher | None = None
        self._views: list[weakref.ref[OperationsSnapshot]] = []
        # Operations whose end was reported to plugins (or that ended before this
        # invocation and were not updated since): each end is reported once per execution.
        self._ended = {
            op.operation_id
            for op in operations
            if op.status.is_terminal and op.operation_id not in self.updated_operation_ids
        }

    @classmethod
    def load(
        cls, invocation: DurableExecutionInvocationInput, client: DurableServiceClient
    ) -> ExecutionState:
        """Build the state from the event, paging in the operations it could not carry."""
        operations = list(invocation.initial_execution_state.operations)
        marker = invocation.initial_execution_state.next_marker
        while marker:
            try:
                page = client.get_execution_state(
                    invocation.durable_execution_arn, invocation.checkpoint_token, marker
                )
            except BotoClientError:
                raise
            except Exception as error:
                raise GetExecutionStateError(f"GetDurableExecutionState failed: {error}") from error
            operations.extend(page.operations)
            marker = page.next_marker or ""
        return cls(
            invocation.durable_execution_arn,
            invocation.checkpoint_token,
            operations,
            client,
            invocation.updated_operation_ids,
        )

    def _merge(self, operations: list[Operation]) -> None:
        if self.plugins is None:
            with self._lock:
                for op in operations:
                    self.operations[op.operation_id] = op
            return
        previous: dict[str, OperationStatus | None] = {}
        track = self.plugins.wants["on_operation_change"]
        with self._lock:
            if any(ref() is not None for ref in self._views):
                # A kept view shares this dict: copy on write so it keeps its moment.
                self.operations = dict(self.operations)
            self._views.clear()
            for op in operations:
                if track:
                    old = self.operations.get(op.operation_id)
                    previous[op.operation_id] = old.status if old is not None else None
                self.operations[op.operation_id] = op
        operations_merged(self, operations, previous)

    def operations_view(self) -> OperationsSnapshot:
        """The operations as they are now, for a hook info (see ``_plugins.snapshots``)."""
        with self._lock:
            view = OperationsSnapshot(self.operations)
            self._views.append(weakref.ref(view))
            return view

    def mark_ended(self, operation_id: str) -> bool:
        """Record that an operation's end was reported; ``False`` if it already was."""
        if operation_id in self._ended:
            return False
        self._ended.add(operation_id)  # an operation ends in one thread, once
        return True

    def get(self, operation_id: str) -> Operation | None:
        return self.operations.get(operation_id)

    @property
    def execution_operation(self) -> Operation:
        op = self.operations.get(self.execution_operation_id)
        if op is None or op.operation_type is not OperationType.EXECUTION:
            raise InvalidStateError(
                f"the checkpointed state has no EXECUTION operation with id "
                f"{self.execution_operation_id!r} (the last segment of the execution ARN)"
            )
        return op

    def has_prior_operations(self) -> bool:
        return any(op_id != self.execution_operation_id for op_id in self.replayed_ids)

    # -- checkpointing -------------------------------------------------------------------

    def enqueue(self, update: OperationUpdate) -> None:
        self._raise_if_stopped()
        if self.plugins is not None and update.action is OperationAction.START:
            operation_started(self, update)
        self.checkpointer.enqueue(update)

    def commit(self, update: OperationUpdate | None = None) -> None:
        self._raise_if_stopped()
        if (
            self.plugins is not None
            and update is not None
            and update.action is OperationAction.START
        ):
            operation_started(self, update)
        try:
            self.checkpointer.commit(update)
        except BotoClientError as error:
            self.fatal_error = self.fatal_error or error
            raise

    def flush(self) -> None:
        self.checkpointer.flush()

    # -- sticky outcomes -----------------------------------------------------------------

    def fail_nondeterministic(self, error: NonDeterministicExecutionError) -> None:
        self.fatal_error = self.fatal_error or error
        raise error

    def _raise_if_stopped(self) -> None:
        if self.fatal_error is not None:
            raise self.fatal_error
