"""One durable handler per parallel (8-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text, JavaScript names
read as their Python equivalents: "the ordered array of successful branch results" is
``BatchResult.get_results()``, "asks the batch result to rethrow" is ``throw_if_error()``,
and the projections are built from the ``BatchResult`` properties and accessors the text
names (``completion_reason``, ``status``, ``success_count`` ... ``succeeded()``,
``failed()``, ``get_errors()``, ``has_failure``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.concurrency.models import BatchResult
from aws_durable_execution_sdk_python.config import CompletionConfig, ParallelConfig
from aws_durable_execution_sdk_python.logger import Logger

__all__ = ["HANDLERS", "BranchError"]

Branch = Callable[[DurableContext], Any]


class BranchError(Exception):
    """What a failing branch raises."""


@durable_step
def constant(step_context: StepContext, value: Any) -> Any:
    return value


def returns(value: Any) -> Branch:
    """A branch that returns ``value`` directly, without an inner operation."""

    def branch(ctx: DurableContext) -> Any:
        return value

    return branch


def step_returning(value: Any) -> Branch:
    """A branch that runs a single step returning ``value``."""

    def branch(ctx: DurableContext) -> Any:
        return ctx.step(constant(value))

    return branch


def fails(index: int) -> Branch:
    """A branch that raises at once (no inner operation), so its context fails."""

    def branch(ctx: DurableContext) -> Any:
        raise BranchError(f"branch {index} failed")

    return branch


def sequential(**completion: Any) -> ParallelConfig:
    """Max-concurrency 1 (branches in index order) and the given completion config."""
    return ParallelConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


def projection(result: BatchResult[Any], *keys: str) -> dict[str, Any]:
    """The requirement's projection of a batch result, limited to ``keys``."""
    values = {
        "completionReason": result.completion_reason.value,
        "status": result.status.value,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "totalCount": result.total_count,
    }
    return {key: values[key] for key in keys}


@durable_execution
def parallel_basic(event: Any, context: DurableContext) -> list[Any]:  # 8-1
    result = context.parallel(
        [step_returning("task-1"), step_returning("task-2")],
        name="parallel",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()


@durable_execution
def parallel_unnamed(event: Any, context: DurableContext) -> list[Any]:  # 8-2
    result = context.parallel(
        [returns("alpha"), returns("beta")], config=ParallelConfig(max_concurrency=1)
    )
    return result.get_results()


@durable_execution
def parallel_heterogeneous(event: Any, context: DurableContext) -> list[Any]:  # 8-4
    result = context.parallel(
        [returns("hello"), returns(42), returns({"k": "v"})],
        name="hetero",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()


@durable_execution
def parallel_empty(event: Any, context: DurableContext) -> list[Any]:  # 8-5
    return context.parallel([], name="empty").get_results()


@durable_execution
def parallel_throw_if_error(event: Any, context: DurableContext) -> list[Any]:  # 8-7
    result = context.parallel(
        [fails(0), returns("never")],
        name="throwing",
        config=sequential(tolerated_failure_count=0),
    )
    result.throw_if_error()  # uncaught: the execution fails
    return result.get_results()


@durable_execution
def parallel_min_successful(event: Any, context: DurableContext) -> dict[str, Any]:  # 8-8
    result = context.parallel(
        [returns(f"b{i}") for i in range(4)],
        name="min-successful",
        config=sequential(min_successful=2),
    )
    return projection(result, "completionReason", "successCount", "totalCount")


_FAILURE_COUNTS = ("completionReason", "successCount", "failureCount", "totalCount")
_FULL_PROJECTION = ("completionReason", "status", "successCount", "failureCount", "totalCount")


@durable_execution
def parallel_tolerated_count_exceeded(event: Any, context: DurableContext) -> dict[str, Any]:
    # 8-10
    result = context.parallel(
        [fails(0), fails(1), returns("b2")],
        name="tolerated-exceeded",
        config=sequential(tolerated_failure_count=1),
    )
    return projection(result, *_FAILURE_COUNTS)


@durable_execution
def parallel_concurrent(event: Any, context: DurableContext) -> list[Any]:  # 8-11
    result = context.parallel(
        [returns("r0"), returns("r1"), returns("r2")],
        name="concurrent",
        config=ParallelConfig(max_concurrency=2),
    )
    return result.get_results()


@durable_execution
def parallel_tolerated_pct_exceeded(event: Any, context: DurableContext) -> dict[str, Any]:
    # 8-13
    result = context.parallel(
        [fails(0), fails(1), returns("b2"), returns("b3")],
        name="tolerated-pct",
        config=sequential(tolerated_failure_percentage=25),
    )
    return projection(result, *_FAILURE_COUNTS)


def _replay_logger(ctx: DurableContext) -> Logger:
    """A logger that also speaks while the context replays: shows every run of a body."""
    return ctx.logger.with_is_replaying(lambda: False)


def step_then_log(ctx: DurableContext) -> Any:
    _replay_logger(ctx).info("branch 0 ran")
    return ctx.step(constant("b0"))


def wait_then_return(ctx: DurableContext) -> str:
    _replay_logger(ctx).info("branch 1 ran")
    ctx.wait(Duration.from_seconds(2))
    return "b1"


@durable_execution
def parallel_replay(event: Any, context: DurableContext) -> list[Any]:  # 8-14
    result = context.parallel(
        [step_then_log, wait_then_return],
        name="replay",
        config=ParallelConfig(max_concurrency=1),
    )
    return result.get_results()


@durable_execution
def parallel_all_fail(event: Any, context: DurableContext) -> dict[str, Any]:  # 8-16
    result = context.parallel(
        [fails(0), fails(1), fails(2)],
        name="all-fail",
        config=sequential(tolerated_failure_count=3),
    )
    return projection(result, *_FULL_PROJECTION)


@durable_execution
def parallel_min_not_reached(event: Any, context: DurableContext) -> dict[str, Any]:  # 8-17
    result = context.parallel(
        [returns("b0"), fails(1), returns("b2")],
        name="min-not-reached",
        config=sequential(min_successful=3),
    )
    return projection(result, *_FULL_PROJECTION)


@durable_execution
def parallel_bad_concurrency(event: Any, context: DurableContext) -> list[Any]:  # 8-19
    # The invalid config is the call's argument: its ValidationError reaches the handler
    # before any operation starts, and is not caught.
    result = context.parallel(
        [returns("b0"), returns("b1")],
        name="bad-concurrency",
        config=ParallelConfig(max_concurrency=0),
    )
    return result.get_results()


@durable_execution
def parallel_accessors(event: Any, context: DurableContext) -> dict[str, Any]:  # 8-20
    result = context.parallel(
        [returns("b0"), fails(1), returns("b2")],
        name="accessors",
        config=sequential(tolerated_failure_count=1),
    )
    return {
        "hasFailure": result.has_failure,
        "successCount": len(result.succeeded()),
        "failureCount": len(result.failed()),
        "errorCount": len(result.get_errors()),
    }


@durable_execution
def parallel_pct_boundary(event: Any, context: DurableContext) -> dict[str, Any]:  # 8-22
    result = context.parallel(
        [fails(0), returns("b1"), returns("b2"), returns("b3")],
        name="pct-boundary",
        config=sequential(tolerated_failure_percentage=25),
    )
    return projection(result, *_FULL_PROJECTION)


HANDLERS: dict[str, Callable[..., Any]] = {
    "8-1": parallel_basic,
    "8-2": parallel_unnamed,
    "8-4": parallel_heterogeneous,
    "8-5": parallel_empty,
    "8-7": parallel_throw_if_error,
    "8-8": parallel_min_successful,
    "8-10": parallel_tolerated_count_exceeded,
    "8-11": parallel_concurrent,
    "8-13": parallel_tolerated_pct_exceeded,
    "8-14": parallel_replay,
    "8-16": parallel_all_fail,
    "8-17": parallel_min_not_reached,
    "8-19": parallel_bad_concurrency,
    "8-20": parallel_accessors,
    "8-22": parallel_pct_boundary,
}
