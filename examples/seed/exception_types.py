"""Seed "Exception types" (all but "Callback errors"): each snippet as a runnable handler.

Snippets that are not handlers in the seed are kept verbatim as plain functions, and also
wrapped in tiny handlers whose ``# Your code here`` does something that raises.
"""

import sys

from aws_durable_execution_sdk_python import (
    DurableContext,
    DurableExecutionsError,
    ExecutionError,
    InvocationError,
    SerDesError,
    StepContext,
    StepInterruptedError,
    ValidationError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import RetryPresets

# --- deterministic stand-ins for the seed's undefined helpers --------------------------------


class FlakyService:
    """A remote service whose first ``failures`` calls fail with ``ConnectionError``."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0

    def call(self) -> dict:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError(f"connection refused (call {self.calls})")
        return {"service": "ok", "calls": self.calls}


class Interruptions:
    """The first ``crashes`` runs of a step kill the process, as a Lambda timeout would."""

    def __init__(self, crashes: int = 0) -> None:
        self.crashes = crashes
        self.runs: list[int] = []  # the attempt number of each run of the step body

    def run(self, attempt: int) -> None:
        self.runs.append(attempt)
        if len(self.runs) <= self.crashes:
            sys.exit(1)  # the runner treats this as a runtime crash and invokes again


API = FlakyService()
INTERRUPTIONS = Interruptions()


def make_api_call() -> dict:
    return API.call()


# --- Base exceptions ---------------------------------------------------------------------


def base_exceptions_snippet() -> None:
    """The seed's first snippet, verbatim."""
    try:
        # Your code here
        pass
    except DurableExecutionsError as e:
        # Handle any SDK exception
        print(f"SDK error: {e}")


@durable_step
def fail_once_and_for_all(step_context: StepContext) -> str:
    raise KeyError("no such record")


@durable_execution
def handler_any_sdk_error(event: dict, context: DurableContext) -> dict:
    """The first snippet with SDK code in the ``try``: every SDK exception is caught."""
    try:
        # Your code here
        if event["code"] == "empty_name":
            context.step(lambda _: "never runs", name="")  # ValidationError: empty name
        else:
            # A failed step raises StepError, itself a DurableExecutionsError.
            context.step(fail_once_and_for_all(), config=StepConfig(RetryPresets.none()))
    except DurableExecutionsError as e:
        # Handle any SDK exception
        print(f"SDK error: {e}")
        return {"caught": type(e).__name__, "message": str(e)}
    return {"caught": None}


def unrecoverable_snippet() -> None:
    """The seed's UnrecoverableError snippet, verbatim."""
    try:
        # Your code here
        pass
    except (ExecutionError, InvocationError) as e:
        # Access termination reason from unrecoverable errors
        print(f"Execution terminated: {e.termination_reason}")


@durable_step
def reject_order(step_context: StepContext) -> str:
    raise ExecutionError("Order validation failed")


@durable_step
def call_unavailable_service(step_context: StepContext) -> str:
    raise InvocationError("Service unavailable")


@durable_execution
def handler_unrecoverable(event: dict, context: DurableContext) -> dict:
    """The UnrecoverableError snippet with steps that raise each kind in the ``try``."""
    try:
        # Your code here
        if event["raise"] == "execution":
            context.step(reject_order())
        else:
            context.step(call_unavailable_service())
    except (ExecutionError, InvocationError) as e:
        # Access termination reason from unrecoverable errors
        print(f"Execution terminated: {e.termination_reason}")
        return {"termination_reason": e.termination_reason.value}
    return {"termination_reason": None}


# --- Validation errors -------------------------------------------------------------------


@durable_execution
def handler_validation(event: dict, context: DurableContext) -> dict:
    """Handle SDK validation errors."""
    try:
        # SDK raises ValidationError if timeout is invalid
        callback = context.create_callback(
            config=CallbackConfig(timeout_seconds=-1),  # Invalid!
            name="approval",
        )
        return {"callback_id": callback}
    except ValidationError as e:
        # SDK caught invalid configuration
        return {"error": "InvalidConfiguration", "message": str(e)}


@durable_execution
def handler_validation_wait(event: dict, context: DurableContext) -> dict:
    """The same pattern with an operation that exists today: a negative wait."""
    try:
        # SDK raises ValidationError if the duration is invalid
        context.wait(-1, name="cool_down")  # Invalid!
        return {"waited": True}
    except ValidationError as e:
        # SDK caught invalid configuration
        return {"error": "InvalidConfiguration", "message": str(e)}


# --- Execution errors --------------------------------------------------------------------


@durable_step
def process_data(step_context: StepContext, data: dict) -> dict:
    """Process data with business logic validation."""
    if not data.get("required_field"):
        raise ExecutionError("Required field missing")
    return {"processed": True}


@durable_execution
def handler_execution_error(event: dict, context: DurableContext) -> dict:
    return context.step(process_data(event))


# --- Invocation errors -------------------------------------------------------------------


@durable_step
def call_external_service(step_context: StepContext) -> dict:
    """Call external service with retry."""
    try:
        # Call external service
        response = make_api_call()
        return response
    except ConnectionError:
        # Trigger Lambda retry
        raise InvocationError("Service unavailable")  # noqa: B904 -- seed text verbatim


@durable_execution
def handler_invocation_error(event: dict, context: DurableContext) -> dict:
    return context.step(call_external_service())


# --- Step interrupted errors ---------------------------------------------------------------


@durable_step
def long_running_operation(step_context: StepContext) -> dict:
    INTERRUPTIONS.run(step_context.attempt)
    return {"finished_on_attempt": step_context.attempt}


# This can happen if Lambda times out during step execution
@durable_execution
def handler_step_interrupted(event: dict, context: DurableContext) -> dict:
    try:
        result = context.step(long_running_operation())
        return result
    except StepInterruptedError as e:
        # Step was interrupted, will retry on next invocation
        context.logger.warning(f"Step interrupted: {e.step_id}")
        raise


INTERRUPTIBLE_CONFIGS = {
    "at_most_once": StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY),
    "at_most_once_no_retry": StepConfig(
        retry_strategy=RetryPresets.none(),
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
    ),
}


@durable_execution
def handler_step_interrupted_with_config(event: dict, context: DurableContext) -> dict:
    """The seed handler with a ``StepConfig`` chosen by ``event["config"]``."""
    try:
        result = context.step(
            long_running_operation(), config=INTERRUPTIBLE_CONFIGS[event["config"]]
        )
        return result
    except StepInterruptedError as e:
        # Step was interrupted, will retry on next invocation
        context.logger.warning(f"Step interrupted: {e.step_id}")
        raise


# --- Serialization errors ----------------------------------------------------------------

UNSERIALIZABLE = object()


@durable_step
def process_complex_data(step_context: StepContext, data: object) -> dict:
    """Process data that might not be serializable."""
    try:
        # Process data
        return {"result": data}
    except SerDesError as e:  # noqa: F841 -- seed text verbatim
        # Handle serialization failure
        return {"error": "Cannot serialize result"}


@durable_execution
def handler_serdes(event: dict, context: DurableContext) -> dict:
    data = UNSERIALIZABLE if event.get("unserializable") else event.get("data")
    return context.step(process_complex_data(data))


@durable_execution
def handler_serdes_caught(event: dict, context: DurableContext) -> dict:
    """Where a ``SerDesError`` can be caught: at the ``context.step`` call site."""
    try:
        return context.step(process_complex_data(UNSERIALIZABLE))
    except SerDesError:
        # Handle serialization failure
        return {"error": "Cannot serialize result"}
