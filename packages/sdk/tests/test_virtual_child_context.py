"""``ChildConfig(is_virtual=True)``: a child context without a checkpoint of its own.

Its operations carry the creator's parent id (none at the top level), while their ids are
still prefixed with the child's; the body runs again on every invocation that reaches it.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import ChildConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

VIRTUAL: ChildConfig[Any] = ChildConfig(is_virtual=True)


def _inner(context: DurableContext) -> int:
    first = context.step(lambda s: 1, name="inner step")
    context.wait(3, name="inner wait")
    return first + context.step(lambda s: 2, name="after the wait")


def _run(handler: Any) -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input={}, timeout=10)


def _parents(result: Any) -> dict[str | None, str | None]:
    """Each operation's parent, by name, as the history records them."""
    names = {e["Id"]: e.get("Name") for e in result.history if "Id" in e}
    return {
        e.get("Name"): names.get(e["ParentId"]) if "ParentId" in e else None
        for e in result.history
        if "Id" in e and not e["EventType"].startswith("Execution")
    }


def test_a_virtual_child_at_the_top_level_has_no_operation_and_its_operations_no_parent() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return context.run_in_child_context(_inner, name="virtual", config=VIRTUAL)

    result = _run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 3
    assert result.invocation_count == 2  # the wait suspends; the body runs again
    assert _parents(result) == {
        "inner step": None,
        "inner wait": None,
        "after the wait": None,
    }


def test_a_virtual_child_inside_a_child_reports_to_that_child() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return context.run_in_child_context(
            lambda outer: outer.run_in_child_context(_inner, name="virtual", config=VIRTUAL),
            name="outer",
        )

    result = _run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 3
    assert _parents(result) == {
        "outer": None,
        "inner step": "outer",
        "inner wait": "outer",
        "after the wait": "outer",
    }
