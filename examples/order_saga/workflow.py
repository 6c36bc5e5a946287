"""An order saga: reserve stock, charge through a separate payment function, then ship;
if the payment fails, release the stock again (the compensating step) and report failure.

The payment is another durable function, ``payment_handler`` below, called with
``context.invoke``: it runs as its own execution (authorise, hold for the card network's
settlement window, capture) and the order waits for its result without being billed. A
failed payment reaches the order as an ``InvokeError``.

Tests register the payment function on the runner (``register_durable_function``), or a
plain Lambda handler in its place (``register_function``). Run alone, the order has no
payment function to call, so it compensates:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/order_saga/workflow.py:handler \
        --input '{"order_id": "o-1", "items": 2, "card": "tok_visa"}'

and the payment function can be run by itself:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/order_saga/workflow.py:payment_handler \
        --input '{"order_id": "o-1", "amount": 50, "card": "tok_visa"}'
"""

from __future__ import annotations

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ExecutionError,
    InvokeError,
    StepContext,
    durable_execution,
    durable_step,
)

PAYMENT_FUNCTION = "payment-service"
PRICE_PER_ITEM = 25


class PaymentDeclined(ExecutionError):
    """The card issuer said no: permanent, so neither retried nor re-invoked."""


# --- the payment function ------------------------------------------------------------------


@durable_step
def authorize_card(step_context: StepContext, payment: dict) -> str:
    if payment["card"] == "tok_declined":
        raise PaymentDeclined(f"card declined for {payment['order_id']}")
    return f"auth-{payment['order_id']}"


@durable_step
def capture_payment(step_context: StepContext, authorization: str, amount: int) -> dict:
    return {"transaction_id": authorization.replace("auth-", "txn-"), "amount": amount}


@durable_execution
def payment_handler(event: dict, context: DurableContext) -> dict:
    authorization = context.step(authorize_card(event))
    context.wait(Duration.from_minutes(5), name="settlement window")
    return context.step(capture_payment(authorization, event["amount"]))


# --- the order saga ------------------------------------------------------------------------


@durable_step
def reserve_inventory(step_context: StepContext, order_id: str, items: int) -> str:
    return f"rsv-{order_id}-{items}"


@durable_step
def release_inventory(step_context: StepContext, reservation: str) -> str:
    return f"released {reservation}"


@durable_step
def ship_order(step_context: StepContext, order_id: str, reservation: str) -> str:
    return f"trk-{order_id}"


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    order_id = event["order_id"]
    reservation = context.step(reserve_inventory(order_id, event["items"]))
    try:
        payment = context.invoke(
            PAYMENT_FUNCTION,
            {
                "order_id": order_id,
                "amount": event["items"] * PRICE_PER_ITEM,
                "card": event["card"],
            },
            name="charge payment",
        )
    except InvokeError as error:
        # Compensate what already happened, newest first: here only the reservation.
        released = context.step(release_inventory(reservation))
        return {
            "order_id": order_id,
            "status": "payment_failed",
            "error_type": error.error_type,
            "reason": error.message,
            "compensation": [released],
        }
    tracking = context.step(ship_order(order_id, reservation))
    return {
        "order_id": order_id,
        "status": "shipped",
        "transaction_id": payment["transaction_id"],
        "amount": payment["amount"],
        "tracking": tracking,
    }
