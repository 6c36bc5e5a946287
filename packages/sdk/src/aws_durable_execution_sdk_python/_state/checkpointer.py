"""Group-commit checkpointing, without a polling thread.

Updates that need no answer (an at-least-once step's START, a child context's START) wait in
a pending list. An update that needs the service's answer (completions, retries, wait and
callback starts, at-most-once starts) is appended and then the whole list is flushed in one
call, in order. When several threads need a flush at once, the first to take the flush lock
sends everything queued and the others find their update already sent, as databases do group
commit. The end of an invocation flushes whatever is left. N sequential steps cost about N
calls; nothing sleeps, nothing polls, nothing is lost.

Batches are split at the service's request-size limit (750 KB); the per-operation payload
limit is the service's to enforce, so a too-large payload fails the same way locally and in
AWS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._service.client import DurableServiceClient
from aws_durable_execution_sdk_python.exceptions import CheckpointError

__all__ = ["MAX_BATCH_BYTES", "Checkpointer"]

# CheckpointDurableExecution accepts at most 750 KB of updates per request.
MAX_BATCH_BYTES = 750 * 1000
# JSON keys, id, type, action, parent id, name and options of one update, generously.
_UPDATE_OVERHEAD_BYTES = 512


def update_size(update: OperationUpdate) -> int:
    size = _UPDATE_OVERHEAD_BYTES
    if update.payload:
        size += len(update.payload.encode())
    if update.error is not None:
        error = update.error
        for text in (error.message, error.type, error.data):
            if text:
                size += len(text.encode()) + 32
        for line in error.stack_trace or ():
            size += len(line.encode()) + 4
    return size


def split_batches(
    updates: list[OperationUpdate], limit: int = MAX_BATCH_BYTES
) -> list[list[OperationUpdate]]:
    """Consecutive runs of updates, each under ``limit`` bytes (one oversized update alone)."""
    batches: list[list[OperationUpdate]] = []
    current: list[OperationUpdate] = []
    size = 0
    for update in updates:
        cost = update_size(update)
        if current and size + cost > limit:
            batches.append(current)
            current, size = [], 0
        current.append(update)
        size += cost
    if current:
        batches.append(current)
    return batches


class Checkpointer:
    """Sends updates in order, batching whatever is pending when an answer is needed."""

    def __init__(
        self,
        client: DurableServiceClient,
        durable_execution_arn: str,
        checkpoint_token: str,
        on_operations: Callable[[list[Operation]], None],
        max_batch_bytes: int = MAX_BATCH_BYTES,
    ) -> None:
        self._client = client
        self._arn = durable_execution_arn
        self._token: str | None = checkpoint_token
        self._on_operations = on_operations
        self._max_batch_bytes = max_batch_bytes
        self._lock = threading.Lock()  # guards _pending and _queued
        self._flush_lock = threading.Lock()  # one call in flight; its holder is the leader
        self._pending: list[OperationUpdate] = []
        self._queued = 0  # updates ever queued
        self._sent = 0  # updates the service has accepted
        self._failure: BaseException | None = None

    @property
    def checkpoint_token(self) -> str | None:
        return self._token

    def enqueue(self, update: OperationUpdate) -> None:
        """Queue an update that needs no answer; it goes with the next flush."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            self._pending.append(update)
            self._queued += 1

    def commit(self, update: OperationUpdate | None = None) -> None:
        """Queue ``update`` (if any) and return once it, and all before it, are accepted."""
        with self._lock:
            if self._failure is not None:
                raise self._failure
            if update is not None:
                self._pending.append(update)
                self._queued += 1
            target = self._queued
        self._flush_until(target, force=update is None)

    def flush(self) -> None:
        """Send whatever is pending (the end of an invocation)."""
        with self._lock:
            target = self._queued
        if target > self._sent:
            self._flush_until(target, force=False)

    def _flush_until(self, target: int, *, force: bool) -> None:
        with self._flush_lock:
            if self._failure is not None:
                raise self._failure
            if self._sent >= target and not force:
                return  # a leader already sent our update
            try:
                # Two rounds at most: what others queued while our call was in flight goes
                # out with the next one, so their commits find it sent instead of each
                # taking the lock for a call of its own; a bound keeps the leader from
                # serving producers forever.
                for _round in range(2):
                    with self._lock:
                        batch, self._pending = self._pending, []
                    if not batch and _round:
                        break
                    self._send_all(batch)
            except BaseException as error:
                self._failure = error
                raise

    def _send_all(self, batch: list[OperationUpdate]) -> None:
        if len(batch) <= 1:
            self._send(batch)  # nothing to split (or an empty refresh)
            self._sent += len(batch)
            return
        for part in split_batches(batch, self._max_batch_bytes):
            self._send(part)
            self._sent += len(part)

    def _send(self, updates: list[OperationUpdate]) -> None:
        if self._token is None:
            raise CheckpointError(
                "the execution has already ended: the service returned no checkpoint token"
            )
        output = self._client.checkpoint(self._arn, self._token, updates)
        self._token = output.checkpoint_token
        state = output.new_execution_state
        operations = list(state.operations)
        marker = state.next_marker
        while marker and self._token:
            page = self._client.get_execution_state(self._arn, self._token, marker)
            operations.extend(page.operations)
            marker = page.next_marker
        if operations:
            self._on_operations(operations)
