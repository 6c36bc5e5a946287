"""``context.logger``: replay-aware, and every record carries the execution's coordinates."""

from __future__ import annotations

import logging

import pytest

from aws_durable_execution_sdk_python import DurableContext, Duration, durable_execution
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


@durable_execution
def handler(event: dict, context: DurableContext) -> str:
    context.logger.info("before the wait")
    context.step(
        lambda step: step.logger.info("inside the step, attempt %d", step.attempt), name="s"
    )
    context.wait(Duration.from_seconds(5))
    context.logger.info("after the wait")
    return "done"


def _records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if hasattr(r, "executionArn")]


def test_each_message_is_logged_once_across_replays(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run()
    assert result.invocation_count == 2
    messages = [r.getMessage() for r in _records(caplog)]
    assert messages == ["before the wait", "inside the step, attempt 1", "after the wait"]


def test_records_carry_execution_and_operation_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run()
    records = _records(caplog)
    assert {r.executionArn for r in records} == {result.execution_arn}
    step_record = records[1]
    step = result.get_step("s")
    assert step_record.operationId == step.operation_id
    assert step_record.operationName == "s"
    assert step_record.attempt == 1
    assert not hasattr(records[0], "operationId")


def test_a_replacement_logger_keeps_replay_gating() -> None:
    seen: list[str] = []

    class ListLogger:
        def _add(self, msg, *args, **kwargs):
            seen.append(msg % args if args else msg)

        debug = info = warning = error = exception = _add

    @durable_execution
    def custom(event: dict, context: DurableContext) -> None:
        context.set_logger(ListLogger())
        context.logger.info("once")
        context.wait(Duration.from_seconds(1))

    with DurableFunctionTestRunner(custom) as runner:
        runner.run()
    assert seen == ["once"]
