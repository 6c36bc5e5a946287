"""Seed "Retry strategies": retry configs, presets, retrying specific exceptions, backoff."""

from random import random

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)

# --- deterministic stand-in for "Your code here" ---------------------------------------------


class Outage:
    """The first ``failures`` attempts of a step raise ``error``; later attempts succeed."""

    def __init__(self, failures: int = 0, error: type[Exception] = RuntimeError) -> None:
        self.failures = failures
        self.error = error

    def check(self, attempt: int) -> None:
        if attempt <= self.failures:
            raise self.error(f"attempt {attempt} failed")


UNRELIABLE = Outage()


# --- Creating retry strategies -------------------------------------------------------------


@durable_step
def unreliable_operation(step_context: StepContext) -> str:
    """Operation that might fail."""
    # Your code here
    UNRELIABLE.check(step_context.attempt)
    return "success"


@durable_execution
def handler(event: dict, context: DurableContext) -> str:
    # Configure retry strategy
    retry_config = RetryStrategyConfig(
        max_attempts=3,
        initial_delay_seconds=1,
        max_delay_seconds=10,
        backoff_rate=2.0,
        retryable_error_types=[RuntimeError, ConnectionError],
    )

    # Create step config with retry
    step_config = StepConfig(retry_strategy=create_retry_strategy(retry_config))

    # Execute with retry
    result = context.step(unreliable_operation(), config=step_config)
    return result


# --- Retry presets -----------------------------------------------------------------------


def retry_presets_snippet() -> dict[str, StepConfig]:
    """The seed's preset snippet, each ``step_config`` kept under its preset's name."""
    configs = {}

    # No retries
    step_config = StepConfig(retry_strategy=RetryPresets.none())
    configs["none"] = step_config

    # Default retries (6 attempts, 5s initial delay)
    step_config = StepConfig(retry_strategy=RetryPresets.default())
    configs["default"] = step_config

    # Quick retries for transient errors (3 attempts)
    step_config = StepConfig(retry_strategy=RetryPresets.transient())
    configs["transient"] = step_config

    # Longer retries for resource availability (5 attempts, up to 5 minutes)
    step_config = StepConfig(retry_strategy=RetryPresets.resource_availability())
    configs["resource_availability"] = step_config

    # Aggressive retries for critical operations (10 attempts)
    step_config = StepConfig(retry_strategy=RetryPresets.critical())
    configs["critical"] = step_config

    return configs


@durable_step
def always_fails(step_context: StepContext) -> str:
    raise RuntimeError(f"attempt {step_context.attempt} failed")


@durable_execution
def handler_with_preset(event: dict, context: DurableContext) -> str:
    step_config = retry_presets_snippet()[event["preset"]]
    return context.step(always_fails(), config=step_config)


# --- Retrying specific exceptions ----------------------------------------------------------


@durable_step
def call_api(step_context: StepContext) -> dict:
    """Call external API that might fail."""
    if random() > 0.5:
        raise ConnectionError("Network timeout")
    return {"status": "success"}


@durable_execution
def handler_specific_exceptions(event: dict, context: DurableContext) -> dict:
    # Only retry ConnectionError, not other exceptions
    retry_config = RetryStrategyConfig(
        max_attempts=3,
        retryable_error_types=[ConnectionError],
    )

    result = context.step(
        call_api(),
        config=StepConfig(create_retry_strategy(retry_config)),
    )

    return result


# --- Exponential backoff -------------------------------------------------------------------


def exponential_backoff_config() -> RetryStrategyConfig:
    """The seed's backoff snippet, verbatim (its jitter is the default, FULL)."""
    retry_config = RetryStrategyConfig(
        max_attempts=5,
        initial_delay_seconds=1,  # First retry after 1 second
        max_delay_seconds=60,  # Cap at 60 seconds
        backoff_rate=2.0,  # Double delay each time: 1s, 2s, 4s, 8s, 16s...
    )
    return retry_config


def exponential_backoff_config_without_jitter() -> RetryStrategyConfig:
    """The same backoff with ``JitterStrategy.NONE``: exactly the seed's 1, 2, 4, 8 s."""
    return RetryStrategyConfig(
        max_attempts=5,
        initial_delay_seconds=1,
        max_delay_seconds=60,
        backoff_rate=2.0,
        jitter_strategy=JitterStrategy.NONE,
    )


@durable_execution
def handler_exponential_backoff(event: dict, context: DurableContext) -> str:
    if event.get("jitter") == "NONE":
        retry_config = exponential_backoff_config_without_jitter()
    else:
        retry_config = exponential_backoff_config()
    return context.step(always_fails(), config=StepConfig(create_retry_strategy(retry_config)))
