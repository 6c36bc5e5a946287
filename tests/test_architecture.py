"""The layout rules the code must keep: no import circle in either package, no private imports
across packages, and no reference to rule numbers kept outside the repository."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "aws_durable_execution_sdk_python": ROOT / "packages/sdk/src/aws_durable_execution_sdk_python",
    "aws_durable_execution_sdk_python_testing": (
        ROOT / "packages/testing/src/aws_durable_execution_sdk_python_testing"
    ),
}


def _module_name(package: str, path: Path) -> str:
    parts = [package, *path.relative_to(PACKAGES[package]).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST) -> Iterator[tuple[str, list[str]]]:
    """Every import in the module, wherever it is (functions and ``TYPE_CHECKING`` included):
    a circle that only type checkers or late imports follow is still a concept out of place."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []


def _graph(package: str) -> dict[str, set[str]]:
    modules = {_module_name(package, path): path for path in PACKAGES[package].rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, names in _imports(ast.parse(path.read_text())):
            if not target.startswith(package):
                continue
            for imported in names or [""]:
                full = f"{target}.{imported}"
                graph[name].add(full if full in modules else target)
    return {
        name: {t for t in targets if t in modules and t != name} for name, targets in graph.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

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
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_circles(package: str) -> None:
    assert _cycles(_graph(package)) == []


def test_the_state_hands_facts_to_a_reporter_and_never_imports_the_plugins() -> None:
    sdk = "aws_durable_execution_sdk_python"
    imported = _graph(sdk)[f"{sdk}._state.execution_state"]
    assert {name for name in imported if name.startswith(f"{sdk}._plugins")} == set()


def test_no_part_of_the_in_memory_service_imports_its_owner() -> None:
    testing = "aws_durable_execution_sdk_python_testing"
    graph = _graph(testing)
    owner = f"{testing}._service.service"
    parts = [name for name in graph if name.startswith(f"{testing}._service.") and name != owner]
    assert parts
    assert [name for name in parts if owner in graph[name]] == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _python_files() -> Iterator[Path]:
    for top in ("packages", "tests", "examples", "benchmarks", "scripts"):
        for path in (ROOT / top).rglob("*.py"):
            if ".venv" not in path.parts:
                yield path


def test_the_testing_package_uses_only_public_sdk_modules() -> None:
    private = re.compile(r"aws_durable_execution_sdk_python\._")
    offenders = [
        str(path.relative_to(ROOT))
        for path in PACKAGES["aws_durable_execution_sdk_python_testing"].rglob("*.py")
        if private.search(path.read_text())
    ]
    assert offenders == []


def test_rules_are_named_not_numbered() -> None:
    """Decisions are cited by their heading in docs/decisions.md, never by a number kept
    outside the repository."""
    numbered = re.compile(r"\b[Rr]ulings? \d+")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in [*_python_files(), ROOT / "README.md", *ROOT.glob("packages/*/README.md")]
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if numbered.search(line)
    ]
    assert offenders == []


def test_cited_decisions_exist() -> None:
    headings = {
        line.lstrip("#").strip()
        for line in (ROOT / "docs/decisions.md").read_text().splitlines()
        if line.startswith("#")
    }
    # The heading may start on the next line, after a comment's "#".
    cited = re.compile(r'decisions\.md[,:]?\s+(?:#\s*)?"([^"]+)"')
    missing = [
        f"{path.relative_to(ROOT)}: {title}"
        for path in _python_files()
        for title in (
            " ".join(t.replace("#", " ").split()) for t in cited.findall(path.read_text())
        )
        if title not in headings
    ]
    assert missing == []
