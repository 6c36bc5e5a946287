"""Durable functions for AWS Lambda: long-running, failure-proof workflows as plain Python."""

from aws_durable_execution_sdk_python._concurrency.batch import BatchResult
from aws_durable_execution_sdk_python._context import DurableContext
from aws_durable_execution_sdk_python._decorators import (
    durable_parallel_branch,
    durable_step,
    durable_wait_for_callback,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python._execution import durable_execution
from aws_durable_execution_sdk_python._operations.callback import Callback
from aws_durable_execution_sdk_python.config import Duration, ParallelBranch
from aws_durable_execution_sdk_python.exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    CheckpointError,
    ChildContextError,
    DurableExecutionsError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
    InvokeError,
    NonDeterministicExecutionError,
    PluginLoadError,
    SerDesError,
    StepError,
    StepInterruptedError,
    TerminationReason,
    UnrecoverableError,
    ValidationError,
    WaitForConditionError,
)
from aws_durable_execution_sdk_python.retries import WithRetryConfig, with_retry
from aws_durable_execution_sdk_python.types import StepContext

__version__ = "0.1.0"

__all__ = [
    "BatchResult",
    "Callback",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "ChildContextError",
    "DurableContext",
    "DurableExecutionsError",
    "DurableOperationError",
    "Duration",
    "ExecutionError",
    "InvocationError",
    "InvokeError",
    "NonDeterministicExecutionError",
    "ParallelBranch",
    "PluginLoadError",
    "SerDesError",
    "StepContext",
    "StepError",
    "StepInterruptedError",
    "TerminationReason",
    "UnrecoverableError",
    "ValidationError",
    "WaitForConditionError",
    "WithRetryConfig",
    "__version__",
    "durable_execution",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
    "with_retry",
]
