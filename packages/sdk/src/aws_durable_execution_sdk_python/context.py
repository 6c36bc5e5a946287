"""The context handed to durable handlers, and the decorators that name durable callables."""

from aws_durable_execution_sdk_python._context import DurableContext
from aws_durable_execution_sdk_python._decorators import durable_step
from aws_durable_execution_sdk_python.types import StepContext

__all__ = ["DurableContext", "StepContext", "durable_step"]
