"""An order workflow: validate, reserve stock (retrying a flaky warehouse), hold the order
for a cooling-off hour, charge the card at most once, then confirm.

Run it locally with its timeline:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/order_processing/workflow.py:handler --input '{"order_id": "o-1", "items": 3}'
"""

from __future__ import annotations

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ExecutionError,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import (
    JitterStrategy,
    RetryStrategyConfig,
    create_retry_strategy,
)


class WarehouseBusy(Exception):
    """The warehouse API asked us to come back later."""


# A stand-in for the warehouse: busy for the first attempts of each order.
BUSY_ATTEMPTS = 2


@durable_step
def validate_order(step_context: StepContext, order: dict) -> dict:
    if not order.get("order_id"):
        raise ExecutionError("order_id is required")
    if int(order.get("items", 0)) <= 0:
        raise ExecutionError("an order needs at least one item")
    return {"order_id": order["order_id"], "items": int(order["items"])}


@durable_step
def reserve_stock(step_context: StepContext, order_id: str, items: int) -> str:
    step_context.logger.info("reserving %s items for %s", items, order_id)
    if step_context.attempt <= BUSY_ATTEMPTS:
        raise WarehouseBusy(f"warehouse busy (attempt {step_context.attempt})")
    return f"rsv-{order_id}"


@durable_step
def charge_card(step_context: StepContext, order_id: str, amount: int) -> dict:
    return {"transaction_id": f"txn-{order_id}", "amount": amount}


@durable_step
def send_confirmation(step_context: StepContext, order_id: str) -> str:
    return f"confirmation sent for {order_id}"


WAREHOUSE_RETRIES = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=5,
            initial_delay_seconds=30,
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
            retryable_error_types=[WarehouseBusy],
        )
    )
)
CHARGE_ONCE = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    order = context.step(validate_order(event))
    reservation = context.step(
        reserve_stock(order["order_id"], order["items"]), config=WAREHOUSE_RETRIES
    )
    context.logger.info("holding order %s for the cooling-off period", order["order_id"])
    context.wait(Duration.from_hours(1), name="cooling_off")
    payment = context.step(charge_card(order["order_id"], order["items"] * 10), config=CHARGE_ONCE)
    confirmation = context.step(send_confirmation(order["order_id"]))
    return {
        "order_id": order["order_id"],
        "reservation": reservation,
        "transaction_id": payment["transaction_id"],
        "confirmation": confirmation,
    }
