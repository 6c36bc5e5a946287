"""Group-commit checkpointing, with a bounded wait for updates that need no answer.

Updates that need no answer (an at-least-once step's START, a child context's START) wait in
a pending list. An update that needs the service's answer (completions, retries, wait and
callback starts, at-most-once starts) is appended and then the whole list is flushed in one
call, in order. When several threads need a flush at once, the first to take the flush lock
sends everything queued and the others find their update already sent, as databases do group
commit. The end of an invocation flushes whatever is left. N sequential steps cost about N
calls; nothing polls, nothing is lost.

A queued update waits at most ``start_flush_window`` seconds: a step still running after it
should show as started at the service, so that a crash mid-step leaves its START in the
history. One flusher thread, started the first time something is queued, sleeps with a
timeout only while an update waits and parks without one otherwise; when the window passes
it flushes through the same group-commit path (so nothing is reordered and the token stays
consistent), and ``close()`` stops it at the end of the invocation. A step that finishes
within the window still costs one call: its START travels with its completion.

Batched steps (``StepDurability.BATCHED``) go further: their START and SUCCEED are *held*,
pending like a START but with no window, so N sequential steps travel in about N /
``batch_size`` calls. A held update goes out with the next flush (the next update that needs
an answer, or the end of the invocation), always before any later update; it is sent early
when ``batch_size`` completions are held or when one more would take the pending updates past
one call's bytes.

Batches are split at the service's request-size limit (750 KB); the per-operation payload
limit is the service's to enforce, so a too-large payload fails the same way locally and in
AWS.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from aws_durable_execution_sdk_python._model.enums import OperationAction
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._service.client import DurableServiceClient
from aws_durable_execution_sdk_python.exceptions import CheckpointError, ValidationError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_START_FLUSH_WINDOW",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_SIZE",
    "Checkpointer",
    "check_start_flush_window",
]

# How long a queued START may wait for a completion to travel with (seconds): long enough
# that a fast step costs one call, short enough that a running step shows as started.
DEFAULT_START_FLUSH_WINDOW = 0.05

# CheckpointDurableExecution accepts at most 750 KB of updates per request.
MAX_BATCH_BYTES = 750 * 1000
# JSON keys, id, type, action, parent id, name and options of one update, generously.
_UPDATE_OVERHEAD_BYTES = 512
# Held step completions that one call can carry: each comes with its START, and even with no
# result the two take 2 * 512 bytes by the estimate above (732 steps in 750 KB).
MAX_BATCH_SIZE = MAX_BATCH_BYTES // (2 * _UPDATE_OVERHEAD_BYTES)
# Held completions before the batch is sent on its own: 50 sequential steps cost one call.
DEFAULT_BATCH_SIZE = 50


class _Real:
    # Held on a class, not as a module global, so freezegun (which patches the module
    # attributes it finds) never stops the window (docs/decisions.md, "freezegun is opt-in").
    monotonic = staticmethod(time.monotonic)


def check_start_flush_window(value: object, where: str) -> float:
    """``value`` as a window in seconds: a number >= 0 (``math.inf``: only with a flush).

    Raises:
        ValidationError: not a number (``True`` is not one), negative or NaN.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"{where}(start_flush_window={value!r}): expected seconds as a number >= 0"
        )
    if math.isnan(value) or value < 0:
        raise ValidationError(
            f"{where}(start_flush_window={value!r}): expected seconds as a number >= 0"
        )
    return float(value)


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
    """Sends updates in order, batching whatever is pending when an answer is needed.

    ``start_flush_window`` (seconds) bounds how long a queued update waits for the next
    flush; ``None`` or ``math.inf`` leaves it to the next update that needs an answer.
    ``batch_size``: held completions (``hold``) that make a batch full and send it.
    """

    def __init__(
        self,
        client: DurableServiceClient,
        durable_execution_arn: str,
        checkpoint_token: str,
        on_operations: Callable[[list[Operation]], None],
        max_batch_bytes: int = MAX_BATCH_BYTES,
        start_flush_window: float | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self._client = client
        self._arn = durable_execution_arn
        self._token: str | None = checkpoint_token
        self._on_operations = on_operations
        self._max_batch_bytes = max_batch_bytes
        window = None if start_flush_window is None else float(start_flush_window)
        self._window = None if window is None or math.isinf(window) else window
        self._lock = threading.Lock()  # guards _pending, _queued and the flusher's fields
        self._flush_lock = threading.Lock()  # one call in flight; its holder is the leader
        self._pending: list[OperationUpdate] = []
        self._pending_bytes = 0  # update_size of what is pending, to send a batch early
        self._held = 0  # held completions pending
        self._batch_size = batch_size
        self._queued = 0  # updates ever queued
        self._sent = 0  # updates the service has accepted
        self._failure: BaseException | None = None
        # The flusher: woken through _wake (which shares _lock) when an update starts to
        # wait while it is parked, or when the checkpointer closes.
        self._wake = threading.Condition(self._lock)
        self._deadline: float | None = None  # when the oldest pending update must be sent
        self._flusher: threading.Thread | None = None
        self._parked = False
        self._closed = False

    @property
    def checkpoint_token(self) -> str | None:
        return self._token

    def enqueue(self, update: OperationUpdate) -> None:
        """Queue an update that needs no answer; it goes with the next flush, or when its
        window has passed."""
        new_flusher = None
        with self._lock:
            if self._failure is not None:
                raise self._failure
            self._pending.append(update)
            self._pending_bytes += update_size(update)
            self._queued += 1
            if self._window is not None and self._deadline is None and not self._closed:
                self._deadline = _Real.monotonic() + self._window
                if self._flusher is None:
                    new_flusher = self._flusher = threading.Thread(
                        target=self._run_flusher, name="durable-checkpoint-flusher", daemon=True
                    )
                elif self._parked:
                    self._wake.notify()
        if new_flusher is not None:
            # Started outside the lock, which its first step takes: no hand-off back and forth.
            new_flusher.start()

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

    def hold(self, update: OperationUpdate) -> None:
        """Queue an update of a batched step: no window and no call of its own, unless the
        batch is full (``batch_size`` completions held) or this update would take what is
        pending past one call's bytes (what is pending goes first, in one call)."""
        cost = update_size(update)
        with self._lock:
            if self._failure is not None:
                raise self._failure
            early = bool(self._pending) and self._pending_bytes + cost > self._max_batch_bytes
            target = self._queued
        if early:
            self._flush_until(target, force=False)
        with self._lock:
            if self._failure is not None:
                raise self._failure
            self._pending.append(update)
            self._pending_bytes += cost
            self._queued += 1
            if update.action is not OperationAction.START:
                self._held += 1
            full = self._held >= self._batch_size
            target = self._queued
        if full:
            self._flush_until(target, force=False)

    def flush(self) -> None:
        """Send whatever is pending (the end of an invocation)."""
        with self._lock:
            target = self._queued
        if target > self._sent:
            self._flush_until(target, force=False)

    def close(self) -> None:
        """Stop the flusher and wait for it (a send it has begun completes first).

        Updates still pending stay pending: ``flush()`` sends them. Idempotent.
        """
        with self._lock:
            self._closed = True
            self._deadline = None
            flusher = self._flusher
            self._wake.notify()
        # ident is None only while an enqueue racing this close has yet to start it; the
        # flusher then finds the checkpointer closed and ends at once.
        if (
            flusher is not None
            and flusher.ident is not None
            and flusher is not threading.current_thread()
        ):
            flusher.join()

    def _run_flusher(self) -> None:
        with self._lock:
            while not self._closed:
                deadline = self._deadline
                if deadline is None or self._failure is not None:
                    self._parked = True  # nothing waits: no timeout, nothing to poll
                    self._wake.wait()
                    self._parked = False
                    continue
                remaining = deadline - _Real.monotonic()
                if remaining > 0:
                    # Not woken when a commit takes the queue first: it then finds no
                    # deadline (or a later one) and parks, one wake-up per window at most.
                    self._wake.wait(remaining)
                    continue
                target = self._queued
                self._lock.release()
                try:
                    self._flush_until(target, force=False)
                except BaseException:
                    pass  # kept as the sticky failure: the next enqueue or commit raises it
                finally:
                    self._lock.acquire()

    def _take_pending(self) -> list[OperationUpdate]:
        with self._lock:
            batch, self._pending = self._pending, []
            self._pending_bytes = self._held = 0
            self._deadline = None
        return batch

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
                    batch = self._take_pending()
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
