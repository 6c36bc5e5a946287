"""The map/parallel engine: items in child contexts, at most ``max_concurrency`` in flight.

A coordinator on the calling thread starts items strictly in index order on a bounded
thread pool (``max_concurrency`` threads, or a small default), so items doing I/O overlap
while checkpoints go through the shared group-commit checkpointer (no hand-off per
checkpoint). Items already completed in an earlier invocation are resolved inline from
their checkpoints, without a thread. A suspended item (a wait, a retry, a callback) keeps
its slot and does not block the others; when nothing else can run, the batch suspends with
the earliest resume time. Once the completion policy is satisfied nothing more starts,
items still running are told to stop at their next operation, and the pool is joined
before the batch checkpoints its result, so no thread outlives the call.
"""

from __future__ import annotations

import concurrent.futures
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

    def _is_settled(self, unit: Unit) -> bool:
        """Completed in an earlier invocation: resolvable from its checkpoint, inline."""
        op = self.state.get(operation_id(self.batch_id, unit.index))
        if op is None:
            return False
        if op.status is OperationStatus.FAILED:
            return True
        details = op.context_details
        return op.status is OperationStatus.SUCCEEDED and not (details and details.replay_children)

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
        limit = self.settings.max_concurrency
        workers = min(len(self.units), limit or DEFAULT_MAX_THREADS)
        pending = list(reversed(self.units))
        in_flight = 0  # started and not finished; suspended items keep their slot
        running: dict[concurrent.futures.Future[tuple[str, Any]], Unit] = {}
        fatal: BaseException | None = None
        complete = False
        pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="durable-batch")
        try:
            while True:
                # Submit no more than there are free threads, so that no item is queued
                # behind a decision the coordinator has not seen yet.
                while (
                    pending
                    and not complete
                    and (limit is None or in_flight < limit)
                    and len(running) < workers
                ):
                    unit = pending.pop()
                    in_flight += 1
                    if limit == 1 or self._is_settled(unit):
                        # One at a time needs no thread; settled items replay from checkpoints.
                        outcome, value = self._run_item(unit)
                        fatal = fatal or self._settle(unit, outcome, value)
                        in_flight -= outcome != "suspended"
                    else:
                        context = contextvars.copy_context()
                        running[pool.submit(context.run, self._run_item, unit)] = unit
                    complete = fatal is not None or self.policy.is_complete(
                        self.successes, self.failures
                    )
                if not running:
                    break
                done, _ = concurrent.futures.wait(
                    running, return_when=concurrent.futures.FIRST_COMPLETED
                )
                for future in done:
                    unit = running.pop(future)
                    outcome, value = future.result()
                    if complete and outcome not in ("fatal", "skipped"):
                        outcome, value = "abandoned", None
                    fatal = fatal or self._settle(unit, outcome, value)
                    in_flight -= outcome != "suspended"
                if fatal is not None or self.policy.is_complete(self.successes, self.failures):
                    complete = True
                    self.stop.set()  # items still running stop at their next operation
        finally:
            self.stop.set()
            pool.shutdown(wait=True)
        if fatal is not None:
            raise fatal
        if not complete and self.suspensions:
            raise _earliest(self.suspensions)
        for unit in pending:
            # Started in an earlier invocation, not resumed because the batch completed first.
            if self.state.get(self._identifier(unit).operation_id) is not None:
                self._record(unit, "abandoned", None)
        ordered = [self.items[i] for i in sorted(self.items)]
        return BatchResult(ordered, self.policy.reason(self.successes, self.failures))

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
