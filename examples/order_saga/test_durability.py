"""The order saga survives a crash at every checkpoint boundary of the order's execution,
with the payment workflow registered as its chained-invoke target in every run."""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.order_saga.workflow import PAYMENT_FUNCTION, handler, payment_handler

ORDER = {"order_id": "o-1", "items": 2, "card": "tok_visa"}


def with_payments(order_handler) -> DurableFunctionTestRunner:
    runner = DurableFunctionTestRunner(order_handler, record_hooks=True)
    runner.register_durable_function(PAYMENT_FUNCTION, payment_handler)
    return runner


@pytest.mark.parametrize("card", ["tok_visa", "tok_declined"])
def test_the_saga_survives_a_crash_at_every_checkpoint_boundary(card: str):
    report = assert_durable(handler, {**ORDER, "card": card}, runner_factory=with_payments)

    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
