"""Seed "Troubleshooting": the fixes it proposes, shown against the problems they fix."""

import pytest

from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed import troubleshooting
from examples.seed.seed_history import assert_jittered, retry_delays
from examples.seed.troubleshooting import (
    ChunkLog,
    handler_checkpoint,
    handler_chunks,
    handler_retries,
)

# --- Step retries exhausted ----------------------------------------------------------------


@pytest.mark.parametrize("error", ["ConnectionError", "TimeoutError"])
@pytest.mark.durable_execution(handler=handler_retries, lambda_function_name="retries")
def test_listed_errors_get_five_attempts(durable_runner, error):
    with durable_runner:
        result = durable_runner.run(input={"error": error, "failures": 4}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"in_stock": True, "attempt": 5}
    # Default delays: 5 s initial, doubling, FULL jitter.
    assert_jittered(retry_delays(result, "check_inventory"), [5, 10, 20, 40], JitterStrategy.FULL)


@pytest.mark.durable_execution(handler=handler_retries, lambda_function_name="retries")
def test_retries_exhausted_after_five_attempts(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"error": "TimeoutError", "failures": 5}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert "TimeoutError" in str(result.error)
    assert result.error["message"] == "inventory check failed on attempt 5"
    assert result.get_step("check_inventory").attempt == 5


@pytest.mark.durable_execution(handler=handler_retries, lambda_function_name="retries")
def test_error_that_is_not_retryable_fails_at_once(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"error": "ValueError", "failures": 1}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ValueError"
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"
    assert result.get_step("check_inventory").attempt == 1
    assert retry_delays(result, "check_inventory") == []


# --- Checkpoint failed errors --------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_checkpoint, lambda_function_name="checkpoint")
def test_full_large_result_fails_with_checkpoint_error(durable_runner):
    """The problem: a step result over the 256 KiB payload limit cannot be checkpointed."""
    with durable_runner:
        result = durable_runner.run(input={"full": True}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "CheckpointError"
    assert result.error["termination_reason"] == "CHECKPOINT_FAILED"
    assert "payload size" in result.error["message"]
    assert result.invocation_count == 1  # a 4xx from the service: not retried


@pytest.mark.durable_execution(handler=handler_checkpoint, lambda_function_name="checkpoint")
def test_summary_only_result_is_checkpointed(durable_runner):
    """The fix: return only what later code needs."""
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    expected = {"summary": {"first": 0, "last": 3999}, "count": 4000}
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == expected
    step = result.get_step("large_operation")
    assert step.result == expected
    assert len(step.raw_result) < 1024


# --- Step interrupted errors ---------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler_chunks, lambda_function_name="chunks")
def test_items_processed_in_chunks_of_100(durable_runner, monkeypatch):
    chunks = ChunkLog()
    monkeypatch.setattr(troubleshooting, "CHUNKS", chunks)
    with durable_runner:
        result = durable_runner.run(input={"items": list(range(250))}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"processed": 250}
    assert chunks.runs == [0, 100, 200]
    assert result.get_step("process_chunk_0").result == [i * 2 for i in range(100)]
    assert result.get_step("process_chunk_200").result == [i * 2 for i in range(200, 250)]


@pytest.mark.durable_execution(handler=handler_chunks, lambda_function_name="chunks")
def test_interruption_redoes_only_the_interrupted_chunk(durable_runner, monkeypatch):
    chunks = ChunkLog(crash_at=200)
    monkeypatch.setattr(troubleshooting, "CHUNKS", chunks)
    with durable_runner:
        result = durable_runner.run(input={"items": list(range(250))}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"processed": 250}
    # Chunks 0 and 100 were checkpointed before the crash: replayed, not run again.
    assert chunks.runs == [0, 100, 200, 200]
    errors = [d.get("Error", {}).get("Payload", {}).get("ErrorType") for d in result.invocations]
    assert errors == ["Runtime.ExitError", None]


@pytest.mark.durable_execution(handler=handler_chunks, lambda_function_name="chunks")
def test_no_items_no_steps(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"items": []}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"processed": 0}
    assert result.get_all_operations() == []
