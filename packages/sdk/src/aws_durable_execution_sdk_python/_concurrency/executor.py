"""``run_batch``: a map or parallel as one child context whose items the engine runs.

The batch is a CONTEXT operation; its result is the ``BatchResult`` (or, when too large, a
summary envelope rebuilt on replay). How items are admitted and run is ``engine``'s.
"""

from __future__ import annotations

import json
from typing import Any

from aws_durable_execution_sdk_python._concurrency.batch import (
    BatchItemStatus,
    BatchResult,
)
from aws_durable_execution_sdk_python._concurrency.engine import BatchEngine
from aws_durable_execution_sdk_python._concurrency.units import (
    BatchKind,
    BatchSettings,
    ContextFactory,
    Unit,
)
from aws_durable_execution_sdk_python._operations.child import run_child
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.types import DurableContext

__all__ = ["BatchKind", "BatchSettings", "ContextFactory", "Unit", "run_batch"]


def run_batch(
    state: ExecutionState,
    identifier: OperationIdentifier,
    units: list[Unit],
    settings: BatchSettings,
    make_context: ContextFactory,
) -> BatchResult[Any]:
    """Run the batch as a CONTEXT operation of subtype Map/Parallel; returns its result."""

    def body(_outer: DurableContext) -> BatchResult[Any]:
        engine = BatchEngine(state, identifier.operation_id, units, settings, make_context)
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
        "type": f"{settings.kind.value}Result",
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
