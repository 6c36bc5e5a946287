"""Seed callback sections: "Exception types" → "Callback errors", "Troubleshooting" →
"Callback timeout", and the ``except CallbackError`` branch of the FAQ's "Can I access
error details in my code?".

Each snippet is kept verbatim (as a handler, or as a function a handler calls); the
answers of the outside system come from the tests, declared or sent through the runner.
"""

from aws_durable_execution_sdk_python import (
    CallbackError,
    CallbackTimeoutError,
    DurableContext,
    NonDeterministicExecutionError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.retries import (
    RetryStrategyConfig,
    WithRetryConfig,
    create_retry_strategy,
    with_retry,
)

# --- Exception types: Callback errors ------------------------------------------------------


@durable_execution
def handler_callback_error(event: dict, context: DurableContext) -> dict:
    """Handle callback with error handling."""
    try:
        callback = context.create_callback(
            config=CallbackConfig(timeout_seconds=3600),
            name="approval"
        )  # fmt: skip
        context.wait_for_callback(callback)
        return {"status": "approved"}
    except CallbackError as e:
        return {"error": "CallbackError", "callback_id": e.callback_id}


# --- Troubleshooting: Callback timeout -----------------------------------------------------


def too_short_callback(context: DurableContext):
    """The problem: half an hour, but the approver takes longer."""
    return context.create_callback(
        config=CallbackConfig(timeout_seconds=1800), name="long_running_approval"
    )


def increased_timeout_callback(context: DurableContext):
    """The seed's solution, verbatim."""
    # Increase timeout
    callback = context.create_callback(
        config=CallbackConfig(
            timeout_seconds=7200,  # 2 hours
            heartbeat_timeout_seconds=300,  # 5 minutes
        ),
        name="long_running_approval"
    )  # fmt: skip
    return callback


@durable_execution
def handler_callback_timeout(event: dict, context: DurableContext) -> dict:
    """Waits for the approval with the config ``event["config"]`` names."""
    create = {"too_short": too_short_callback, "increased": increased_timeout_callback}
    callback = create[event["config"]](context)
    try:
        return {"answer": context.wait_for_callback(callback)}
    except CallbackTimeoutError as e:
        return {"timed_out": e.message, "callback_id": e.callback_id}


# The seed's other solution, "implement retry logic": ask again, up to three times, when a
# callback times out (each attempt is a new callback the outside system must answer).
ASK_AGAIN = WithRetryConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay_seconds=60,
            retryable_error_types=[CallbackTimeoutError],
        )
    )
)


def ask_for_approval(context: DurableContext, attempt: int) -> str:
    callback = increased_timeout_callback(context)
    return context.wait_for_callback(callback)


@durable_execution
def handler_callback_timeout_retry(event: dict, context: DurableContext) -> dict:
    try:
        answer = with_retry(context, ask_for_approval, ASK_AGAIN, name="approval_with_retry")
    except CallbackTimeoutError as e:
        return {"gave_up": e.message}
    return {"answer": answer}


# --- FAQ: Can I access error details in my code? -------------------------------------------


@durable_execution
def handler_error_details(event: dict, context: DurableContext) -> str:
    """The FAQ's ``except`` clauses verbatim, around an operation that can raise the first:
    waiting for a callback (a step never raises ``CallbackError``)."""
    callback = context.create_callback(name="review", config=CallbackConfig(timeout_seconds=600))
    result = "unavailable"
    try:
        result = context.wait_for_callback(callback)
    except CallbackError as e:
        print(f"Callback failed: {e.callback_id}")
    except NonDeterministicExecutionError as e:
        print(f"Non-deterministic step: {e.step_id}")
    return result
