"""The message of a run that passed its real-time bound, ``run(timeout=...)``.

docs/decisions.md, "Runner time: real-time bounds, virtual execution clock". In-process, the
bound is checked between invocations: user code that never returns (a ``while True`` in a
step) cannot be interrupted without a thread that would outlive the test. In subprocess mode
the child running the invocation is killed at the bound.
"""

from __future__ import annotations

import datetime

from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationType
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord

__all__ = ["overran"]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def overran(record: ExecutionRecord, limit: float, *, killed: bool) -> str:
    """Name the operation that was running when time ran out: the newest started step, or
    else the newest operation of any kind."""
    operations = list(record.operations.values())
    running = [
        op
        for op in operations
        if op.status is OperationStatus.STARTED and op.operation_type is OperationType.STEP
    ] or [op for op in operations if op.operation_type is not OperationType.EXECUTION]
    what = "no started operation had been checkpointed yet"
    if running:
        op = max(running, key=lambda found: found.start_timestamp or _EPOCH)
        label = repr(op.name) if op.name else "(unnamed)"
        what = (
            f"the running operation was {op.operation_type.value.lower()} {label} "
            f"(id {op.operation_id}, {op.status.value})"
        )
    how = "; the process running its invocation was killed" if killed else ""
    return (
        f"execution {record.arn} did not complete within {limit} real seconds "
        f"(run(timeout=...)): {what}{how}"
    )
