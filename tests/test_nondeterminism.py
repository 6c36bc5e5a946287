"""On replay the SDK checks type, subtype and name at each id; a mismatch is sticky.

docs/decisions.md, "Non-determinism is sticky".

Each handler takes a different path on its second invocation than on its first (a flag in
the test flips after the first invocation), at a position that was checkpointed. The
execution fails with ``NonDeterministicExecutionError`` (``NON_DETERMINISTIC_EXECUTION``)
naming both the checkpointed and the replayed operation, even if user code catches it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import NonDeterministicExecutionError, durable_execution
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

FIRST_OP_ID = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"


class Flip:
    """``first`` is True during the first invocation only (flipped by ``next_invocation``)."""

    def __init__(self) -> None:
        self.invocations = 0

    def next_invocation(self) -> bool:
        self.invocations += 1
        return self.invocations == 1


def run(handler: Callable[..., Any]) -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input={}, timeout=10)


def events(result: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["EventType"] == event_type]


def assert_non_deterministic(result: Any, *mentions: str) -> None:
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "FAILED"
    assert result.error is not None
    assert result.error["error_type"] == "NonDeterministicExecutionError"
    assert result.error["termination_reason"] == "NON_DETERMINISTIC_EXECUTION"
    assert "NonDeterministicExecutionError" in str(result.error)
    for text in mentions:
        assert text in result.error["message"], (text, result.error["message"])
    assert result.history[-1]["EventType"] == "ExecutionFailed"


def test_step_renamed_on_replay_fails_naming_both_names() -> None:
    flip = Flip()
    ran: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        name = "a" if flip.next_invocation() else "b"
        context.step(lambda _: ran.append(name), name=name)
        context.wait(1)
        return "done"

    result = run(handler)

    assert_non_deterministic(result, "'a'", "'b'", FIRST_OP_ID)
    assert ran == ["a"]  # "b" never ran: the mismatch is found before the body
    assert [e.get("Name") for e in events(result, "StepStarted")] == ["a"]
    assert result.invocation_count == 2


def test_step_replaced_by_wait_at_same_position_fails_naming_both_types() -> None:
    flip = Flip()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        if flip.next_invocation():
            context.step(lambda _: 1)
        else:
            context.wait(5)
        context.wait(1)
        return "done"

    result = run(handler)

    assert_non_deterministic(result, "STEP", "WAIT")
    assert not events(result, "WaitStarted")[1:]  # only the first invocation's wait


def test_wait_replaced_by_step_at_same_position_fails() -> None:
    flip = Flip()
    ran: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        if flip.next_invocation():
            context.wait(1, name="pause")
        else:
            context.step(lambda _: ran.append(1), name="pause")
        return "done"

    result = run(handler)

    assert_non_deterministic(result, "WAIT", "STEP")
    assert ran == []


def test_unnamed_step_named_on_replay_fails() -> None:
    flip = Flip()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        name = None if flip.next_invocation() else "named"
        context.step(lambda _: 1, name=name)
        context.wait(1)
        return "done"

    result = run(handler)

    assert_non_deterministic(result, "unnamed", "'named'")


def test_failure_is_sticky_when_handler_catches_exception() -> None:
    flip = Flip()
    swallowed: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        name = "a" if flip.next_invocation() else "b"
        try:
            context.step(lambda _: 1, name=name)
        except Exception as error:
            swallowed.append(type(error).__name__)
        context.wait(1)
        return "looks fine"

    result = run(handler)

    assert swallowed == ["NonDeterministicExecutionError"]
    assert_non_deterministic(result, "'a'", "'b'")
    assert result.result is None


def test_failure_is_sticky_when_handler_returns_from_except() -> None:
    flip = Flip()
    caught: list[str | None] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        name = "a" if flip.next_invocation() else "b"
        try:
            context.step(lambda _: 1, name=name)
        except NonDeterministicExecutionError as error:
            caught.append(error.step_id)
            return "recovered?"
        context.wait(1)
        return "done"

    result = run(handler)

    assert caught == [FIRST_OP_ID]
    assert_non_deterministic(result, "'a'", "'b'")


def test_operations_after_a_caught_mismatch_cannot_checkpoint() -> None:
    flip = Flip()
    later: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        first = flip.next_invocation()
        with contextlib.suppress(NonDeterministicExecutionError):
            context.step(lambda _: 1, name="a" if first else "b")
        context.wait(1)  # same on both paths: replays as SUCCEEDED
        try:
            # A new position (id 3): its START would be checkpointed, but the state refuses.
            context.step(lambda _: later.append("ran"), name="after")
        except NonDeterministicExecutionError:
            later.append("refused")
        return "done"

    result = run(handler)

    assert_non_deterministic(result, "'a'", "'b'")
    assert later == ["refused"]
    assert not [e for e in events(result, "StepStarted") if e.get("Name") == "after"]


@pytest.mark.parametrize("extra_ops", [1, 3])
def test_new_operations_after_the_checkpointed_ones_are_not_a_mismatch(extra_ops: int) -> None:
    flip = Flip()

    @durable_execution
    def handler(event: Any, context: Any) -> int:
        first = flip.next_invocation()
        context.step(lambda _: 1, name="a")
        context.wait(1)
        if not first:  # code added after the last checkpointed position
            for i in range(extra_ops):
                context.step(lambda _: 1, name=f"new {i}")
        return extra_ops

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(events(result, "StepStarted")) == 1 + extra_ops


def test_same_path_on_replay_succeeds() -> None:
    flip = Flip()

    @durable_execution
    def handler(event: Any, context: Any) -> int:
        flip.next_invocation()
        total = context.step(lambda _: 20, name="a")
        context.wait(1, name="pause")
        return int(total) + int(context.step(lambda _: 22, name="b"))

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 42
    assert flip.invocations == 2
