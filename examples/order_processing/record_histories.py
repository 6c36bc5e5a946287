"""Save histories of the order workflow as fixtures for the replay tests.

Run it when the workflow changes on purpose and old executions no longer matter:

    python -m examples.order_processing.record_histories

Keep the files of executions that may still be running in production: a replay test of
each proves the new code can carry them on.
"""

from __future__ import annotations

from pathlib import Path

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from examples.order_processing.workflow import handler

HISTORIES = Path(__file__).with_name("histories")
ORDERS = {
    "completed-order.json": {"order_id": "o-1", "items": 3},
    "invalid-order.json": {"order_id": "o-2", "items": 0},
}


def main() -> None:
    HISTORIES.mkdir(exist_ok=True)
    for file_name, order in ORDERS.items():
        with DurableFunctionTestRunner(handler, function_name="order_processing") as runner:
            runner.run(input=order, timeout=10).save_history(HISTORIES / file_name)


if __name__ == "__main__":
    main()
