"""Group-commit checkpointing: order, batching, size splits and sticky failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from aws_durable_execution_sdk_python._state.checkpointer import (
    Checkpointer,
    split_batches,
    update_size,
)
from aws_durable_execution_sdk_python.exceptions import CheckpointError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
)


def start(n: int, payload: str | None = None) -> OperationUpdate:
    return OperationUpdate(
        operation_id=f"op-{n}",
        operation_type=OperationType.STEP,
        action=OperationAction.START if payload is None else OperationAction.SUCCEED,
        payload=payload,
    )


class RecordingClient:
    """A service double: records each call's updates and echoes the operations.

    With a ``gate``, each call sets ``entered`` and then waits for the gate to open.
    """

    def __init__(self, fail_with: Exception | None = None, gate: threading.Event | None = None):
        self.calls: list[list[str]] = []
        self.fail_with = fail_with
        self.gate = gate
        self.entered = threading.Event()
        self.tokens = 0

    def checkpoint(self, arn, token, updates, client_token=None):
        if self.gate is not None:
            self.entered.set()
            self.gate.wait(5)
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append([u.operation_id for u in updates])
        self.tokens += 1
        ops = [
            Operation(u.operation_id, OperationType.STEP, OperationStatus.STARTED) for u in updates
        ]
        return CheckpointOutput(f"t{self.tokens}", _state(ops))

    def get_execution_state(self, arn, token, marker, max_items=1000):
        return StateOutput([], None)


def _state(ops):
    from aws_durable_execution_sdk_python.lambda_service import CheckpointUpdatedExecutionState

    return CheckpointUpdatedExecutionState(ops, None)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Wait for a state no double can signal; fail clearly instead of hanging."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(0.001)


def make(client, seen=None, limit=None):
    kwargs = {} if limit is None else {"max_batch_bytes": limit}
    return Checkpointer(client, "arn", "t0", (seen if seen is not None else []).extend, **kwargs)


def test_queued_updates_travel_with_the_next_commit_in_order():
    client = RecordingClient()
    seen: list[Operation] = []
    checkpointer = make(client, seen)
    checkpointer.enqueue(start(1))
    checkpointer.enqueue(start(2))
    assert client.calls == []
    checkpointer.commit(start(3, payload="x"))
    assert client.calls == [["op-1", "op-2", "op-3"]]
    assert [op.operation_id for op in seen] == ["op-1", "op-2", "op-3"]
    assert checkpointer.checkpoint_token == "t1"


def test_flush_sends_leftovers_once_and_nothing_when_empty():
    client = RecordingClient()
    checkpointer = make(client)
    checkpointer.flush()
    assert client.calls == []
    checkpointer.enqueue(start(1))
    checkpointer.flush()
    checkpointer.flush()
    assert client.calls == [["op-1"]]


def test_commit_without_update_is_an_empty_refresh():
    client = RecordingClient()
    checkpointer = make(client)
    checkpointer.commit()
    assert client.calls == [[]]


def test_batches_split_at_the_size_limit_in_order():
    payload = "p" * 1000
    updates = [start(n, payload) for n in range(10)]
    per_update = update_size(updates[0])
    batches = split_batches(updates, limit=per_update * 3)
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert [u for b in batches for u in b] == updates
    client = RecordingClient()
    checkpointer = make(client, limit=per_update * 3)
    for update in updates[:-1]:
        checkpointer.enqueue(update)
    checkpointer.commit(updates[-1])
    assert [len(call) for call in client.calls] == [3, 3, 3, 1]


def test_an_oversized_update_goes_alone():
    big = start(1, "x" * 5000)
    assert [len(b) for b in split_batches([start(0), big, start(2)], limit=2000)] == [1, 1, 1]


def test_concurrent_commits_are_grouped_by_the_leader():
    gate = threading.Event()
    client = RecordingClient(gate=gate)
    checkpointer = make(client)
    leader = threading.Thread(target=checkpointer.commit, args=(start(0, "a"),))
    leader.start()
    assert client.entered.wait(10), "the leader never called the service"
    # The leader is now blocked inside the service call; queue more commits behind it.
    followers = [
        threading.Thread(target=checkpointer.commit, args=(start(n, "b"),)) for n in range(1, 6)
    ]
    for thread in followers:
        thread.start()
    # A follower queues its update, then blocks on the flush lock: nothing to signal there.
    wait_until(lambda: len(checkpointer._pending) == 5, "five followers to queue their updates")
    gate.set()
    for thread in [leader, *followers]:
        thread.join(10)
    assert not any(thread.is_alive() for thread in [leader, *followers])
    # All five followers went out together in the leader's second call, not in five calls.
    assert len(client.calls) == 2
    assert client.calls[0] == ["op-0"]
    assert sorted(client.calls[1]) == [f"op-{n}" for n in range(1, 6)]


def test_a_failed_call_is_sticky():
    error = CheckpointError("boom")
    client = RecordingClient(fail_with=error)
    checkpointer = make(client)
    with pytest.raises(CheckpointError):
        checkpointer.commit(start(1, "x"))
    with pytest.raises(CheckpointError):
        checkpointer.enqueue(start(2))
    with pytest.raises(CheckpointError):
        checkpointer.commit()
