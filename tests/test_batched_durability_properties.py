"""Batched durability changes when checkpoints are sent, never what an execution records.

A program is a random list of operation kinds: a step under the function's default
durability (batched in one run, immediate in the other), an explicitly immediate step, an
at-most-once step, a failing step the handler catches, a step that succeeds on its second
attempt, a wait, a callback, a child context holding a step, and a map of steps (items run
on worker threads, so held completions from several threads share one batch). The same
program run with ``step_durability=BATCHED`` and with the default must give the same result
and the same operations with the same statuses and history events. ``assert_durable`` then
crashes a batched workflow before and after each of its checkpoint calls: a crash repeats
at most the steps held since the last call, and the outcome stays right.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python import DurableContext, StepError, durable_execution
from aws_durable_execution_sdk_python.config import (
    Duration,
    JitterStrategy,
    MapConfig,
    StepConfig,
    StepDurability,
    StepSemantics,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from aws_durable_execution_sdk_python_testing.strategies import assert_durable

IMMEDIATE = StepConfig(durability=StepDurability.IMMEDIATE)
AT_MOST_ONCE = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
NO_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))
ONE_RETRY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2, initial_delay_seconds=3, jitter_strategy=JitterStrategy.NONE
        )
    )
)

KINDS = ("step", "immediate", "once", "fail", "retry", "wait", "callback", "child", "map")
programs = st.lists(st.sampled_from(KINDS), max_size=12)
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _fails(_: Any) -> None:
    raise ValueError("planned failure")


def _second_attempt(index: int) -> Any:
    def body(step_context: Any) -> int:
        if step_context.attempt == 1:
            raise RuntimeError("the first attempt fails")
        return index

    return body


def _map_item(context: DurableContext, item: int, index: int, items: Any) -> int:
    return int(context.step(lambda _: item * 10, name=f"item-{item}"))


def _run_program(program: list[str], context: DurableContext) -> list[Any]:
    out: list[Any] = []
    for i, kind in enumerate(program):
        name = f"{kind}-{i}"
        if kind == "step":
            out.append(context.step(lambda _, i=i: i, name=name))
        elif kind == "immediate":
            out.append(context.step(lambda _, i=i: i, name=name, config=IMMEDIATE))
        elif kind == "once":
            out.append(context.step(lambda _, i=i: i, name=name, config=AT_MOST_ONCE))
        elif kind == "fail":
            try:
                context.step(_fails, name=name, config=NO_RETRY)
            except StepError as error:
                out.append(str(error))
        elif kind == "retry":
            out.append(context.step(_second_attempt(i), name=name, config=ONE_RETRY))
        elif kind == "wait":
            context.wait(Duration.from_seconds(2), name=name)
        elif kind == "callback":
            out.append(context.create_callback(name=name).result())
        elif kind == "child":
            out.append(
                context.run_in_child_context(
                    lambda child, i=i: child.step(lambda _: i, name=f"inner-{i}"), name=name
                )
            )
        else:
            config = MapConfig[int](max_concurrency=2)
            out.append(context.map([1, 2, 3], _map_item, name=name, config=config).get_results())
    return out


@durable_execution(step_durability=StepDurability.BATCHED)
def batched(event: Any, context: DurableContext) -> list[Any]:
    return _run_program(event["program"], context)


@durable_execution
def immediate(event: Any, context: DurableContext) -> list[Any]:
    return _run_program(event["program"], context)


def _run(handler: Any, program: list[str]) -> Any:
    callbacks = {f"callback-{i}": "ok" for i, kind in enumerate(program) if kind == "callback"}
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input={"program": program}, callbacks=callbacks, timeout=60)


def _recorded(result: Any) -> tuple[set[tuple[Any, ...]], Counter[tuple[str, str]]]:
    operations = {(op.name, op.operation_type, op.status) for op in result.operations}
    events = Counter(
        (e["EventType"], e.get("Name") or "")
        for e in result.history
        if not e["EventType"].startswith("Invocation")
    )
    return operations, events


@PROPERTY_SETTINGS
@given(programs)
def test_a_batched_run_records_what_an_immediate_run_records(program: list[str]) -> None:
    expected = _run(immediate, program)
    got = _run(batched, program)

    assert expected.status is InvocationStatus.SUCCEEDED, expected.error
    assert got.status is InvocationStatus.SUCCEEDED, got.error
    assert got.result == expected.result
    assert _recorded(got) == _recorded(expected)


# -- under crashes ---------------------------------------------------------------------------


@durable_execution(step_durability=StepDurability.BATCHED, batch_size=2)
def order_workflow(event: Any, context: DurableContext) -> dict[str, Any]:
    """Five batched steps around a wait and an at-most-once charge: batches of two, flushed
    early by the wait and by the charge's START."""
    items = [context.step(lambda _, n=n: n, name=f"reserve-{n}") for n in range(3)]
    context.wait(Duration.from_seconds(5), name="cool-off")
    charge = context.step(lambda _: sum(items), name="charge", config=AT_MOST_ONCE)
    receipt = context.step(lambda _: f"receipt for {charge}", name="receipt")
    shipped = context.step(lambda _: "shipped", name="ship")
    return {"items": items, "charge": charge, "receipt": receipt, "shipped": shipped}


def test_a_batched_workflow_is_durable_under_a_crash_at_every_checkpoint_call() -> None:
    report = assert_durable(order_workflow, {})

    # Calls: reserve-0/1 (the batch of two is full), reserve-2 with the wait's START, the
    # charge's START, its SUCCEED, then receipt and ship held until the end (one call).
    assert report.checkpoint_calls == 5
    assert report.schedules_checked >= 2 * report.checkpoint_calls
