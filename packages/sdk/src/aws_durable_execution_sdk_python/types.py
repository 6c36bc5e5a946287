"""Small values handed to user code inside operations, and the protocols lower layers see.

The ``DurableContext`` protocol lets the layers below the context (map/parallel, child
contexts, ``with_retry``) take and build contexts without importing the concrete class,
which imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import attrs

from aws_durable_execution_sdk_python.config import ChildConfig, Duration, StepConfig
from aws_durable_execution_sdk_python.logger import Logger

__all__ = [
    "DurableContext",
    "ExecutionContext",
    "LambdaContext",
    "OperationContext",
    "StepContext",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
]

T = TypeVar("T")


@attrs.frozen
class ExecutionContext:
    """What a handler may know about the execution it runs in (``context.execution_context``).

    One value for the whole invocation: the root context, its child contexts and every
    map/parallel item hold the same object. ``durable_execution_arn`` is the same in every
    invocation and replay of the execution, so it serves as an idempotency key for calls to
    other systems.
    """

    durable_execution_arn: str


@attrs.frozen
class OperationContext:
    logger: Logger


@attrs.frozen
class StepContext(OperationContext):
    """Given to a step body: a logger for this attempt, and the attempt number (from 1)."""

    attempt: int = 1


@attrs.frozen
class WaitForCallbackContext(OperationContext):
    """Given to a ``wait_for_callback`` submitter."""


@attrs.frozen
class WaitForConditionCheckContext(OperationContext):
    """Given to a ``wait_for_condition`` check: a logger and the attempt number (from 1)."""

    attempt: int = 1


class LambdaContext(Protocol):
    """The Lambda runtime's context object, as far as the SDK uses it."""

    aws_request_id: str
    function_name: str

    def get_remaining_time_in_millis(self) -> int: ...


class DurableContext(Protocol):
    """The operations of ``context.DurableContext`` that the SDK's own layers call."""

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T: ...

    def wait(self, duration: Duration | int, name: str | None = None) -> None: ...

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[T] | None = None,
    ) -> T: ...
