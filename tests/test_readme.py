"""The README's code blocks: every one compiles, and the runnable ones run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackHeartbeat,
    CallbackSuccess,
    DurableFunctionTestRunner,
    InvocationStatus,
)

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_every_python_block_compiles(index: int) -> None:
    compile(BLOCKS[index], f"README.md block {index}", "exec")


def _namespace(index: int, **helpers: Any) -> dict[str, Any]:
    """Run blocks 0..index in one namespace, as a reader follows the README."""
    namespace: dict[str, Any] = {"__name__": f"readme_block_{index}", **helpers}
    for number in range(index + 1):
        exec(compile(BLOCKS[number], f"README.md block {number}", "exec"), namespace)
    return namespace


def test_the_first_durable_function_runs() -> None:
    handler = _namespace(0)["handler"]
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={"order_id": "o-1"})
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == {"order_id": "o-1", "status": "charged"}
    wait = next(op for op in result.operations if op.operation_type.value == "WAIT")
    assert (wait.end_timestamp - wait.start_timestamp).total_seconds() >= 86400


def test_the_tour_of_operations_runs() -> None:
    notified: list[str] = []
    namespace = _namespace(
        1,
        notify_approver=notified.append,
        check_job=lambda state: "DONE" if state == "RUNNING" else "RUNNING",
        process=lambda item: item * 2,
    )

    @namespace["durable_execution"]
    def payment(event: Any, context: Any) -> dict[str, Any]:
        return {"paid": event["order"]}

    with DurableFunctionTestRunner(namespace["handler"]) as runner:
        runner.register_durable_function("payment-service", payment)
        result = runner.run(
            input={"order_id": "o-1", "items": [1, 2, 3]},
            callbacks={"approval": [CallbackHeartbeat(delay=1800), CallbackSuccess("yes", 3000)]},
        )
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == {"approval": "yes", "receipt": {"paid": "o-1"}, "results": [2, 4, 6]}
    assert len(notified) == 1
