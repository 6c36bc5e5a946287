"""Seed "Common error scenarios": input validation, transient, permanent and mixed failures."""

from collections import Counter
from urllib.parse import parse_qs, urlparse

from aws_durable_execution_sdk_python import (
    DurableContext,
    ExecutionError,
    InvocationError,
    StepContext,
    ValidationError,  # noqa: F401 -- imported by the seed's snippet
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets

# --- deterministic stand-ins for the seed's undefined helpers --------------------------------

# Calls made so far, per endpoint or per service; tests swap in a fresh Counter.
CALLS: Counter = Counter()


def make_http_request(endpoint: str) -> dict:
    """A fake HTTP call: ``?fail_first=N`` makes the first N calls to the endpoint fail."""
    CALLS[endpoint] += 1
    fail_first = int(parse_qs(urlparse(endpoint).query).get("fail_first", ["0"])[0])
    if CALLS[endpoint] <= fail_first:
        raise ConnectionError(f"{endpoint}: connection reset (call {CALLS[endpoint]})")
    return {"endpoint": endpoint, "status_code": 200, "calls": CALLS[endpoint]}


def is_valid_card(card: str) -> bool:
    """Luhn checksum over 12 to 19 digits."""
    if not card.isdigit() or not 12 <= len(card) <= 19:
        return False
    digits = [int(d) for d in reversed(card)]
    doubled = [d * 2 - 9 if d > 4 else d * 2 for d in digits[1::2]]
    return (sum(digits[0::2]) + sum(doubled)) % 10 == 0


def call_external_service(data: dict) -> dict:
    """A fake payment service: ``data["outages"]`` is how many first calls are refused."""
    CALLS["payment_service"] += 1
    if CALLS["payment_service"] <= data.get("outages", 0):
        raise ConnectionError("payment service refused the connection")
    return {"charged": data["amount"], "calls": CALLS["payment_service"]}


# --- Handling input validation -------------------------------------------------------------


@durable_execution
def handler_input_validation(event: dict, context: DurableContext) -> dict:
    """Validate input and handle errors."""
    # Validate required fields
    if not event.get("user_id"):
        return {"error": "InvalidInput", "message": "user_id is required"}

    if not event.get("action"):
        return {"error": "InvalidInput", "message": "action is required"}

    # Process valid input
    user_id = event["user_id"]
    action = event["action"]

    result = context.step(
        lambda _: {"user_id": user_id, "action": action, "status": "completed"},
        name="process_action",
    )

    return result


# --- Handling transient failures -----------------------------------------------------------


@durable_step
def call_external_api(step_context: StepContext, endpoint: str) -> dict:
    """Call external API with retry."""
    # API call that might fail transiently
    response = make_http_request(endpoint)
    return response


@durable_execution
def handler_transient(event: dict, context: DurableContext) -> dict:
    """Handle API calls with automatic retry."""
    # Use transient preset for quick retries
    step_config = StepConfig(retry_strategy=RetryPresets.transient())

    try:
        result = context.step(
            call_external_api(event["endpoint"]),
            config=step_config,
        )
        return {"status": "success", "data": result}
    except Exception as e:
        # All retries exhausted
        return {"status": "failed", "error": str(e)}


# --- Handling permanent failures -----------------------------------------------------------


@durable_step
def process_payment(step_context: StepContext, amount: float, card: str) -> dict:
    """Process payment with validation."""
    # Validate card
    if not is_valid_card(card):
        # Don't retry invalid cards
        raise ExecutionError("Invalid card number")

    # Process payment
    return {"transaction_id": "txn_123", "amount": amount}


@durable_execution
def handler_permanent(event: dict, context: DurableContext) -> dict:
    """Handle payment with error handling."""
    try:
        result = context.step(process_payment(event["amount"], event["card"]))
        return {"status": "success", "transaction": result}
    except ExecutionError as e:
        # Permanent failure, don't retry
        return {"status": "failed", "error": str(e)}


# --- Handling multiple error types -----------------------------------------------------------


@durable_step
def complex_operation(step_context: StepContext, data: dict) -> dict:
    """Operation with multiple failure modes."""
    # Validate input
    if not data:
        raise ValueError("Data is required")

    # Check business rules
    if data.get("amount", 0) < 0:
        raise ExecutionError("Amount must be positive")

    # Call external service
    try:
        result = call_external_service(data)
        return result
    except ConnectionError:
        # Transient failure
        raise InvocationError("Service unavailable")  # noqa: B904 -- seed text verbatim


@durable_execution
def handler_multiple(event: dict, context: DurableContext) -> dict:
    """Handle multiple error types."""
    try:
        result = context.step(complex_operation(event))
        return {"status": "success", "result": result}
    except ValueError as e:
        return {"status": "invalid", "error": str(e)}
    except ExecutionError as e:
        return {"status": "failed", "error": str(e)}
    except InvocationError as e:  # noqa: F841 -- seed text verbatim
        # Let Lambda retry
        raise
