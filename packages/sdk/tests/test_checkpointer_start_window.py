"""The start flush window: a queued update is sent on its own once it has waited long enough.

One flusher thread, started when something is first queued, sends through the same
group-commit path as every flush; these tests check that it keeps the order (no START after
its SUCCEED), keeps the token consistent, makes a failure sticky, and stops on ``close()``.
Nothing sleeps: the service double signals each call with an event.
"""

from __future__ import annotations

import math
import threading

import pytest

from aws_durable_execution_sdk_python._state.checkpointer import (
    DEFAULT_START_FLUSH_WINDOW,
    Checkpointer,
    check_start_flush_window,
)
from aws_durable_execution_sdk_python.exceptions import CheckpointError, ValidationError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    OperationAction,
    OperationType,
    OperationUpdate,
    StateOutput,
)

PATIENCE = 10.0


def update(n: int, action: OperationAction) -> OperationUpdate:
    return OperationUpdate(f"op-{n}", OperationType.STEP, action)


class Service:
    """Records each call's (id, action) pairs, checks the token chain, signals each call."""

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.calls: list[list[tuple[str, str]]] = []
        self.bad_tokens: list[str] = []
        self.fail_with = fail_with
        self.called = threading.Event()
        self._token = 0

    def checkpoint(self, arn, token, updates, client_token=None):
        if token != f"t{self._token}":
            self.bad_tokens.append(token)
        self.called.set()
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append([(u.operation_id, u.action.value) for u in updates])
        self._token += 1
        return CheckpointOutput(f"t{self._token}", CheckpointUpdatedExecutionState([], None))

    def get_execution_state(self, arn, token, marker, max_items=1000):
        return StateOutput([], None)


def make(service: Service, window: float | None) -> Checkpointer:
    return Checkpointer(service, "arn", "t0", lambda _: None, start_flush_window=window)


def flushers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "durable-checkpoint-flusher"]


def test_a_waiting_start_is_sent_on_its_own_after_the_window() -> None:
    service = Service()
    checkpointer = make(service, 0.001)
    try:
        checkpointer.enqueue(update(1, OperationAction.START))
        assert service.called.wait(PATIENCE)
        checkpointer.commit(update(1, OperationAction.SUCCEED))
    finally:
        checkpointer.close()
    assert service.calls == [[("op-1", "START")], [("op-1", "SUCCEED")]]
    assert service.bad_tokens == []
    assert checkpointer.checkpoint_token == "t2"


def test_within_the_window_the_start_travels_with_its_completion() -> None:
    service = Service()
    checkpointer = make(service, 600)
    try:
        checkpointer.enqueue(update(1, OperationAction.START))
        checkpointer.commit(update(1, OperationAction.SUCCEED))
    finally:
        checkpointer.close()
    assert service.calls == [[("op-1", "START"), ("op-1", "SUCCEED")]]


@pytest.mark.parametrize("window", [None, math.inf])
def test_without_a_window_no_thread_starts(window: float | None) -> None:
    before = flushers()
    service = Service()
    checkpointer = make(service, window)
    checkpointer.enqueue(update(1, OperationAction.START))
    assert flushers() == before
    checkpointer.flush()
    checkpointer.close()
    assert service.calls == [[("op-1", "START")]]


def test_nothing_queued_starts_no_thread_and_close_stops_the_one_started() -> None:
    before = flushers()
    service = Service()
    checkpointer = make(service, 600)
    checkpointer.commit(update(1, OperationAction.SUCCEED))
    assert flushers() == before  # only a queued update needs the flusher
    checkpointer.enqueue(update(2, OperationAction.START))
    assert len(flushers()) == len(before) + 1
    checkpointer.close()
    checkpointer.close()  # idempotent
    assert flushers() == before
    checkpointer.flush()  # what was still pending goes with the end-of-invocation flush
    assert service.calls == [[("op-1", "SUCCEED")], [("op-2", "START")]]


def test_racing_the_flusher_never_reorders_or_sends_a_start_after_its_succeed() -> None:
    """A zero window makes the flusher race every commit; order and tokens must hold."""
    service = Service()
    checkpointer = make(service, 0)
    try:
        for n in range(300):
            checkpointer.enqueue(update(n, OperationAction.START))
            checkpointer.commit(update(n, OperationAction.SUCCEED))
    finally:
        checkpointer.close()
    sent = [pair for call in service.calls for pair in call]
    expected = [(f"op-{n}", action) for n in range(300) for action in ("START", "SUCCEED")]
    assert sent == expected
    assert service.bad_tokens == []
    assert checkpointer.checkpoint_token == f"t{len(service.calls)}"


def test_a_failed_background_send_is_sticky() -> None:
    before = flushers()
    failure = CheckpointError("throttled")
    service = Service(fail_with=failure)
    checkpointer = make(service, 0.001)
    try:
        checkpointer.enqueue(update(1, OperationAction.START))
        assert service.called.wait(PATIENCE)
        # The flusher records the failure before it releases the flush lock; a commit
        # waits for that lock, so it always finds the failure.
        with pytest.raises(CheckpointError) as raised:
            checkpointer.commit(update(1, OperationAction.SUCCEED))
        assert raised.value is failure
        with pytest.raises(CheckpointError):
            checkpointer.enqueue(update(2, OperationAction.START))
    finally:
        checkpointer.close()
    assert flushers() == before


def test_the_default_window_is_short() -> None:
    assert 0 < DEFAULT_START_FLUSH_WINDOW <= 0.1


@pytest.mark.parametrize(
    "value",
    [-1, -1e-9, math.nan, -math.inf, "1", True, False, None, [1], object()],
)
def test_a_window_must_be_seconds(value: object) -> None:
    with pytest.raises(ValidationError, match="start_flush_window"):
        check_start_flush_window(value, "here")


@pytest.mark.parametrize("value", [0, 0.05, 3, math.inf])
def test_a_window_accepts_seconds(value: float) -> None:
    assert check_start_flush_window(value, "here") == value
