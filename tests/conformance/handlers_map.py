"""One durable handler per map (9-x) conformance requirement.

Each is written from the requirement's ``handler`` / ``invocations`` text, JavaScript names
read as their Python equivalents: "the ordered array of successful item results" is
``BatchResult.get_results()``, and the projections are built from the ``BatchResult``
properties the text names (``completion_reason``, ``status``, ``success_count`` ...).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.concurrency.models import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig
from aws_durable_execution_sdk_python.serdes import ExtendedTypeSerDes, SerDes, SerDesContext

__all__ = ["HANDLERS", "LARGE_ITEM_CHARS", "ItemError", "OperationSerDes", "WrappingSerDes"]

# ~70 KB per item: each fits in a checkpoint, four together exceed the 256 KiB threshold.
LARGE_ITEM_CHARS = 70 * 1024


class ItemError(Exception):
    """What a failing map function raises."""


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


def sequential(**completion: Any) -> MapConfig[Any]:
    """Max-concurrency 1 (items in index order) and the given completion config."""
    return MapConfig(max_concurrency=1, completion_config=CompletionConfig(**completion))


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


def upper(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
    # Logged even while replaying: shows every time the item's body runs.
    ctx.logger.with_is_replaying(lambda: False).info(f"item {index} ran")
    return item.upper()


def fail_items(*failing: int) -> Callable[[DurableContext, str, int, Sequence[str]], str]:
    """A map function that raises at once for the ``failing`` indexes, else returns "ok"."""

    def map_func(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        if index in failing:
            raise ItemError(f"item {index} ({item}) failed")
        return "ok"

    return map_func


class WrappingSerDes(SerDes[str]):
    """A per-item serializer: stores ``wrapped:<value>`` and strips the prefix back off."""

    PREFIX = "wrapped:"

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return f"{self.PREFIX}{value}"

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        if not data.startswith(self.PREFIX):
            raise ValueError(f"not a wrapped item: {data!r}")
        return data[len(self.PREFIX) :]


class OperationSerDes(SerDes[BatchResult[str]]):
    """A whole-result serializer: ``OPSERDE:`` and the comma-joined results, and back."""

    PREFIX = "OPSERDE:"

    def serialize(self, value: BatchResult[str], serdes_context: SerDesContext) -> str:
        return self.PREFIX + ",".join(value.get_results())

    def deserialize(self, data: str, serdes_context: SerDesContext) -> BatchResult[str]:
        if not data.startswith(self.PREFIX):
            raise ValueError(f"not an OPSERDE payload: {data!r}")
        body = data[len(self.PREFIX) :]
        results = body.split(",") if body else []
        items = [BatchItem(i, BatchItemStatus.SUCCEEDED, r) for i, r in enumerate(results)]
        return BatchResult(items, CompletionReason.ALL_COMPLETED)


def op_serdes_config() -> MapConfig[Any]:
    # This SDK (like the existing Python one, sdk-api.md 4.9 / 14.1) also uses ``serdes``
    # for the items when ``item_serdes`` is unset; the requirement has the items use the
    # default serializer, so that default is named explicitly.
    return MapConfig(max_concurrency=1, serdes=OperationSerDes(), item_serdes=ExtendedTypeSerDes())


@durable_execution
def map_basic(event: Any, context: DurableContext) -> list[Any]:  # 9-1
    def map_func(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        return ctx.step(greet(item))

    result = context.map(event, map_func, name="map", config=MapConfig(max_concurrency=1))
    return result.get_results()


@durable_execution
def map_unnamed(event: Any, context: DurableContext) -> list[Any]:  # 9-2
    def double(ctx: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        return item * 2

    return context.map(event, double, config=MapConfig(max_concurrency=1)).get_results()


@durable_execution
def map_empty(event: Any, context: DurableContext) -> list[Any]:  # 9-4
    return context.map(event, upper, name="empty").get_results()


_FULL_PROJECTION = ("completionReason", "status", "successCount", "failureCount", "totalCount")


@durable_execution
def map_fail_fast(event: Any, context: DurableContext) -> dict[str, Any]:  # 9-5
    result = context.map(
        ["i0", "i1", "i2"],
        fail_items(1),
        name="failfast",
        config=sequential(tolerated_failure_count=0),
    )
    return projection(result, *_FULL_PROJECTION)


@durable_execution
def map_min_successful(event: Any, context: DurableContext) -> dict[str, Any]:  # 9-7
    result = context.map(
        ["i0", "i1", "i2", "i3"],
        fail_items(),
        name="min-successful",
        config=sequential(min_successful=2),
    )
    return projection(result, "completionReason", "successCount", "totalCount")


@durable_execution
def map_tolerated_count(event: Any, context: DurableContext) -> dict[str, Any]:  # 9-8
    result = context.map(
        ["i0", "i1", "i2"],
        fail_items(1),
        name="tolerated",
        config=sequential(tolerated_failure_count=1),
    )
    return projection(result, *_FULL_PROJECTION)


@durable_execution
def map_tolerated_pct_exceeded(event: Any, context: DurableContext) -> dict[str, Any]:  # 9-10
    result = context.map(
        ["i0", "i1", "i2", "i3"],
        fail_items(0, 1),
        name="tolerated-pct",
        config=sequential(tolerated_failure_percentage=25),
    )
    return projection(result, "completionReason", "successCount", "failureCount", "totalCount")


@durable_execution
def map_concurrent(event: Any, context: DurableContext) -> list[Any]:  # 9-11
    def constant(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        return f"r{index}"

    result = context.map(
        ["i0", "i1", "i2"], constant, name="concurrent", config=MapConfig(max_concurrency=2)
    )
    return result.get_results()


@durable_execution
def map_item_namer(event: Any, context: DurableContext) -> list[Any]:  # 9-13
    def times_ten(ctx: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
        return item * 10

    config: MapConfig[int] = MapConfig(
        max_concurrency=1, item_namer=lambda item, index: f"item-{item}"
    )
    return context.map(event, times_ten, name="named-items", config=config).get_results()


@durable_execution
def map_item_serdes(event: Any, context: DurableContext) -> list[Any]:  # 9-14
    config: MapConfig[str] = MapConfig(max_concurrency=1, item_serdes=WrappingSerDes())
    return context.map(["x", "y"], upper, name="serdes", config=config).get_results()


@durable_execution
def map_large_result(event: Any, context: DurableContext) -> dict[str, Any]:  # 9-16
    def large(ctx: DurableContext, item: str, index: int, items: Sequence[str]) -> str:
        return item * LARGE_ITEM_CHARS

    result = context.map(
        ["a", "b", "c", "d"], large, name="large", config=MapConfig(max_concurrency=1)
    )
    assert [len(r) for r in result.get_results()] == [LARGE_ITEM_CHARS] * 4
    return {"successCount": result.success_count, "totalCount": result.total_count}


@durable_execution
def map_then_wait(event: Any, context: DurableContext) -> list[Any]:  # 9-17
    result = context.map(["a", "b"], upper, name="then-wait", config=MapConfig(max_concurrency=1))
    context.wait(Duration.from_seconds(1))
    return result.get_results()


@durable_execution
def map_operation_serdes(event: Any, context: DurableContext) -> list[Any]:  # 9-19
    return context.map(["x", "y"], upper, name="op-serde", config=op_serdes_config()).get_results()


@durable_execution
def map_operation_serdes_replay(event: Any, context: DurableContext) -> list[Any]:  # 9-20
    result = context.map(["x", "y"], upper, name="op-serde-replay", config=op_serdes_config())
    context.wait(Duration.from_seconds(1))
    return result.get_results()


HANDLERS: dict[str, Callable[..., Any]] = {
    "9-1": map_basic,
    "9-2": map_unnamed,
    "9-4": map_empty,
    "9-5": map_fail_fast,
    "9-7": map_min_successful,
    "9-8": map_tolerated_count,
    "9-10": map_tolerated_pct_exceeded,
    "9-11": map_concurrent,
    "9-13": map_item_namer,
    "9-14": map_item_serdes,
    "9-16": map_large_result,
    "9-17": map_then_wait,
    "9-19": map_operation_serdes,
    "9-20": map_operation_serdes_replay,
}
