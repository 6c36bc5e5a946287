"""``ExecutionState``: the operations of one execution as this invocation sees them.

Operations are kept by id in a dict (O(1) replay lookups); the state changes only through
checkpoint responses, never by polling. Two failures are *sticky* here: a non-determinism or
a checkpoint failure found by one operation fails the invocation's outcome even if user code
catches the exception (docs/decisions.md, "Non-determinism is sticky"). What happens is
handed as plain facts to a reporter (``_state.reporting``); the state does not know who
listens.
"""

from __future__ import annotations

import threading

from aws_durable_execution_sdk_python._durability import StepDurability
from aws_durable_execution_sdk_python._model.enums import OperationAction, OperationType
from aws_durable_execution_sdk_python._model.invocation import DurableExecutionInvocationInput
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._service.client import DurableServiceClient
from aws_durable_execution_sdk_python._state.checkpointer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_START_FLUSH_WINDOW,
    Checkpointer,
)
from aws_durable_execution_sdk_python._state.reporting import SILENT, ExecutionReporter
from aws_durable_execution_sdk_python._state.step_faults import (
    StepFaultSource,
    current_step_faults,
)
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    GetExecutionStateError,
    InvalidStateError,
    NonDeterministicExecutionError,
)

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
        start_flush_window: float | None = None,
        *,
        step_durability: StepDurability = StepDurability.IMMEDIATE,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.durable_execution_arn = durable_execution_arn
        self.operations: dict[str, Operation] = {op.operation_id: op for op in operations}
        # Ids known when the invocation began: the logger is silent while re-walking them.
        self.replayed_ids = frozenset(self.operations)
        self.updated_operation_ids = frozenset(updated_operation_ids or ())
        self.execution_operation_id = durable_execution_arn.rsplit("/", 1)[-1]
        self.checkpointer = Checkpointer(
            client,
            durable_execution_arn,
            checkpoint_token,
            self._merge,
            start_flush_window=start_flush_window,
            batch_size=batch_size,
        )
        # The durability of steps whose StepConfig leaves it unset (``@durable_execution``).
        self.step_durability = step_durability
        self._lock = threading.Lock()
        self.fatal_error: BaseException | None = None
        # Who hears what happens (plugins); nobody unless the invocation hands one over.
        self.reporter: ExecutionReporter = SILENT
        # Failed attempts a test harness injects (``_state.step_faults``); read here, once,
        # so that every thread of the invocation sees the same source.
        self.step_faults: StepFaultSource | None = current_step_faults()

    @classmethod
    def load(
        cls,
        invocation: DurableExecutionInvocationInput,
        client: DurableServiceClient,
        start_flush_window: float | None = DEFAULT_START_FLUSH_WINDOW,
        *,
        step_durability: StepDurability = StepDurability.IMMEDIATE,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> ExecutionState:
        """Build the state from the event, paging in the operations it could not carry.

        ``start_flush_window``: how long a queued START may wait before it is sent on its
        own (``None`` or ``math.inf``: only with the next update that needs an answer).
        ``step_durability`` and ``batch_size``: the function's default for its steps, and
        how many held completions fill a batch.
        """
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
            start_flush_window,
            step_durability=step_durability,
            batch_size=batch_size,
        )

    def _merge(self, operations: list[Operation]) -> None:
        with self._lock:
            for op in operations:
                self.operations[op.operation_id] = op
        self.reporter.operations_merged(operations)

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
        if update.action is OperationAction.START:
            self.reporter.operation_starting(update)
        try:
            self.checkpointer.enqueue(update)
        except BotoClientError as error:  # a send of the flusher's failed: sticky too
            self.fatal_error = self.fatal_error or error
            raise

    def hold(self, update: OperationUpdate) -> None:
        """Queue an update of a batched step, to go with a later flush (``Checkpointer.hold``)."""
        self._raise_if_stopped()
        if update.action is OperationAction.START:
            self.reporter.operation_starting(update)
        try:
            self.checkpointer.hold(update)
        except BotoClientError as error:  # a full batch's send failed: sticky
            self.fatal_error = self.fatal_error or error
            raise

    def commit(self, update: OperationUpdate | None = None) -> None:
        self._raise_if_stopped()
        if update is not None and update.action is OperationAction.START:
            self.reporter.operation_starting(update)
        try:
            self.checkpointer.commit(update)
        except BotoClientError as error:
            self.fatal_error = self.fatal_error or error
            raise

    def flush(self) -> None:
        self.checkpointer.flush()

    def close(self) -> None:
        """The invocation is over: stop the checkpointer's flusher (no thread outlives it)."""
        self.checkpointer.close()

    # -- sticky outcomes -----------------------------------------------------------------

    def fail_nondeterministic(self, error: NonDeterministicExecutionError) -> None:
        self.fatal_error = self.fatal_error or error
        raise error

    def _raise_if_stopped(self) -> None:
        if self.fatal_error is not None:
            raise self.fatal_error
