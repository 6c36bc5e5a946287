"""What ``map`` and ``parallel`` return."""

from aws_durable_execution_sdk_python._concurrency.batch import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
)
from aws_durable_execution_sdk_python._concurrency.policy import (
    CompletionPolicy,
    CompletionReason,
)

__all__ = ["BatchItem", "BatchItemStatus", "BatchResult", "CompletionPolicy", "CompletionReason"]
