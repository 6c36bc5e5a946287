"""The map/parallel engine: items in child contexts, at most ``max_concurrency`` in flight.

Items start strictly in index order on a bounded set of workers (``max_concurrency``
threads, or a small default; the calling thread is one of them, so one-at-a-time needs no
thread at all). Each worker takes the next item, runs it, and settles its outcome under one
lock, so items doing I/O overlap while checkpoints go through the shared group-commit
checkpointer, and no coordinator is woken per item. A suspended item (a wait, a retry, a
callback) keeps its slot and does not block the others; when nothing else can run, the batch
suspends with the earliest resume time. Once the completion policy is satisfied nothing more
starts, items still running are told to stop at their next operation, and the workers are
joined before the batch checkpoints its result, so no thread outlives the call.
"""

from __future__ import annotations

import contextvars
import json
import os
import threading
from collections.abc import Callable
from typing import Any

import attrs

from aws_durable_execution_sdk_python._concurrency.batch import (
    BatchItem,
    BatchItemStatus,
    BatchResult,
    CompletionReason,
)
from aws_durable_execution_sdk_python._concurrency.policy import CompletionPolicy
from aws_durable_execution_sdk_python._model.enums import OperationStatus, OperationSubType
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._operations.child import run_child
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import ChildConfig, CompletionConfig, NestingType
from aws_durable_execution_sdk_python.exceptions import (
    ChildContextError,
    OrphanedChildException,
    SuspendExecution,
    TimedSuspendExecution,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier, operation_id
from aws_durable_execution_sdk_python.serdes import SerDes

__all__ = ["BatchSettings", "Unit", "run_batch"]

DEFAULT_MAX_THREADS = min(32, (os.cpu_count() or 1) + 4)

# make_context(operation_id, parent_id, stop) -> the DurableContext an item runs with.
ContextFactory = Callable[[str, "str | None", "threading.Event | None"], Any]


@attrs.frozen
class Unit:
    """One item or branch: its index, its name and the function to run in its context."""

    index: int
    name: str | None
    func: Callable[[Any], Any]


@attrs.frozen
class BatchSettings:
    kind: str  # "Map" or "Parallel"
    item_sub_type: OperationSubType
    max_concurrency: int | None
    completion: CompletionConfig
    serdes: SerDes[Any] | None
    item_serdes: SerDes[Any] | None
    summary_generator: Callable[[Any], str] | None
    nesting: NestingType

    @classmethod
    def of(cls, kind: str, item_sub_type: OperationSubType, config: Any) -> BatchSettings:
        """From a ``MapConfig`` or ``ParallelConfig`` (they share these fields)."""
        return cls(
            kind,
            item_sub_type,
            config.max_concurrency,
            config.completion_config,
            config.serdes,
            config.item_serdes,
            config.summary_generator,
            config.nesting_type,
        )


def run_batch(
    state: ExecutionState,
    identifier: OperationIdentifier,
    units: list[Unit],
    settings: BatchSettings,
    make_context: ContextFactory,
) -> BatchResult[Any]:
    """Run the batch as a CONTEXT operation of subtype Map/Parallel; returns its result."""

    def body(_outer: Any) -> BatchResult[Any]:
        engine = _Engine(state, identifier.operation_id, units, settings, make_context)
        return engine.run()

    def summary(result: BatchResult[Any]) -> str:
        return _summary_envelope(result, settings)

    config: ChildConfig[Any] = ChildConfig(
        serdes=settings.serdes, sub_type=identifier.sub_type, summary_generator=summary
    )
    result: BatchResult[Any] = run_child(
        state, identifier, body, config, lambda op_id: make_context(op_id, None, None)
    )
    return result


def _summary_envelope(result: BatchResult[Any], settings: BatchSettings) -> str:
    """What a too-large batch result checkpoints instead, enough to rebuild it on replay."""
    started = [i.index for i in result.all if i.status is BatchItemStatus.STARTED]
    completed = [i.index for i in result.all if i.status is not BatchItemStatus.STARTED]
    record: dict[str, Any] = {
        "type": f"{settings.kind}Result",
        "totalCount": result.total_count,
        "completionReason": result.completion_reason.value,
        "startedCount": result.started_count,
        "successCount": result.success_count,
        "failureCount": result.failure_count,
        "status": result.status.value,
    }
    if len(started) <= len(completed):
        record["startedIndexes"] = started
    else:
        record["completedIndexes"] = completed
    if settings.summary_generator is not None:
        record["summary"] = str(settings.summary_generator(result))
    return json.dumps(record, separators=(",", ":"))


class _Engine:
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
        self._pending = list(reversed(units))  # next item last
        self._in_flight = 0  # started and not finished; suspended items keep their slot
        self._fatal: BaseException | None = None
        self._complete = False
        self._lock = threading.Lock()  # guards the fields above and the tallies

    # -- one item ------------------------------------------------------------------------

    def _identifier(self, unit: Unit) -> OperationIdentifier:
        return OperationIdentifier(
            operation_id(self.batch_id, unit.index),
            self.settings.item_sub_type,
            self.batch_id,
            unit.name,
        )

    def _run_item(self, unit: Unit) -> tuple[str, Any]:
        if self.stop.is_set() and self.state.get(self._identifier(unit).operation_id) is None:
            return "skipped", None  # queued, but the batch completed before it started
        flat = self.settings.nesting is NestingType.FLAT
        config: ChildConfig[Any] = ChildConfig(
            serdes=self.settings.item_serdes or self.settings.serdes,
            sub_type=self.settings.item_sub_type,
            is_virtual=flat,
        )
        parent = self.batch_id if flat else None
        try:
            value = run_child(
                self.state,
                self._identifier(unit),
                unit.func,
                config,
                lambda op_id: self.make_context(op_id, parent, self.stop),
                queue_completion=True,
            )
        except ChildContextError as error:
            return "failed", error
        except SuspendExecution as suspension:
            return "suspended", suspension
        except OrphanedChildException:
            return "abandoned", None
        except BaseException as error:
            return "fatal", error
        return "succeeded", value

    def _record(self, unit: Unit, outcome: str, value: Any) -> None:
        index = unit.index
        if outcome == "succeeded":
            self.items[index] = BatchItem(index, BatchItemStatus.SUCCEEDED, value)
            self.successes += 1
        elif outcome == "failed":
            error = ErrorObject.from_exception(value)
            self.items[index] = BatchItem(index, BatchItemStatus.FAILED, None, error)
            self.failures += 1
        else:  # suspended or abandoned: started but not finished
            self.items[index] = BatchItem(index, BatchItemStatus.STARTED)
            if outcome == "suspended":
                self.suspensions.append(value)

    # -- the coordinator -----------------------------------------------------------------

    def run(self) -> BatchResult[Any]:
        rebuilt = self._rebuild_from_summary()
        if rebuilt is not None:
            return rebuilt
        if not self.units:
            return BatchResult([], self.policy.reason(0, 0))
        self._settle_replayed()
        workers = min(len(self._pending), self._limit or DEFAULT_MAX_THREADS)
        if self._complete:
            workers = 0
        # The calling thread works too; the others start with a copy of its context (the
        # seeded jitter source, for one).
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(self._work,),
                name=f"durable-batch-{n}",
                daemon=True,
            )
            for n in range(max(0, workers - 1))
        ]
        for thread in threads:
            thread.start()
        try:
            if workers:
                self._work()
        finally:
            for thread in threads:
                thread.join()
            self.stop.set()
        if self._fatal is not None:
            raise self._fatal
        if not self._complete and self.suspensions:
            raise _earliest(self.suspensions)
        for unit in self._pending:
            # Started in an earlier invocation, not resumed because the batch completed first.
            if self.state.get(self._identifier(unit).operation_id) is not None:
                self._record(unit, "abandoned", None)
        ordered = [self.items[i] for i in sorted(self.items)]
        return BatchResult(ordered, self.policy.reason(self.successes, self.failures))

    def _settle_replayed(self) -> None:
        """Items that finished in earlier invocations are facts: record them first, in order,
        so that replay decides completion the same way whatever the threads do."""
        remaining = []
        for unit in reversed(self._pending):
            op = self.state.get(self._identifier(unit).operation_id)
            details = op.context_details if op is not None else None
            settled = op is not None and (
                op.status is OperationStatus.FAILED
                or (
                    op.status is OperationStatus.SUCCEEDED
                    and not (details and details.replay_children)
                )
            )
            if not settled:
                remaining.append(unit)
                continue
            outcome, value = self._run_item(unit)
            fatal = self._settle(unit, outcome, value)
            if fatal is not None:
                self._fatal = fatal
                self._complete = True
                return
        self._pending = list(reversed(remaining))
        if self.policy.is_complete(self.successes, self.failures):
            self._complete = True

    def _work(self) -> None:
        """One worker: take the next item while the batch is open and a slot is free.

        Workers take items in index order and settle them under one lock, so completion is
        decided where the outcome arrives, with no coordinator to wake per item. A worker
        whose slot stays held by a suspended item stops; the one that frees a slot goes on.
        """
        while True:
            with self._lock:
                if self._complete or not self._pending:
                    return
                if self._limit is not None and self._in_flight >= self._limit:
                    return
                unit = self._pending.pop()
                self._in_flight += 1
            outcome, value = self._run_item(unit)
            with self._lock:
                if self._complete and outcome not in ("fatal", "skipped"):
                    outcome, value = "abandoned", None
                fatal = self._settle(unit, outcome, value)
                if outcome != "suspended":
                    self._in_flight -= 1
                if fatal is not None:
                    self._fatal = self._fatal or fatal
                if self._fatal is not None or self.policy.is_complete(
                    self.successes, self.failures
                ):
                    self._complete = True
                    self.stop.set()  # items still running stop at their next operation

    def _settle(self, unit: Unit, outcome: str, value: Any) -> BaseException | None:
        if outcome == "fatal":
            return value  # type: ignore[no-any-return]
        if outcome != "skipped":  # never-started items are left out of the result
            self._record(unit, outcome, value)
        return None

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
                self._record(unit, "abandoned", None)
                continue
            outcome, value = self._run_item(unit)
            if outcome == "fatal":
                raise value
            self._record(unit, outcome, value)
        ordered = [self.items[i] for i in sorted(self.items)]
        reason = record.get("completionReason")
        if reason is None:
            return BatchResult(ordered, self.policy.reason(self.successes, self.failures))
        return BatchResult(ordered, CompletionReason(reason))


def _earliest(suspensions: list[SuspendExecution]) -> SuspendExecution:
    timed = [s for s in suspensions if isinstance(s, TimedSuspendExecution)]
    if timed:
        return min(timed, key=lambda s: s.scheduled_timestamp)
    return suspensions[0]
