"""The order workflow against histories of executions its earlier code ran.

``histories/*.json`` were saved with ``result.save_history(path)`` (see
``record_histories.py``). A code change that would break executions already running in
production fails here: the replay names the first operation where the new code departs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing.history import DivergenceKind
from examples.order_processing.workflow import (
    CHARGE_ONCE,
    WAREHOUSE_RETRIES,
    handler,
    reserve_stock,
    send_confirmation,
    validate_order,
)

HISTORIES = Path(__file__).with_name("histories")
CHARGE_CARD_ID = "e8e70dc170e14333627b32c20ac6051fb9b6bd369c036afbaca2d9cd7ac3de65"


@pytest.mark.parametrize("saved", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
def test_saved_history_replays_with_the_current_code(saved: Path) -> None:
    with DurableFunctionTestRunner(handler) as runner:
        runner.assert_replays(saved)


@durable_step
def charge_payment(step_context: StepContext, order_id: str, amount: int) -> dict:
    return {"transaction_id": f"txn-{order_id}", "amount": amount}


@durable_execution
def renamed_charge(event: dict, context: DurableContext) -> dict:
    """The workflow with ``charge_card`` renamed: running executions would break."""
    order = context.step(validate_order(event))
    reservation = context.step(
        reserve_stock(order["order_id"], order["items"]), config=WAREHOUSE_RETRIES
    )
    context.wait(Duration.from_hours(1), name="cooling_off")
    payment = context.step(
        charge_payment(order["order_id"], order["items"] * 10), config=CHARGE_ONCE
    )
    confirmation = context.step(send_confirmation(order["order_id"]))
    return {
        "order_id": order["order_id"],
        "reservation": reservation,
        "transaction_id": payment["transaction_id"],
        "confirmation": confirmation,
    }


@durable_execution
def fraud_check_inserted(event: dict, context: DurableContext) -> dict:
    """The workflow with a new step before the charge: it takes the charge's id."""
    order = context.step(validate_order(event))
    context.step(reserve_stock(order["order_id"], order["items"]), config=WAREHOUSE_RETRIES)
    context.wait(Duration.from_hours(1), name="cooling_off")
    context.step(lambda _: "no fraud", name="fraud_check")
    raise AssertionError("unreachable: the replay stops at the fraud check")


def test_renaming_a_step_fails_naming_the_divergent_operation() -> None:
    with (
        DurableFunctionTestRunner(renamed_charge) as runner,
        pytest.raises(AssertionError) as caught,
    ):
        runner.assert_replays(HISTORIES / "completed-order.json")
    message = str(caught.value)
    assert f"mismatch (operation {CHARGE_CARD_ID})" in message
    assert "expected STEP/Step 'charge_card'" in message
    assert f"found STEP/Step 'charge_payment' (id {CHARGE_CARD_ID})" in message


def test_inserting_a_step_fails_at_the_operation_it_displaces() -> None:
    with DurableFunctionTestRunner(fraud_check_inserted) as runner:
        report = runner.replay(HISTORIES / "completed-order.json")
    assert report.divergence is not None
    assert report.divergence.kind is DivergenceKind.MISMATCH
    assert report.divergence.operation_id == CHARGE_CARD_ID
    assert "'charge_card'" in report.divergence.expected
    assert "'fraud_check'" in report.divergence.found


def test_the_invalid_order_history_fails_the_same_way() -> None:
    with DurableFunctionTestRunner(handler) as runner:
        report = runner.replay(HISTORIES / "invalid-order.json")
    assert report.ok, str(report)
    assert report.operations_replayed == 1
