"""The reporter seam: the state and the operations hand plain facts to a reporter.

The state does not know who listens (style: "a core that returns decisions as data"); the
plugins package implements the reporter, and no import between the two closes a loop.
"""

from __future__ import annotations

import ast
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
PACKAGE = SDK.name


def _module_name(path: Path) -> str:
    parts = path.relative_to(SDK.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports, anywhere in it (``TYPE_CHECKING`` and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith(PACKAGE)}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in SDK.rglob("*.py")}
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def _cycles_through(graph: dict[str, set[str]], prefixes: tuple[str, ...]) -> list[list[str]]:
    """Strongly connected components (more than one module) holding a module of ``prefixes``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [c for c in components if any(m.startswith(prefixes) for m in c)]


def test_no_import_cycle_runs_through_the_plugins_or_the_state() -> None:
    cycles = _cycles_through(_graph(), (f"{PACKAGE}._plugins", f"{PACKAGE}._state"))
    assert cycles == []


def test_the_state_imports_nothing_from_the_plugins_package() -> None:
    state_imports = _imports(SDK / "_state" / "execution_state.py")
    assert {name for name in state_imports if "._plugins" in name or name.endswith(".plugin")} == (
        set()
    )


def test_operations_report_through_the_reporter_only() -> None:
    """One way to report everywhere: no module outside the plugins package reaches into it
    for reporting, and none checks ``state.plugins`` first."""
    offenders = []
    for path in [*SDK.glob("_operations/*.py"), *SDK.glob("_concurrency/*.py")]:
        source = path.read_text()
        if "state.plugins" in source or any("._plugins" in name for name in _imports(path)):
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
