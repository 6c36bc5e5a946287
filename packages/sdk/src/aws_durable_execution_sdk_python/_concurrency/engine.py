"""The map/parallel engine: items in child contexts, at most ``max_concurrency`` in flight.

Admission is the one decision that shapes a result, so it is made at fixed points and
under one lock: the first ``max_concurrency`` items (every item when it is ``None``) are
admitted when the batch starts, and each time an item finishes, the worker that settles it
admits the next one if the batch is still open and a slot is free. Which items start is
therefore a function of the items' outcomes, never of how threads are scheduled
(docs/decisions.md, "Batch items: started when admitted, never-started ones listed").

Threads are a separate matter. An admitted item goes to a worker that is waiting for one
if there is such a worker, and otherwise a new worker is started, so items that block on
each other can all run at once while fast items reuse a few threads. The calling thread is
a worker too, and the worker that settles an item runs the one it admits, so
one-at-a-time needs no thread at all. A suspended item (a wait, a retry, a callback) keeps
its slot and does not block the others; when nothing is running and nothing can start,
the batch suspends with the earliest resume time. Once the completion policy is satisfied
nothing more is taken, items still running are told to stop at their next operation, and
every worker is joined before the batch checkpoints its result, so no thread outlives the
call.
"""

from __future__ import annotations

import contextvars
import functools
import json
import os
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python._concurrency.batch import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
)
from aws_durable_execution_sdk_python._concurrency.policy import (
    CompletionPolicy,
    CompletionReason,
)
from aws_durable_execution_sdk_python._concurrency.units import (
    BatchSettings,
    ContextFactory,
    Outcome,
    Unit,
)
from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._operations.child import run_child
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
    NestingType,
)
from aws_durable_execution_sdk_python.exceptions import (
    ChildContextError,
    OrphanedChildException,
    SuspendExecution,
    TimedSuspendExecution,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier, operation_id

__all__ = ["BatchEngine"]

# How long queued items may wait for a busy worker before one more worker is started. Short
# enough that items blocking on each other all run within a few milliseconds per item, long
# enough that a worker finishing an item (tens of microseconds) takes the next one itself.
_SPAWN_AFTER = 0.001
# Workers started without waiting when max_concurrency is None: enough to overlap the items'
# checkpoint round trips (the figure ThreadPoolExecutor uses for I/O-bound work).
_EAGER_WORKERS = min(32, (os.cpu_count() or 1) + 4)


class BatchEngine:
    def __init__(
        self,
        state: ExecutionState,
        batch_id: str,
        units: list[Unit],
        settings: BatchSettings,
        make_context: ContextFactory,
    ) -> None:
        self.state = state
        self.batch_id = batch_id
        self.units = units
        self.settings = settings
        self.make_context = make_context
        self.policy = CompletionPolicy(settings.completion, len(units))
        self.stop = threading.Event()
        self.items: dict[int, BatchItem[Any]] = {}
        self.successes = 0
        self.failures = 0
        self.suspensions: list[SuspendExecution] = []
        self._limit = settings.max_concurrency
        self._pending: deque[Unit] = deque(units)  # not admitted yet, in index order
        self._queue: deque[Unit] = deque()  # admitted, waiting for a worker
        self._holding = 0  # admitted and not finished: suspended items keep their slot
        self._running = 0  # taken by a worker and not settled yet
        self._idle = 0  # workers waiting for an item
        self._coming = 0  # workers started but not yet looking for an item
        self._settled = 0  # items finished by workers so far: the dispatcher's progress sign
        self._fatal: BaseException | None = None
        self._complete = False
        # Replay order (docs/decisions.md, "Batch items: started when admitted, never-started
        # ones listed"): when the batch resumes, the admitted items whose context an earlier
        # invocation started run first, at once, and settle in index order; one that reaches
        # an operation its checkpoints do not complete ("live") waits there. Once each is
        # resolved (settled, or waiting live) _order is empty and the rest runs as at first.
        self._resuming = batch_id in state.replayed_ids
        self._order: deque[int] = deque()  # resumed items not yet resolved, in index order
        self._gated: set[int] = set()  # the same, as a set
        self._live: set[int] = set()  # gated items that reached a live operation
        self._counted: set[int] = set()  # items whose completion was checkpointed and counted
        # Replay of a batch already complete: the items the first run had admitted.
        self._admitted_before: frozenset[int] = frozenset()
        # Guards every field above from _pending on, and the tallies.
        self._cond = threading.Condition(threading.Lock())

    # -- one item ------------------------------------------------------------------------

    def _identifier(self, unit: Unit) -> OperationIdentifier:
        return OperationIdentifier(
            operation_id(self.batch_id, unit.index),
            self.settings.item_sub_type,
            self.batch_id,
            unit.name,
        )

    def _run_item(self, unit: Unit) -> tuple[Outcome, Any]:
        if self.stop.is_set() and self.state.get(self._identifier(unit).operation_id) is None:
            # Admitted, but the batch completed before a worker got to it: it counts as
            # started (admission decided that), and its function need not run at all.
            return Outcome.ABANDONED, None
        flat = self.settings.nesting is NestingType.FLAT
        config: ChildConfig[Any] = ChildConfig(
            serdes=self.settings.item_serdes or self.settings.serdes,
            sub_type=self.settings.item_sub_type,
            is_virtual=flat,
        )
        parent = self.batch_id if flat else None
        index = unit.index
        watch = (lambda op_id: self._watch(index, op_id)) if index in self._gated else None
        try:
            value = run_child(
                self.state,
                self._identifier(unit),
                unit.func,
                config,
                lambda op_id: self.make_context(op_id, parent, self.stop, watch),
                record=lambda update: self._completed(unit, update),
            )
        except ChildContextError as error:
            return Outcome.FAILED, error
        except SuspendExecution as suspension:
            return Outcome.SUSPENDED, suspension
        except OrphanedChildException:
            return Outcome.ABANDONED, None
        except BaseException as error:
            return Outcome.FATAL, error
        return Outcome.SUCCEEDED, value

    def _record(self, unit: Unit, outcome: Outcome, value: Any, count: bool = True) -> None:
        """The item's entry; ``count``: add it to the tallies (not yet counted)."""
        index = unit.index
        if outcome is Outcome.SUCCEEDED:
            self.items[index] = BatchItem(index, BatchItemStatus.SUCCEEDED, value)
            self.successes += count
        elif outcome is Outcome.FAILED:
            error = ErrorObject.from_exception(value)
            self.items[index] = BatchItem(index, BatchItemStatus.FAILED, None, error)
            self.failures += count
        else:  # suspended or abandoned: started but not finished
            self.items[index] = BatchItem(index, BatchItemStatus.STARTED)
            if outcome is Outcome.SUSPENDED:
                self.suspensions.append(value)

    # -- admission and settlement (always under the lock) ----------------------------------

    def _admit(self) -> list[Unit]:
        """The next items, in index order, for the free slots of a batch still open."""
        admitted = []
        while (
            not self._complete
            and self._pending
            and (self._limit is None or self._holding < self._limit)
        ):
            admitted.append(self._pending.popleft())
            self._holding += 1
        return admitted

    def _completed(self, unit: Unit, update: OperationUpdate) -> None:
        """An item's SUCCEED or FAIL, from inside ``run_child``: queued to the checkpoint and
        counted in one step, under the lock, so the checkpoint holds the completions in the
        order the batch counts them. Once the batch is complete it is not queued at all: the
        item is reported started, and a replay finds its context started too."""
        with self._cond:
            mine = self._await_turn(unit.index)
            try:
                if self._complete:
                    return
                self.state.enqueue(update)
                self._counted.add(unit.index)
                if update.action is OperationAction.SUCCEED:
                    self.successes += 1
                else:
                    self.failures += 1
                self._holding -= 1
                self._check_complete()
                self._queue.extend(self._admit())
            finally:
                if mine:
                    self._resolve(unit.index)

    def _settle(self, unit: Unit, outcome: Outcome, value: Any) -> None:
        index = unit.index
        if outcome is Outcome.FATAL:
            self._fatal = self._fatal or value
            if index not in self._counted:
                self._holding -= 1
            self._resolve(index)
        elif index in self._counted:
            # Counted when its completion was queued; only its value was missing.
            self._record(unit, outcome, value, count=False)
        else:
            mine = self._await_turn(index)
            if self._complete:
                # Decided without it: whatever it did since, it is reported as started.
                outcome, value = Outcome.ABANDONED, None
            self._record(unit, outcome, value)
            if outcome is not Outcome.SUSPENDED:
                self._holding -= 1
            if mine:
                self._resolve(index)
        self._check_complete()

    def _check_complete(self) -> None:
        if not self._complete and (
            self._fatal is not None or self.policy.is_complete(self.successes, self.failures)
        ):
            self._complete = True
            self.stop.set()  # items still running stop at their next operation
            self._cond.notify_all()

    # -- replay order (under the lock, but for _watch's first look) -------------------------

    def _watch(self, index: int, op_id: str) -> None:
        """A gated item is about to run ``op_id``: unless its checkpoint completes it (or it
        is a context, whose contents decide), the item runs live from here on."""
        if index not in self._gated or index in self._live:
            return
        op = self.state.get(op_id)
        if (
            op is not None
            and op_id in self.state.replayed_ids
            and (op.status.is_terminal or op.operation_type is OperationType.CONTEXT)
        ):
            return
        with self._cond:
            if index in self._gated:
                self._live.add(index)
                self._advance()
            while self._order and not self._complete:
                self._cond.wait()  # live work waits for every outcome the checkpoints hold

    def _await_turn(self, index: int) -> bool:
        """Wait until this item may settle; True when it is a gated item finishing from its
        checkpoints alone (then the caller resolves it once settled)."""
        if index in self._gated and index not in self._live:
            while not self._complete and self._order[0] != index:
                self._cond.wait()
            return True
        while self._order and not self._complete:
            self._cond.wait()
        return False

    def _resolve(self, index: int) -> None:
        if index in self._gated:
            self._gated.discard(index)
            self._order.remove(index)
            self._advance()
            self._cond.notify_all()

    def _advance(self) -> None:
        while self._order and self._order[0] in self._live:
            self._gated.discard(self._order.popleft())
        self._cond.notify_all()

    # -- the coordinator -----------------------------------------------------------------

    def run(self) -> BatchResult[Any]:
        rebuilt = self._rebuild_from_summary()
        if rebuilt is not None:
            return rebuilt
        if not self.units:
            return BatchResult([], self.policy.reason(0, 0))
        self._settle_replayed()
        threads: list[threading.Thread] = []
        dispatcher: threading.Thread | None = None
        try:
            self._resume(threads)
            dispatcher = self._dispatch(threads)
            self._work()
        finally:
            if dispatcher is not None:
                dispatcher.join()  # it starts no worker after this
            for thread in threads:
                thread.join()
            self.stop.set()
        if self._fatal is not None:
            raise self._fatal
        if not self._complete and self.suspensions:
            raise _earliest(self.suspensions)
        not_started = []
        for unit in self._pending:
            if (
                unit.index in self._admitted_before
                or self.state.get(self._identifier(unit).operation_id) is not None
            ):
                # Admitted in an earlier invocation, not resumed: the batch completed first.
                self._record(unit, Outcome.ABANDONED, None)
            else:
                not_started.append(unit.index)
        ordered = [self.items[i] for i in sorted(self.items)]
        reason = self.policy.reason(self.successes, self.failures)
        return BatchResult(ordered, reason, tuple(not_started))

    def _resume(self, threads: list[threading.Thread]) -> None:
        """Replay of a started batch: admit the first items; those whose context an earlier
        invocation started run at once, one thread each, and settle in index order; one that
        reaches a live operation waits there. Returns once each is settled or waiting, so
        that the others (queued, as admitted) start as on a first run."""
        if not self._resuming:
            return
        resumed: list[Unit] = []
        with self._cond:
            for unit in self._admit():
                if self._identifier(unit).operation_id in self.state.replayed_ids:
                    resumed.append(unit)
                else:
                    self._queue.append(unit)
            self._order.extend(unit.index for unit in resumed)
            self._gated.update(self._order)
            self._running += len(resumed)
        for unit in resumed:
            name = f"durable-batch-resumed-{unit.index}"
            threads.append(self._start_thread(functools.partial(self._resume_one, unit), name))
        with self._cond:
            while self._order and not self._complete:
                self._cond.wait()

    def _resume_one(self, unit: Unit) -> None:
        outcome, value = self._run_item(unit)
        with self._cond:
            self._settle(unit, outcome, value)
            self._running -= 1
            self._settled += 1
            self._cond.notify_all()  # idle workers may be waiting for the last one running

    def _dispatch(self, threads: list[threading.Thread]) -> threading.Thread | None:
        """Admit the first items and see each one has a worker to take it.

        Workers for the first ``max_concurrency`` items (``_EAGER_WORKERS`` of them without a
        limit) are started at once. Items still without a worker are left to a dispatcher
        thread (returned), so that the calling thread can work meanwhile.
        """
        eager = self._limit if self._limit is not None else _EAGER_WORKERS
        with self._cond:
            self._queue.extend(self._admit())
            self._coming = 1  # the calling thread
            count = 0 if self._complete else max(0, min(eager, len(self._queue) - 1))
            self._coming += count  # counted now, started outside the lock (they need it)
        for number in range(count):
            threads.append(self._start_thread(self._work, f"durable-batch-{number}"))
        with self._cond:
            if self._complete or not self._uncovered():
                return None
        return self._start_thread(lambda: self._keep_covered(threads), "durable-batch-spawn")

    def _keep_covered(self, threads: list[threading.Thread]) -> None:
        """Start one more worker each time no item finished during ``_SPAWN_AFTER`` while
        items wait: busy workers soon take queued items themselves (fast items then share a
        few threads), while items that block, on each other or on I/O, get a thread each,
        one window at a time. This decides how many threads run the items, never which
        items start (that is ``_admit``'s)."""
        with self._cond:
            while not self._complete and self._uncovered():
                settled = self._settled
                self._cond.wait(_SPAWN_AFTER)
                if self._settled == settled and not self._complete and self._uncovered():
                    self._coming += 1
                    name = f"durable-batch-{len(threads)}"
                    threads.append(self._start_thread(self._work, name))

    def _uncovered(self) -> bool:
        """More admitted items wait than there are workers about to take one."""
        return len(self._queue) > self._idle + self._coming

    @staticmethod
    def _start_thread(target: Callable[[], None], name: str) -> threading.Thread:
        # Threads run in a copy of the starter's context (the seeded jitter source, for one).
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(target,), name=name, daemon=True
        )
        thread.start()
        return thread

    def _work(self) -> None:
        """One worker: take an admitted item, run it, settle it, and go on while there is
        work. The worker that settles an item runs the one this admits, so a sequence of
        fast items stays on one thread."""
        unit: Unit | None = None
        outcome, value = Outcome.ABANDONED, None
        with self._cond:
            self._coming -= 1
        while True:
            with self._cond:
                if unit is not None:
                    self._settle(unit, outcome, value)
                    self._running -= 1
                    self._settled += 1
                    self._queue.extend(self._admit())
                    if len(self._queue) > 1:
                        self._cond.notify(len(self._queue) - 1)
                unit = self._take()
                if unit is None:
                    return
                self._running += 1
            outcome, value = self._run_item(unit)

    def _take(self) -> Unit | None:
        """The next admitted item, waiting while one may still come; None when none will."""
        while True:
            if self._complete:
                while self._queue:  # admitted, never taken: started, stopped at once
                    self._record(self._queue.popleft(), Outcome.ABANDONED, None)
                return None
            if self._queue:
                return self._queue.popleft()
            if self._running == 0 and self._coming == 0:
                # Only a finishing item admits more, and none is running: this is the end
                # (the others are suspended or done).
                self._cond.notify_all()
                return None
            self._idle += 1
            self._cond.wait()
            self._idle -= 1

    def _settle_replayed(self) -> None:
        """Items that finished in earlier invocations are facts: record them first, in order,
        so that replay decides completion the same way whatever the threads do."""
        remaining: deque[Unit] = deque()
        for unit in self._pending:
            op = self.state.get(self._identifier(unit).operation_id)
            settled = op is not None and op.status in (
                OperationStatus.FAILED,
                OperationStatus.SUCCEEDED,
            )
            if not settled:
                remaining.append(unit)
                continue
            outcome, value = self._run_item(unit)
            if outcome is Outcome.FATAL:
                self._fatal = value
                self._complete = True
                return
            self._record(unit, outcome, value)
        self._pending = remaining
        if self.policy.is_complete(self.successes, self.failures):
            self._complete = True
            # Completions are checkpointed in the order they are counted, and none once
            # the batch is complete: the last of these completed it, and each before it
            # had admitted the next item.
            finished = len(self.units) - len(remaining)
            admitted = len(self.units)
            if self._limit is not None and finished:
                admitted = min(admitted, self._limit + finished - 1)
            elif not finished:
                admitted = 0
            self._admitted_before = frozenset(unit.index for unit in self.units[:admitted])

    def _rebuild_from_summary(self) -> BatchResult[Any] | None:
        """Replay of a batch whose result was too large to store: rebuild it item by item."""
        op = self.state.get(self.batch_id)
        details = op.context_details if op is not None else None
        if op is None or op.status is not OperationStatus.SUCCEEDED or not details:
            return None
        try:
            record = json.loads(details.result or "")
            total = int(record["totalCount"])
        except (ValueError, KeyError, TypeError):
            return None  # no usable record: derive every item from its own checkpoint
        if "startedIndexes" in record:
            started = set(record["startedIndexes"])
        else:
            started = set(range(total)) - set(record.get("completedIndexes", []))
        for unit in self.units[:total]:
            if unit.index in started:
                self._record(unit, Outcome.ABANDONED, None)
                continue
            outcome, value = self._run_item(unit)
            if outcome is Outcome.FATAL:
                raise value
            self._record(unit, outcome, value)
        ordered = [self.items[i] for i in sorted(self.items)]
        # Items start in index order, so the started ones are the first ``totalCount``.
        not_started = tuple(unit.index for unit in self.units[total:])
        reason = record.get("completionReason")
        if reason is None:
            reason_value = self.policy.reason(self.successes, self.failures)
            return BatchResult(ordered, reason_value, not_started)
        return BatchResult(ordered, CompletionReason(reason), not_started)


def _earliest(suspensions: list[SuspendExecution]) -> SuspendExecution:
    timed = [s for s in suspensions if isinstance(s, TimedSuspendExecution)]
    if timed:
        return min(timed, key=lambda s: s.scheduled_timestamp)
    return suspensions[0]
