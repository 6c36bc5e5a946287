"""Seed "FAQ" (the step-related answers): error filters, at-most-once, error details, loops."""

import sys

from aws_durable_execution_sdk_python import (
    CallbackError,
    DurableContext,
    NonDeterministicExecutionError,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

# --- How do I retry only specific exceptions? --------------------------------------------------


def specific_exceptions_config() -> RetryStrategyConfig:
    """The seed's answer, verbatim."""
    retry_config = RetryStrategyConfig(
        max_attempts=3,
        retryable_error_types=[ConnectionError, TimeoutError],
    )
    return retry_config


ERRORS = {"ConnectionError": ConnectionError, "TimeoutError": TimeoutError, "KeyError": KeyError}


@durable_step
def lookup_price(step_context: StepContext, error: str) -> float:
    raise ERRORS[error](f"price lookup failed on attempt {step_context.attempt}")


@durable_execution
def handler_specific_exceptions(event: dict, context: DurableContext) -> float:
    step_config = StepConfig(create_retry_strategy(specific_exceptions_config()))
    return context.step(lookup_price(event["error"]), config=step_config)


# --- What happens when retries are exhausted? / What's the maximum number of attempts? --------


@durable_step
def reserve_seat(step_context: StepContext) -> str:
    raise RuntimeError(f"no seat on attempt {step_context.attempt}")


@durable_execution
def handler_retries_exhausted(event: dict, context: DurableContext) -> dict:
    """No retry strategy: the default one (6 attempts), then the error reaches the handler."""
    try:
        return {"seat": context.step(reserve_seat())}
    except RuntimeError as e:
        return {"seat": None, "error": str(e)}


# --- How do I prevent duplicate operations on retry? -------------------------------------------


class Charges:
    """Records each run of the charge step's body; the first run crashes after charging."""

    def __init__(self, crash_after_first: bool = True) -> None:
        self.crash_after_first = crash_after_first
        self.attempts: list[int] = []  # the attempt number of each charge actually made

    def charge(self, attempt: int) -> dict:
        self.attempts.append(attempt)
        if self.crash_after_first and len(self.attempts) == 1:
            sys.exit(1)  # the process dies after the side effect, before the checkpoint
        return {"charged": True, "attempt": attempt}


CHARGES = Charges()


def at_most_once_config() -> StepConfig:
    """The seed's answer, verbatim."""
    step_config = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
    return step_config


@durable_step
def charge_card(step_context: StepContext) -> dict:
    return CHARGES.charge(step_context.attempt)


@durable_execution
def handler_charge(event: dict, context: DurableContext) -> dict:
    config = at_most_once_config() if event.get("at_most_once") else None
    return context.step(charge_card(), config=config)


# --- Can I access error details in my code? ----------------------------------------------------

# Which step the handler's non-deterministic code picks on each run; tests swap the list.
OPERATION_PICKS = ["operation_a"]


@durable_step
def operation_a(step_context: StepContext) -> str:
    return "a"


@durable_step
def operation_b(step_context: StepContext) -> str:
    return "b"


def pick_operation():
    """Code outside a step that is not deterministic: the bug non-determinism checks catch."""
    name = OPERATION_PICKS.pop(0) if len(OPERATION_PICKS) > 1 else OPERATION_PICKS[0]
    return {"operation_a": operation_a, "operation_b": operation_b}[name]


@durable_execution
def handler_error_details(event: dict, context: DurableContext) -> str:
    operation = pick_operation()
    result = "unavailable"
    try:
        result = context.step(operation())
    except CallbackError as e:
        print(f"Callback failed: {e.callback_id}")
    except NonDeterministicExecutionError as e:
        print(f"Non-deterministic step: {e.step_id}")
    context.wait(Duration.from_seconds(1), name="pause")  # makes the handler replay once
    return result


# --- How do I handle errors in parallel operations? --------------------------------------------


def process(item: int) -> dict:
    if item < 0:
        raise ValueError(f"cannot process negative item {item}")
    return {"item": item, "square": item * item}


@durable_execution
def handler_loop(event: dict, context: DurableContext) -> list:
    items = event["items"]
    results = []
    for item in items:
        try:
            result = context.step(lambda _, i=item: process(i), name=f"process_{item}")
            results.append(result)
        except Exception as e:
            results.append({"error": str(e)})
    return results
