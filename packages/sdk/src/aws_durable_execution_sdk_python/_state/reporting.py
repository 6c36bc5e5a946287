"""What an invocation reports as it runs, for whoever listens; nobody, by default.

The state and the operations hand plain facts (an update about to be checkpointed, the
operations a response brought, a user function starting or ending) to an
``ExecutionReporter`` and never learn who listens. The plugins package implements one that
turns facts into hook calls; without plugins the ``SILENT`` reporter does nothing, so an
execution without plugins pays one call of an empty method per reporting point and builds
nothing. The protocol lives here, below its implementations, so that no import between the
state and the plugins closes a loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aws_durable_execution_sdk_python._model.enums import InvocationStatus
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python.identifier import OperationIdentifier

__all__ = ["SILENT", "ExecutionReporter", "SilentReporter"]


class ExecutionReporter(Protocol):
    """The facts of one invocation, in the order they happen."""

    def invocation_started(self) -> None:
        """The state is loaded; user code has not run yet."""

    def invocation_ended(
        self, status: InvocationStatus, error: ErrorObject | None, result: str | None = None
    ) -> None:
        """The invocation's output is built (returned ``result``, failed or suspended)."""

    def invocation_raised(self, error: BaseException) -> None:
        """The invocation ends by raising: Lambda fails it and invokes again."""

    def operation_starting(self, update: OperationUpdate) -> None:
        """A START update is about to be queued or sent."""

    def operation_replayed(self, op: Operation) -> None:
        """Replay reached an operation that is already checkpointed."""

    def operations_merged(self, operations: Sequence[Operation]) -> None:
        """A checkpoint response brought these operations; the state now holds them."""

    def user_function_started(self, identifier: OperationIdentifier, attempt: int | None) -> None:
        """User code (a step body, a check, a child context) is about to run."""

    def user_function_ended(
        self, identifier: OperationIdentifier, error: BaseException | None
    ) -> None:
        """That user code returned (``error`` is ``None``) or raised ``error``; a
        ``BaseException`` means it was cut short (the execution suspends)."""

    def checkpointless_ended(
        self, identifier: OperationIdentifier, error: BaseException | None, *, replayed: bool
    ) -> None:
        """A child context that has no checkpoint of its own (virtual, or run again to
        rebuild a result too large to checkpoint: ``replayed``) finished."""

    def chained_invoke_trace(
        self, identifier: OperationIdentifier, function_name: str
    ) -> str | None:
        """The trace header to send with a new chained invoke's START, if any."""


class SilentReporter:
    """The reporter of an execution nobody listens to: every fact is dropped."""

    __slots__ = ()

    def invocation_started(self) -> None:
        pass

    def invocation_ended(
        self, status: InvocationStatus, error: ErrorObject | None, result: str | None = None
    ) -> None:
        pass

    def invocation_raised(self, error: BaseException) -> None:
        pass

    def operation_starting(self, update: OperationUpdate) -> None:
        pass

    def operation_replayed(self, op: Operation) -> None:
        pass

    def operations_merged(self, operations: Sequence[Operation]) -> None:
        pass

    def user_function_started(self, identifier: OperationIdentifier, attempt: int | None) -> None:
        pass

    def user_function_ended(
        self, identifier: OperationIdentifier, error: BaseException | None
    ) -> None:
        pass

    def checkpointless_ended(
        self, identifier: OperationIdentifier, error: BaseException | None, *, replayed: bool
    ) -> None:
        pass

    def chained_invoke_trace(
        self, identifier: OperationIdentifier, function_name: str
    ) -> str | None:
        return None


SILENT: ExecutionReporter = SilentReporter()
