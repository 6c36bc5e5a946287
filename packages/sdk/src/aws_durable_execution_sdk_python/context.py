"""The context handed to durable handlers, and the decorators that name durable callables."""

from aws_durable_execution_sdk_python._context import DurableContext
from aws_durable_execution_sdk_python._decorators import (
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python._operations.callback import Callback
from aws_durable_execution_sdk_python.types import (
    ExecutionContext,
    StepContext,
    WaitForCallbackContext,
    WaitForConditionCheckContext,
)

__all__ = [
    "Callback",
    "DurableContext",
    "ExecutionContext",
    "StepContext",
    "WaitForCallbackContext",
    "WaitForConditionCheckContext",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
]
