"""A deleted execution leaves nothing in the service's indexes: no callback id, no deadline
timer of its callbacks, no execution timeout."""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig, Duration
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


@durable_execution
def waits(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(
        timeout=Duration.from_hours(2), heartbeat_timeout=Duration.from_hours(1)
    )
    return context.create_callback(name="answer", config=config).result()


def test_deleting_a_stopped_execution_forgets_its_callbacks_deadlines() -> None:
    with DurableFunctionTestRunner(waits) as runner:
        arn = runner.run_async()
        callback_id = runner.wait_for_callback(arn, "answer")
        runner.stop_execution(arn)
        runner.delete_execution(arn)
        service = runner.service
        assert arn not in service.executions
        assert service.callbacks.find(callback_id) is None
        assert not [
            key for key in service._deadlines if callback_id in repr(key) or arn in repr(key)
        ]
        assert not [t for t in service.timers._heap if not t.cancelled and arn in t.description]


@durable_execution
def fails_with_a_callback_open(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(
        timeout=Duration.from_hours(2), heartbeat_timeout=Duration.from_hours(1)
    )
    context.create_callback(name="answer", config=config)
    raise ValueError("gave up before anyone answered")


def test_deleting_a_failed_execution_forgets_its_open_callbacks_deadlines() -> None:
    with DurableFunctionTestRunner(fails_with_a_callback_open) as runner:
        result = runner.run()
        arn = result.execution_arn
        [callback] = [op for op in result.wire_operations if op.callback_details]
        callback_id = callback.callback_details.callback_id
        runner.delete_execution(arn)
        service = runner.service
        assert service.callbacks.find(callback_id) is None
        assert not [key for key in service._deadlines if callback_id in repr(key)]
