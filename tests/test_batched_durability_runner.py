"""Batched durability in the local runner: fewer calls, nothing lost, program order kept.

A batched at-least-once step's START and SUCCEED are held and sent with the next update that
needs the service's answer, at the end of the invocation, or when 50 completions are held.
A recording client double wraps the runner's client and keeps each checkpoint call's
``(name, action)`` pairs; the history and the plugin hooks show what the service recorded.
Where a test also queues an update with a start flush window (an immediate step's START, a
child context's START), the function sets ``start_flush_window=math.inf`` so that a slow
machine cannot send that update on its own and change the calls the test expects.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from recording_client import recording

from aws_durable_execution_sdk_python import (
    DurableContext,
    InvocationError,
    StepError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import (
    Duration,
    JitterStrategy,
    StepConfig,
    StepDurability,
    StepSemantics,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing.faults import CrashBeforeCheckpoint

BATCH = 50
BATCHED = StepConfig(durability=StepDurability.BATCHED)
AT_MOST_ONCE = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
ONE_RETRY = StepConfig(
    durability=StepDurability.BATCHED,
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2, initial_delay_seconds=5, jitter_strategy=JitterStrategy.NONE
        )
    ),
)
NO_RETRY = StepConfig(
    durability=StepDurability.BATCHED,
    retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)),
)

Pair = tuple[str | None, str]


def succeeded(result: Any) -> list[str]:
    return [e["Name"] for e in result.history if e["EventType"] == "StepSucceeded"]


def counting(bodies: Counter[str], name: str, value: Any = None) -> Callable[[Any], Any]:
    def body(_: Any) -> Any:
        bodies[name] += 1
        return value if value is not None else name

    return body


# -- fewer calls --------------------------------------------------------------------------


@durable_execution(step_durability=StepDurability.BATCHED)
def batched_by_default(event: Any, context: DurableContext) -> int:
    return sum(context.step(lambda _, i=i: i, name=f"s{i}") for i in range(event["steps"]))


@durable_execution
def batched_per_step(event: Any, context: DurableContext) -> int:
    return sum(
        context.step(lambda _, i=i: i, name=f"s{i}", config=BATCHED) for i in range(event["steps"])
    )


@durable_execution(start_flush_window=math.inf)
def immediate_steps(event: Any, context: DurableContext) -> int:
    return sum(context.step(lambda _, i=i: i, name=f"s{i}") for i in range(event["steps"]))


@pytest.mark.parametrize("handler", [batched_by_default, batched_per_step])
@pytest.mark.parametrize("steps", [1, 49, 50, 51, 120, 1_000])
def test_n_sequential_batched_steps_cost_ceil_n_over_50_calls(handler: Any, steps: int) -> None:
    """The constant is 0 for one invocation: every 50th completion sends its batch, the end of
    the invocation sends the rest, and nothing else is checkpointed (no window: a held START
    is never sent on its own)."""
    with DurableFunctionTestRunner(handler, limits=Limits(max_operations=5_000)) as runner:
        client = recording(runner)
        result = runner.run(input={"steps": steps}, timeout=120)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == sum(range(steps))
    assert len(client.calls) == math.ceil(steps / BATCH)
    assert all(len(call) <= 2 * BATCH for call in client.calls)
    assert succeeded(result) == [f"s{i}" for i in range(steps)]


def test_the_default_stays_one_call_per_step() -> None:
    with DurableFunctionTestRunner(immediate_steps) as runner:
        client = recording(runner)
        result = runner.run(input={"steps": 7})

    assert result.result == sum(range(7))
    assert len(client.calls) == 7


def test_a_smaller_batch_size_sends_more_often() -> None:
    @durable_execution(step_durability=StepDurability.BATCHED, batch_size=3)
    def handler(event: Any, context: DurableContext) -> int:
        return sum(context.step(lambda _, i=i: i, name=f"s{i}") for i in range(7))

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run()

    assert result.result == sum(range(7))
    assert [len(call) for call in client.calls] == [6, 6, 2]


def test_an_immediate_step_config_wins_over_a_batched_default() -> None:
    immediate = StepConfig(durability=StepDurability.IMMEDIATE)

    @durable_execution(step_durability=StepDurability.BATCHED, start_flush_window=math.inf)
    def handler(event: Any, context: DurableContext) -> list[str]:
        return [
            context.step(lambda _: "a", name="a"),
            context.step(lambda _: "b", name="b", config=immediate),
            context.step(lambda _: "c", name="c"),
        ]

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run()

    assert result.result == ["a", "b", "c"]
    assert client.calls == [
        [("a", "START"), ("a", "SUCCEED"), ("b", "START"), ("b", "SUCCEED")],
        [("c", "START"), ("c", "SUCCEED")],
    ]


def test_a_batched_default_leaves_at_most_once_steps_immediate() -> None:
    @durable_execution(step_durability=StepDurability.BATCHED)
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(lambda _: "once", name="once", config=AT_MOST_ONCE)

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run()

    assert result.result == "once"
    assert client.calls == [[("once", "START")], [("once", "SUCCEED")]]


# -- flush points: held updates go first, in the same call ---------------------------------

HELD = [("held", "START"), ("held", "SUCCEED")]


def _target(event: Any, context: DurableContext) -> str:
    return "invoked"


TARGET = durable_execution(_target)


def _child(child: DurableContext) -> str:
    return "child"


def _flaky(attempts: Counter[str]) -> Callable[[Any], str]:
    def body(_: Any) -> str:
        attempts["flaky"] += 1
        if attempts["flaky"] == 1:
            raise RuntimeError("first attempt fails")
        return "flaky"

    return body


def _broken(_: Any) -> str:
    raise RuntimeError("broken")


def _recover(context: DurableContext) -> str:
    try:
        return str(context.step(_broken, name="later", config=NO_RETRY))
    except StepError:
        return "caught"


FLUSH_POINTS: dict[str, tuple[Callable[[DurableContext, Counter[str]], Any], Pair, Any]] = {
    "wait": (lambda c, _: c.wait(Duration.from_seconds(5), name="later"), ("later", "START"), None),
    "callback": (
        lambda c, _: c.create_callback(name="later").result(),
        ("later", "START"),
        "yes",
    ),
    "at-most-once step": (
        lambda c, _: c.step(lambda _: "amo", name="later", config=AT_MOST_ONCE),
        ("later", "START"),
        "amo",
    ),
    "invoke": (lambda c, _: c.invoke("target", {}, name="later"), ("later", "START"), "invoked"),
    "child context": (
        lambda c, _: c.run_in_child_context(_child, name="later"),
        ("later", "SUCCEED"),
        "child",
    ),
    "batched step's retry": (
        lambda c, attempts: c.step(_flaky(attempts), name="later", config=ONE_RETRY),
        ("later", "RETRY"),
        "flaky",
    ),
    "batched step's failure": (lambda c, _: _recover(c), ("later", "FAIL"), "caught"),
}


@pytest.mark.parametrize("point", list(FLUSH_POINTS))
def test_held_updates_go_in_the_call_of_the_next_update_that_needs_an_answer(point: str) -> None:
    then, update, expected = FLUSH_POINTS[point]
    bodies: Counter[str] = Counter()

    @durable_execution(step_durability=StepDurability.BATCHED, start_flush_window=math.inf)
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(counting(bodies, "held"), name="held")
        return then(context, bodies)

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_durable_function("target", TARGET)
        client = recording(runner)
        result = runner.run(callbacks={"later": "yes"}, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == expected
    call = client.call_with(update)
    assert call[:2] == HELD  # first, in program order, in the same call
    assert client.calls[0] == call  # nothing was sent before it
    assert bodies["held"] == 1
    assert "held" in succeeded(result)


# -- nothing is lost at the end of an invocation -------------------------------------------


def test_held_completions_reach_the_service_when_the_handler_returns() -> None:
    with DurableFunctionTestRunner(batched_by_default) as runner:
        client = recording(runner)
        result = runner.run(input={"steps": 3})

    assert client.calls == [[(f"s{i}", a) for i in range(3) for a in ("START", "SUCCEED")]]
    assert succeeded(result) == ["s0", "s1", "s2"]


def test_held_completions_reach_the_service_when_the_handler_fails() -> None:
    @durable_execution(step_durability=StepDurability.BATCHED)
    def handler(event: Any, context: DurableContext) -> None:
        context.step(lambda _: 1, name="one")
        context.step(lambda _: 2, name="two")
        raise ValueError("the handler fails after its steps")

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run()

    assert result.status is InvocationStatus.FAILED
    assert "the handler fails" in str(result.error)
    assert client.calls == [
        [("one", "START"), ("one", "SUCCEED"), ("two", "START"), ("two", "SUCCEED")]
    ]
    assert succeeded(result) == ["one", "two"]


def test_held_completions_reach_the_service_when_the_invocation_suspends() -> None:
    """The callback's START is committed first; the step after it is held, and the
    suspension at ``result()`` sends it, so the next invocation replays it."""
    bodies: Counter[str] = Counter()

    @durable_execution(step_durability=StepDurability.BATCHED)
    def handler(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(name="approval")
        done = context.step(counting(bodies, "prepare"), name="prepare")
        return [done, callback.result()]

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run(callbacks={"approval": "yes"}, timeout=30)

    assert result.result == ["prepare", "yes"]
    assert client.calls[:2] == [
        [("approval", "START")],
        [("prepare", "START"), ("prepare", "SUCCEED")],
    ]
    assert bodies["prepare"] == 1  # the second invocation replayed it
    assert len(result.invocations) == 2


def test_held_completions_reach_the_service_when_an_invocation_error_ends_it() -> None:
    """``InvocationError`` fails the invocation and Lambda invokes again: the steps held
    before it were sent on the way out, so the retry replays them instead of running them."""
    bodies: Counter[str] = Counter()

    @durable_execution(step_durability=StepDurability.BATCHED)
    def handler(event: Any, context: DurableContext) -> str:
        done = context.step(counting(bodies, "work"), name="work")
        bodies["invocations"] += 1
        if bodies["invocations"] == 1:
            raise InvocationError("the downstream is not ready yet")
        return str(done)

    with DurableFunctionTestRunner(handler) as runner:
        client = recording(runner)
        result = runner.run(timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "work"
    assert client.calls[0] == [("work", "START"), ("work", "SUCCEED")]
    assert bodies == Counter(work=1, invocations=2)


def test_a_crash_before_the_batch_is_sent_repeats_the_held_steps() -> None:
    """The trade-off: a crash loses what is held, and the next invocation runs those steps
    again; the results stay right and each step succeeds once in the history."""
    bodies: Counter[str] = Counter()

    @durable_execution(step_durability=StepDurability.BATCHED)
    def handler(event: Any, context: DurableContext) -> list[Any]:
        return [context.step(counting(bodies, name), name=name) for name in ("a", "b", "c")]

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(faults=[CrashBeforeCheckpoint(1)], timeout=30)

    assert result.result == ["a", "b", "c"]
    assert bodies == Counter(a=2, b=2, c=2)
    assert succeeded(result) == ["a", "b", "c"]


def test_operation_end_hooks_fire_once_per_batched_step() -> None:
    with DurableFunctionTestRunner(batched_by_default, record_hooks=True) as runner:
        result = runner.run(input={"steps": 60})

    ended = [info.name for info in result.hooks("on_operation_end")]
    assert ended == [f"s{i}" for i in range(60)]


def test_always_replay_cuts_after_each_batch_and_the_result_stays_right() -> None:
    """``always_replay`` ends the invocation after a checkpoint call: with batching, after
    each batch of 50, so the next invocation replays the steps of every batch before it; the
    cut after the last batch (the end-of-invocation send) makes a fourth invocation, which
    replays all 120 and returns."""
    with DurableFunctionTestRunner(batched_by_default, always_replay=True) as runner:
        client = recording(runner)
        result = runner.run(input={"steps": 120}, timeout=60)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == sum(range(120))
    assert succeeded(result) == [f"s{i}" for i in range(120)]
    assert len(client.calls) == 3
    assert len(result.invocations) == 4


@durable_execution(step_durability=StepDurability.BATCHED)
def batched_then_dies(event: Any, context: DurableContext) -> int:
    """Module level: the subprocess mode imports it again in the child."""
    runs = Path(event["runs"])

    def one(_: Any) -> int:
        with runs.open("a") as file:
            file.write("one\n")
        return 1

    def two(_: Any) -> int:
        flag = Path(event["flag"])
        if not flag.exists():
            flag.write_text("died once")
            os._exit(3)  # a real crash: no finally runs, the held step is lost
        return 2

    return int(context.step(one, name="one") + context.step(two, name="two"))


def test_a_real_crash_loses_the_held_steps_and_the_next_invocation_runs_them_again(
    tmp_path: Path,
) -> None:
    event = {"runs": str(tmp_path / "runs"), "flag": str(tmp_path / "flag")}
    with DurableFunctionTestRunner(batched_then_dies, invocation_mode="subprocess") as runner:
        result = runner.run(input=event, timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 3
    assert (tmp_path / "runs").read_text() == "one\none\n"
    assert succeeded(result) == ["one", "two"]
    assert len(result.invocations) == 2
