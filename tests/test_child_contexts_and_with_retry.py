"""Child contexts (results, failures, large results) and ``with_retry`` through the runner."""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    ChildContextError,
    DurableContext,
    Duration,
    durable_execution,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import ChildConfig, JitterStrategy
from aws_durable_execution_sdk_python.retries import (
    RetryStrategyConfig,
    WithRetryConfig,
    create_retry_strategy,
    with_retry,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

BODY_RUNS: list[str] = []


def run(handler: Any) -> Any:
    BODY_RUNS.clear()
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input={}, timeout=10)


@durable_with_child_context
def block(child: DurableContext, n: int) -> dict[str, int]:
    BODY_RUNS.append("block")
    return {"double": child.step(lambda _: n * 2, name="double")}


@durable_execution
def stored_result(event: Any, context: DurableContext) -> Any:
    value = context.run_in_child_context(block(21))
    context.wait(Duration.from_seconds(5))
    return value


def test_a_completed_child_context_replays_from_its_stored_result() -> None:
    result = run(stored_result)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == {"double": 42}
    assert BODY_RUNS == ["block"]  # the second invocation did not run the body again
    context = result.get_context("block")
    assert context.result == {"double": 42}
    assert [op.name for op in context.child_operations] == ["double"]
    assert context.child_operations[0].parent_id == context.operation_id


BIG = "x" * (300 * 1024)


@durable_execution
def large_result(event: Any, context: DurableContext) -> int:
    def big(child: DurableContext) -> str:
        BODY_RUNS.append("big")
        return BIG

    value = context.run_in_child_context(
        big, name="big", config=ChildConfig(summary_generator=lambda r: f"{len(r)} chars")
    )
    context.wait(Duration.from_seconds(1))
    return len(value)


def test_a_result_over_the_limit_is_summarised_and_children_rerun_on_replay() -> None:
    result = run(large_result)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == len(BIG)
    assert BODY_RUNS == ["big", "big"]  # replayed by re-running the body
    [succeeded] = [
        e for e in result.history if e["EventType"] == "ContextSucceeded" and e.get("Name") == "big"
    ]
    assert succeeded["ContextSucceededDetails"]["Result"]["Payload"] == f"{len(BIG)} chars"


class Refused(Exception):
    pass


@durable_execution
def failing_child(event: Any, context: DurableContext) -> Any:
    def body(child: DurableContext) -> None:
        BODY_RUNS.append("body")
        raise Refused("no")

    caught = []
    try:
        context.run_in_child_context(body, name="fails")
    # Also a ChildContextError: docs/decisions.md, "A failed step raises its original error".
    except Refused as error:
        caught.append((type(error).__name__, isinstance(error, ChildContextError), str(error)))
    context.wait(Duration.from_seconds(1))
    return caught


def test_a_failed_child_context_raises_the_same_error_on_replay() -> None:
    result = run(failing_child)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert BODY_RUNS == ["body"]
    assert result.result == [["ChildContextError", True, "no"]]
    assert result.get_context("fails").error.type == f"{__name__}.Refused"


ATTEMPTS: list[int] = []


@durable_execution
def retried_block(event: Any, context: DurableContext) -> str:
    def attempt(ctx: DurableContext, number: int) -> str:
        ATTEMPTS.append(number)
        value = ctx.step(lambda _: number, name=f"try-{number}")
        if value < 3:
            raise RuntimeError(f"attempt {value} failed")
        return f"ok on {value}"

    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=4, initial_delay_seconds=10, jitter_strategy=JitterStrategy.NONE
        )
    )
    return with_retry(context, attempt, WithRetryConfig(retry_strategy=strategy), name="fetch")


def test_with_retry_retries_a_block_with_durable_backoff() -> None:
    ATTEMPTS.clear()
    result = run(retried_block)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "ok on 3"
    fetch = result.get_context("fetch")
    names = [op.name for op in fetch.child_operations]
    assert names == ["try-1", "fetch-backoff-1", "try-2", "fetch-backoff-2", "try-3"]
    waits = [e for e in result.history if e["EventType"] == "WaitStarted"]
    assert [w["WaitStartedDetails"]["Duration"] for w in waits] == [10, 20]
    # Replays re-run the loop, but each attempt's step ran once.
    assert sorted(set(ATTEMPTS)) == [1, 2, 3]


@durable_execution
def exhausted_retries(event: Any, context: DurableContext) -> Any:
    def attempt(ctx: DurableContext, number: int) -> str:
        raise ValueError(f"attempt {number}")

    strategy = create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay_seconds=1, jitter_strategy="NONE")
    )
    return with_retry(context, attempt, WithRetryConfig(retry_strategy=strategy), name="x")


def test_with_retry_surfaces_the_last_failure_as_a_child_context_error() -> None:
    result = run(exhausted_retries)
    assert result.status is InvocationStatus.FAILED
    assert "ValueError" in str(result.error)
    assert result.error["message"] == "attempt 2"


def test_with_retry_rejects_a_non_callable() -> None:
    from aws_durable_execution_sdk_python import ValidationError

    with pytest.raises(ValidationError):
        with_retry(object(), "not callable")  # type: ignore[arg-type]
