"""Tests of the order saga: the payment function runs as its own execution on the runner.

``register_durable_function`` runs the real payment workflow (its five-minute settlement
window costs no real time); ``register_function`` swaps in a plain Lambda handler, a stub.
"""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.order_saga.workflow import PAYMENT_FUNCTION, handler, payment_handler

ORDER = {"order_id": "o-1", "items": 2, "card": "tok_visa"}


def ran(result, step_name: str) -> bool:
    return bool(result.get_operations_by_name(step_name))


def payment_execution_arn(result) -> str:
    """The payment's own execution, as the order's history names it."""
    (started,) = [e for e in result.history if e["EventType"] == "ChainedInvokeStarted"]
    return started["ChainedInvokeStartedDetails"]["DurableExecutionArn"]


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_saga")
def test_paid_order_ships_without_compensation(durable_runner):
    with durable_runner:
        durable_runner.register_durable_function(PAYMENT_FUNCTION, payment_handler)
        result = durable_runner.run(input=ORDER, timeout=10)
        payment_history = durable_runner.get_execution_history(
            payment_execution_arn(result), include_execution_data=True
        )

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "order_id": "o-1",
        "status": "shipped",
        "transaction_id": "txn-o-1",
        "amount": 50,
        "tracking": "trk-o-1",
    }
    invoke = result.get_invoke("charge payment")
    assert invoke.status.value == "SUCCEEDED"
    assert invoke.result == {"transaction_id": "txn-o-1", "amount": 50}
    # The order waited out the payment's settlement window.
    assert (invoke.end_timestamp - invoke.start_timestamp).total_seconds() >= 300
    assert not ran(result, "release_inventory")
    assert [op.name for op in result.operations] == [
        "reserve_inventory",
        "charge payment",
        "ship_order",
    ]
    # The payment's own steps are in its own history, not in the order's.
    payment_events = [(e["EventType"], e.get("Name")) for e in payment_history["Events"]]
    assert ("StepSucceeded", "authorize_card") in payment_events
    assert ("WaitSucceeded", "settlement window") in payment_events
    assert ("StepSucceeded", "capture_payment") in payment_events
    assert payment_events[-1][0] == "ExecutionSucceeded"
    started = payment_history["Events"][0]["ExecutionStartedDetails"]["Input"]["Payload"]
    assert started == '{"order_id": "o-1", "amount": 50, "card": "tok_visa"}'


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_saga")
def test_declined_payment_releases_the_reservation(durable_runner):
    with durable_runner:
        durable_runner.register_durable_function(PAYMENT_FUNCTION, payment_handler)
        result = durable_runner.run(input={**ORDER, "card": "tok_declined"}, timeout=10)
        payment = durable_runner.get_result(payment_execution_arn(result))

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "payment_failed"
    assert result.result["error_type"].endswith("PaymentDeclined")
    assert result.result["reason"] == "card declined for o-1"
    assert result.result["compensation"] == ["released rsv-o-1-2"]
    assert not ran(result, "ship_order")
    invoke = result.get_invoke("charge payment")
    assert invoke.status.value == "FAILED"
    assert invoke.error.message == "card declined for o-1"
    # The payment execution failed at once: a declined card is not retried.
    assert payment.status is InvocationStatus.FAILED
    assert payment.error["termination_reason"] == "EXECUTION_ERROR"
    assert payment.get_step("authorize_card").attempt == 1
    assert not ran(payment, "capture_payment")


def stub_payment(event: dict, lambda_context) -> dict:
    """A plain (not durable) Lambda handler standing in for the payment service."""
    return {"transaction_id": f"stub-{event['order_id']}", "amount": event["amount"]}


def failing_payment(event: dict, lambda_context) -> dict:
    raise ConnectionError("payment gateway unreachable")


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_saga")
def test_plain_lambda_stub_as_the_payment_service(durable_runner):
    with durable_runner:
        durable_runner.register_function(PAYMENT_FUNCTION, stub_payment)
        result = durable_runner.run(input=ORDER, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "shipped"
    assert result.result["transaction_id"] == "stub-o-1"
    assert result.get_invoke("charge payment").result == {
        "transaction_id": "stub-o-1",
        "amount": 50,
    }
    assert not ran(result, "release_inventory")


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_saga")
def test_plain_lambda_stub_that_fails(durable_runner):
    with durable_runner:
        durable_runner.register_function(PAYMENT_FUNCTION, failing_payment)
        result = durable_runner.run(input=ORDER, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "payment_failed"
    assert result.result["error_type"] == "ConnectionError"
    assert result.result["reason"] == "payment gateway unreachable"
    assert ran(result, "release_inventory")
    assert not ran(result, "ship_order")


@pytest.mark.durable_execution(handler=handler, lambda_function_name="order_saga")
def test_unregistered_payment_function_says_how_to_register_it(durable_runner):
    with durable_runner:
        result = durable_runner.run(input=ORDER, timeout=10)

    # The saga treats it like any failed payment...
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result["status"] == "payment_failed"
    assert result.result["compensation"] == ["released rsv-o-1-2"]
    # ...and the error tells the test author what is missing.
    error = result.get_invoke("charge payment").error
    assert error.type == "ResourceNotFoundException"
    assert PAYMENT_FUNCTION in error.message
    assert f"register_durable_function({PAYMENT_FUNCTION!r}" in error.message
    assert "register_function" in error.message
