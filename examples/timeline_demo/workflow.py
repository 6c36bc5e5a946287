"""A workflow made to be looked at: its timeline shows each kind of operation.

A flaky inventory check retried twice, a child context packing three items with a map (one
item fails), a parallel fan-out of notifications, a day-long cooling-off wait, and a
manager's approval that times out after two hours and is escalated. Run it with an HTML
timeline (``scripts/screenshot_timeline.sh`` also takes a screenshot of it):

    python -m aws_durable_execution_sdk_python_testing run \
        examples/timeline_demo/workflow.py:handler --input '{"order_id": "o-7"}' --html run.html
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import (
    CallbackError,
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    CompletionConfig,
    MapConfig,
    StepConfig,
)
from aws_durable_execution_sdk_python.retries import (
    JitterStrategy,
    RetryStrategyConfig,
    create_retry_strategy,
)

ITEMS = ["book", "mug", "lamp"]


class InventoryBusy(Exception):
    """The inventory service asked us to come back later."""


class FragileItem(Exception):
    """An item that cannot be packed by the machine."""


FLAKY_INVENTORY = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=4,
            initial_delay_seconds=20,
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
            retryable_error_types=[InventoryBusy],
        )
    )
)
NO_RETRY = StepConfig(retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)))


def check_inventory(step_context: StepContext) -> str:
    if step_context.attempt <= 2:
        raise InventoryBusy(f"inventory busy (attempt {step_context.attempt})")
    return "in stock"


def pack(item: str) -> Any:
    def packing(_: StepContext) -> str:
        if item == "lamp":
            raise FragileItem(f"the {item} needs packing by hand")
        return f"packed {item}"

    return packing


# A map fails fast by default: the first failed item ends it, and items still running are
# left out of the result, so what is packed would depend on which item finished first.
# Packing every item, whatever fails, makes the result the same however long each one takes.
PACK_ALL = MapConfig(completion_config=CompletionConfig.all_completed())


def pack_items(context: DurableContext) -> dict[str, Any]:
    packed = context.map(
        ITEMS,
        lambda ctx, item, _index, _items: ctx.step(
            pack(item), name=f"pack_{item}", config=NO_RETRY
        ),
        name="pack_each",
        config=PACK_ALL,
    )
    return {"packed": packed.get_results(), "by_hand": len(packed.get_errors())}


def notify(channel: str) -> Any:
    return lambda ctx: ctx.step(lambda _: f"{channel} sent", name=f"notify_{channel}")


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    stock = context.step(check_inventory, name="check_inventory", config=FLAKY_INVENTORY)
    packing = context.run_in_child_context(pack_items, name="packing")
    context.parallel([notify("email"), notify("sms")], name="notify_customer")
    context.wait(Duration.from_days(1), name="cooling_off")
    approval = context.create_callback(
        name="manager_approval", config=CallbackConfig(timeout=Duration.from_hours(2))
    )
    try:
        approved = approval.result()
    except CallbackError:
        approved = context.step(lambda _: "escalated", name="escalate")
    return {"order_id": event.get("order_id"), "stock": stock, "approved": approved, **packing}
