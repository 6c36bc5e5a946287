"""Small values handed to user code inside operations."""

from __future__ import annotations

from typing import Protocol

import attrs

from aws_durable_execution_sdk_python.logger import Logger

__all__ = [
    "LambdaContext",
    "OperationContext",
    "StepContext",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
]


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
