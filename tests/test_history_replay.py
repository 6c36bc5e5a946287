"""Replay against saved histories: the current code must reach the recorded operations
(id, type, subtype, name) and, for an execution that ended, end the same way.

Each divergence test records a history with one handler and replays it with a changed
copy, as a deployment would run new code against an execution started by the old one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, Duration, durable_execution
from aws_durable_execution_sdk_python.config import ParallelConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from aws_durable_execution_sdk_python_testing.history import DivergenceKind, ReplayReport


def record(handler: Callable[..., Any], payload: Any = None) -> list[dict[str, Any]]:
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input=payload, timeout=10)
    assert result.status in (InvocationStatus.SUCCEEDED, InvocationStatus.FAILED)
    return json.loads(result.history_json())["Events"]


def replay(handler: Callable[..., Any], history: Any) -> ReplayReport:
    with DurableFunctionTestRunner(handler) as runner:
        return runner.replay(history)


def steps(*names: str, result: str = "done") -> Callable[..., Any]:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        for name in names:
            context.step(lambda _ctx, n=name: f"{n}-value", name=name)
        return result

    return handler


def test_same_code_replays_ok() -> None:
    handler = steps("a", "b", "c")
    report = replay(handler, record(handler))
    assert report.ok, str(report)
    assert report.divergence is None
    assert report.operations_replayed == 3
    assert str(report).startswith("replay ok: 3 recorded operations")


def test_renamed_step_is_a_mismatch_naming_both() -> None:
    history = record(steps("a", "b", "c"))
    report = replay(steps("a", "B", "c"), history)
    assert not report.ok
    divergence = report.divergence
    assert divergence is not None
    assert divergence.kind is DivergenceKind.MISMATCH
    b_id = next(e["Id"] for e in history if e.get("Name") == "b")
    assert divergence.operation_id == b_id
    assert divergence.expected == f"STEP/Step 'b' (id {b_id})"
    assert divergence.found == f"STEP/Step 'B' (id {b_id})"
    assert f"mismatch (operation {b_id})" in str(report)


def test_inserted_step_is_a_mismatch_at_the_first_shifted_id() -> None:
    history = record(steps("a", "b"))
    report = replay(steps("a", "new", "b"), history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.MISMATCH
    assert "'b'" in report.divergence.expected
    assert "'new'" in report.divergence.found


def test_step_added_after_the_recorded_end_is_unexpected() -> None:
    history = record(steps("a", "b"))
    ran: list[str] = []

    @durable_execution
    def longer(event: Any, context: DurableContext) -> str:
        context.step(lambda _: "a-value", name="a")
        context.step(lambda _: "b-value", name="b")
        context.step(lambda _: ran.append("c"), name="c")
        return "done"

    report = replay(longer, history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.UNEXPECTED_OPERATION
    assert report.divergence.found.startswith("STEP/Step 'c' (id ")
    assert "recorded execution ended here" in report.divergence.expected


def test_step_removed_at_the_end_is_missing() -> None:
    history = record(steps("a", "b", "c"))
    report = replay(steps("a", "b"), history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.MISSING_OPERATION
    assert report.divergence.expected.startswith("STEP/Step 'c'")
    assert "without reaching it" in report.divergence.found


def test_different_result_is_a_different_outcome() -> None:
    history = record(steps("a", result="old"))
    report = replay(steps("a", result="new"), history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.DIFFERENT_OUTCOME
    assert report.divergence.expected == 'SUCCEEDED with result "old"'
    assert report.divergence.found == 'SUCCEEDED with result "new"'


def test_failure_where_the_recorded_execution_succeeded_is_a_different_outcome() -> None:
    history = record(steps("a"))

    @durable_execution
    def failing(event: Any, context: DurableContext) -> str:
        context.step(lambda _: "a-value", name="a")
        raise ValueError("broken by the new release")

    report = replay(failing, history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.DIFFERENT_OUTCOME
    assert "ValueError: broken by the new release" in report.divergence.found


def test_recorded_failure_replays_ok_when_the_code_fails_the_same_way() -> None:
    @durable_execution
    def failing(event: Any, context: DurableContext) -> str:
        context.step(lambda _: "a-value", name="a")
        raise ValueError("no stock")

    history = record(failing)
    assert history[-1]["EventType"] == "ExecutionFailed"
    assert replay(failing, history).ok


def test_replay_uses_recorded_results_and_runs_no_step_again() -> None:
    calls: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> dict[str, Any]:
        first = context.step(lambda _: calls.append("first") or {"n": 1}, name="first")
        context.wait(Duration.from_hours(2), name="pause")
        second = context.step(lambda _: calls.append("second") or first["n"] + 1, name="second")
        return {"second": second}

    history = record(handler, {"x": 1})
    calls.clear()
    report = replay(handler, history)
    assert report.ok, str(report)
    assert calls == []
    assert report.operations_replayed == 3


def test_retried_step_child_context_and_parallel_replay_ok() -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[Any]:
        def flaky(step_context: Any) -> str:
            attempts.append(step_context.attempt)
            if step_context.attempt < 2:
                raise RuntimeError("try again")
            return "ok"

        flaky_value = context.step(flaky, name="flaky")
        child = context.run_in_child_context(
            lambda ctx: ctx.step(lambda _: 5, name="inner"), name="child"
        )
        batch = context.parallel(
            [lambda ctx: ctx.step(lambda _: 1, name="p1"), lambda ctx: 2],
            name="fan",
            config=ParallelConfig(max_concurrency=1),
        )
        return [flaky_value, child, batch.get_results()]

    history = record(handler)
    assert replay(handler, history).ok


def test_child_context_body_changed_inside_a_finished_context_is_not_seen() -> None:
    """A finished child context replays from its checkpointed result, as the service would
    run it: its body is not re-run, so a change inside it does not break old executions."""

    def make(inner: str) -> Callable[..., Any]:
        @durable_execution
        def handler(event: Any, context: DurableContext) -> int:
            return context.run_in_child_context(
                lambda ctx: ctx.step(lambda _: 5, name=inner), name="child"
            )

        return handler

    assert replay(make("renamed"), record(make("inner"))).ok


def test_running_execution_replays_up_to_its_recorded_point() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1, name="before")
        callback = context.create_callback(name="approval")
        return callback.result()

    with DurableFunctionTestRunner(handler) as runner:
        arn = runner.run_async(input=None)
        history = runner.get_execution_history(arn, include_execution_data=True)
    report = replay(handler, history)
    assert report.ok, str(report)
    assert not report.complete
    assert "up to the recorded point" in str(report)

    renamed = steps("other")
    assert replay(renamed, history).divergence is not None


def test_assert_replays_raises_an_assertion_error_naming_the_operation() -> None:
    history = record(steps("a", "b"))
    with (
        DurableFunctionTestRunner(steps("a", "renamed")) as runner,
        pytest.raises(AssertionError, match=r"replay diverged .*'b'.*'renamed'"),
    ):
        runner.assert_replays(history)
    with DurableFunctionTestRunner(steps("a", "b")) as runner:
        assert runner.assert_replays(history).ok


def test_a_child_context_too_big_to_checkpoint_replays_its_children() -> None:
    """A child result over the checkpoint limit is stored empty and rebuilt by re-running
    the body on replay (from its checkpointed steps): the history must replay that way too."""

    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        def body(ctx: DurableContext) -> str:
            first = ctx.step(lambda _: "x" * 200_000, name="first half")
            return first + ctx.step(lambda _: "y" * 200_000, name="second half")

        return len(context.run_in_child_context(body, name="big"))

    history = record(handler)
    assert any(
        e["EventType"] == "ContextSucceeded"
        and e["ContextSucceededDetails"]["Result"]["Payload"] == ""
        for e in history
    )
    report = replay(handler, history)
    assert report.ok, str(report)
    assert report.operations_replayed == 3


def test_map_invoke_and_wait_for_callback_replay_ok() -> None:
    @durable_execution
    def target(event: Any, context: DurableContext) -> dict[str, Any]:
        return {"got": event}

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[Any]:
        doubled = context.map(
            [1, 2, 3], lambda ctx, item, i, items: ctx.step(lambda _: item * 2, name="double")
        )
        answer = context.invoke("target-fn", {"a": 1}, name="call")
        approval = context.wait_for_callback(lambda callback_id, ctx: None, name="approve")
        return [doubled.get_results(), answer, approval]

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_durable_function("target-fn", target)
        result = runner.run(input=None, timeout=10, callbacks={"approve": "yes"})
        assert result.result == [[2, 4, 6], {"got": {"a": 1}}, "yes"]
        report = runner.replay(result.history)
    assert report.ok, str(report)


def test_a_history_of_another_function_says_so() -> None:
    from examples.order_processing.workflow import handler as order_handler

    with DurableFunctionTestRunner(order_handler) as runner:
        history = runner.run(input={"order_id": "o-1", "items": 1}, timeout=10).history
    report = replay(steps("a", "b"), history)
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.MISMATCH
    assert "'validate_order'" in report.divergence.expected
    assert "the first operation differs: is this a history of another function?" in str(report)


def test_a_result_itself_can_be_replayed() -> None:
    handler = steps("a")
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input=None, timeout=10)
        assert runner.replay(result).ok
