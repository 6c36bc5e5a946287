"""The reporter seam: the state and the operations hand plain facts to a reporter.

The state does not know who listens (style: "a core that returns decisions as data"); the
plugins package implements the reporter, and no import between the two closes a loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python._state.reporting import SILENT, ExecutionReporter
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
)

SDK = Path(__file__).resolve().parents[1] / "src" / "aws_durable_execution_sdk_python"


def test_operations_report_through_the_reporter_only() -> None:
    """One way to report everywhere: no module outside the plugins package reaches into it
    for reporting, and none checks ``state.plugins`` first."""
    offenders = []
    for path in [*SDK.glob("_operations/*.py"), *SDK.glob("_concurrency/*.py")]:
        source = path.read_text()
        if "state.plugins" in source or "aws_durable_execution_sdk_python._plugins" in source:
            offenders.append(path.name)
    assert offenders == []


class RecordingReporter:
    """Keeps every fact it is handed."""

    def __init__(self) -> None:
        self.facts: list[tuple[str, Any]] = []

    def invocation_started(self) -> None:
        self.facts.append(("invocation_started", None))

    def invocation_ended(self, status: Any, error: Any) -> None:
        self.facts.append(("invocation_ended", (status, error)))

    def invocation_raised(self, error: BaseException) -> None:
        self.facts.append(("invocation_raised", error))

    def operation_starting(self, update: OperationUpdate) -> None:
        self.facts.append(("operation_starting", update.operation_id))

    def operation_replayed(self, op: Operation) -> None:
        self.facts.append(("operation_replayed", op.operation_id))

    def operations_merged(self, operations: Any) -> None:
        self.facts.append(("operations_merged", [op.operation_id for op in operations]))

    def user_function_started(self, identifier: OperationIdentifier, attempt: int | None) -> None:
        self.facts.append(("user_function_started", (identifier.operation_id, attempt)))

    def user_function_ended(
        self, identifier: OperationIdentifier, error: BaseException | None
    ) -> None:
        self.facts.append(("user_function_ended", (identifier.operation_id, error)))


class EchoClient:
    def checkpoint(self, arn: str, token: str, updates: Any, client_token: Any = None) -> Any:
        status = {
            OperationAction.START: OperationStatus.STARTED,
            OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
        }
        ops = [Operation(u.operation_id, u.operation_type, status[u.action]) for u in updates]
        return CheckpointOutput("next", CheckpointUpdatedExecutionState(ops, None))

    def get_execution_state(self, arn: str, token: str, marker: str, max_items: int = 1000) -> Any:
        return StateOutput([], None)


ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/abc"


def _state() -> ExecutionState:
    execution = Operation("abc", OperationType.EXECUTION, OperationStatus.STARTED)
    return ExecutionState(ARN, "token", [execution], EchoClient())  # type: ignore[arg-type]


def test_the_state_reports_to_a_silent_reporter_until_it_is_handed_one() -> None:
    state = _state()
    assert state.reporter is SILENT
    state.commit(OperationUpdate("s1", OperationType.STEP, OperationAction.START))
    assert state.operations["s1"].status is OperationStatus.STARTED


def test_the_state_hands_plain_facts_to_its_reporter() -> None:
    state = _state()
    reporter = RecordingReporter()
    typed: ExecutionReporter = reporter  # the recorder fits the seam's protocol
    state.reporter = typed

    state.enqueue(OperationUpdate("s1", OperationType.STEP, OperationAction.START))
    state.commit(OperationUpdate("s1", OperationType.STEP, OperationAction.SUCCEED, payload="1"))

    assert reporter.facts == [
        ("operation_starting", "s1"),
        ("operations_merged", ["s1", "s1"]),
    ]
    assert state.operations["s1"].status is OperationStatus.SUCCEEDED
