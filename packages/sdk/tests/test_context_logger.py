"""The structured logger: records from the context and step loggers carry the durable fields."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from plugin_support import RETRY_TWICE, run

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python_testing import InvocationStatus


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def log_handler() -> Iterator[ListHandler]:
    handler = ListHandler()
    handler.setFormatter(logging.Formatter("%(executionArn)s|%(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_context_logger_records_carry_the_durable_fields(log_handler: ListHandler) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        context.logger.info("starting")

        def flaky(step_context: StepContext) -> int:
            step_context.logger.info("attempt %d", step_context.attempt)
            if step_context.attempt < 2:
                raise RuntimeError("not yet")
            return step_context.attempt

        return context.step(flaky, name="flaky", config=RETRY_TWICE)

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    records = [r for r in log_handler.records if hasattr(r, "executionArn")]
    assert [r.getMessage() for r in records] == ["starting", "attempt 1", "attempt 2"]
    assert {r.executionArn for r in records} == {result.execution_arn}
    step = result.get_step("flaky")
    for record, attempt in zip(records[1:], [1, 2], strict=True):
        assert record.operationId == step.operation_id
        assert record.operationName == "flaky"
        assert record.attempt == attempt
    assert not hasattr(records[0], "operationId")
    assert not hasattr(records[0], "attempt")
    # Plain ``logging`` formatters can use the fields.
    assert f"{result.execution_arn}|starting" in log_handler.lines
