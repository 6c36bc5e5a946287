"""Handlers for the seed's "Testing" section (``from my_function import handler`` in the seed).

The seed names these handlers without defining them; each is written to show what its test
checks: success, input validation, an SDK ValidationError, retries that recover, retries
that run out, and an error's details.
"""

from aws_durable_execution_sdk_python import (
    DurableContext,
    ExecutionError,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy


@durable_step
def transform(step_context: StepContext, data: str) -> str:
    return data.upper()


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    return {"data": context.step(transform(event["data"]))}


@durable_execution
def handler_with_validation(event: dict, context: DurableContext) -> dict:
    if not event.get("user_id"):
        return {"error": "InvalidInput", "message": "user_id is required"}
    return context.step(lambda _: {"user_id": event["user_id"]}, name="load_user")


@durable_execution
def handler_with_invalid_config(event: dict, context: DurableContext) -> str:
    # max_attempts counts the first attempt: 0 is invalid, so the SDK raises ValidationError
    # before anything runs, and nothing catches it.
    step_config = StepConfig(
        retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=0))
    )
    return context.step(lambda _: "never runs", name="configured", config=step_config)


QUICK_RETRIES = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay_seconds=1,
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
            retryable_error_types=[RuntimeError],
        )
    )
)


@durable_step
def flaky_fetch(step_context: StepContext) -> dict:
    """Fails on its first two attempts, succeeds on the third."""
    if step_context.attempt < 3:
        raise RuntimeError(f"temporary failure on attempt {step_context.attempt}")
    return {"fetched": True, "attempt": step_context.attempt}


@durable_execution
def handler_with_retry(event: dict, context: DurableContext) -> dict:
    return context.step(flaky_fetch(), config=QUICK_RETRIES)


@durable_step
def broken_fetch(step_context: StepContext) -> dict:
    raise RuntimeError(f"permanent outage (attempt {step_context.attempt})")


@durable_execution
def handler_always_fails(event: dict, context: DurableContext) -> dict:
    return context.step(broken_fetch(), config=QUICK_RETRIES)


@durable_step
def validate_order(step_context: StepContext, order: dict) -> dict:
    if not order.get("items"):
        raise ExecutionError("Order validation failed")
    return order


@durable_execution
def handler_with_error(event: dict, context: DurableContext) -> dict:
    return context.step(validate_order(event))
