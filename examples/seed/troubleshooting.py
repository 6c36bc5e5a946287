"""Seed "Troubleshooting" (the step-related entries): retries exhausted, checkpoint size, chunks."""

import sys

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

# --- Step retries exhausted ----------------------------------------------------------------


def retries_exhausted_config() -> RetryStrategyConfig:
    """The seed's fix, verbatim."""
    # Ensure you're retrying the right errors
    retry_config = RetryStrategyConfig(
        max_attempts=5,  # Increase attempts
        retryable_error_types=[ConnectionError, TimeoutError],  # Add error types
    )
    return retry_config


ERRORS = {
    "ConnectionError": ConnectionError,
    "TimeoutError": TimeoutError,
    "ValueError": ValueError,
}


@durable_step
def check_inventory(step_context: StepContext, error: str, failures: int) -> dict:
    """Fails its first ``failures`` attempts with the exception class named ``error``."""
    if step_context.attempt <= failures:
        raise ERRORS[error](f"inventory check failed on attempt {step_context.attempt}")
    return {"in_stock": True, "attempt": step_context.attempt}


@durable_execution
def handler_retries(event: dict, context: DurableContext) -> dict:
    step_config = StepConfig(retry_strategy=create_retry_strategy(retries_exhausted_config()))
    return context.step(check_inventory(event["error"], event["failures"]), config=step_config)


# --- Checkpoint failed errors --------------------------------------------------------------

ITEM_COUNT = 4000


def process_data() -> dict:
    """A large result: about 400 KiB of items, over the 256 KiB per-operation payload limit."""
    items = [{"id": i, "blob": f"{i:08d}" * 12} for i in range(ITEM_COUNT)]
    return {"summary": {"first": items[0]["id"], "last": items[-1]["id"]}, "items": items}


# Reduce payload size by returning only necessary data
@durable_step
def large_operation(step_context: StepContext) -> dict:
    # Process large data
    large_result = process_data()

    # Return only summary, not full data
    return {"summary": large_result["summary"], "count": len(large_result["items"])}


@durable_step
def large_operation_full(step_context: StepContext) -> dict:
    """The problem the seed describes: the whole large result as the step's result."""
    return process_data()


@durable_execution
def handler_checkpoint(event: dict, context: DurableContext) -> dict:
    if event.get("full"):
        return {"items": len(context.step(large_operation_full())["items"])}
    return context.step(large_operation())


# --- Step interrupted errors ---------------------------------------------------------------


class ChunkLog:
    """Records each run of ``process_chunk``; the chunk starting at ``crash_at`` crashes once."""

    def __init__(self, crash_at: int | None = None) -> None:
        self.crash_at = crash_at
        self.runs: list[int] = []

    def record(self, chunk: list) -> None:
        self.runs.append(chunk[0])
        if chunk[0] == self.crash_at:
            self.crash_at = None
            sys.exit(1)  # as a Lambda timeout in the middle of the chunk would


CHUNKS = ChunkLog()


def process_chunk(chunk: list) -> list:
    CHUNKS.record(chunk)
    return [item * 2 for item in chunk]


# Break large operation into smaller steps
@durable_execution
def handler_chunks(event: dict, context: DurableContext) -> dict:
    # Process in chunks instead of all at once
    items = event["items"]
    chunk_size = 100

    results = []
    for i in range(0, len(items), chunk_size):
        chunk = items[i : i + chunk_size]
        result = context.step(lambda _, c=chunk: process_chunk(c), name=f"process_chunk_{i}")
        results.extend(result)

    return {"processed": len(results)}
