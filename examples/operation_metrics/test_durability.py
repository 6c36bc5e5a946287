"""The shipment workflow with its metrics plugin survives a crash at every checkpoint
boundary (the plugin observes; it never changes the outcome)."""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.operation_metrics.workflow import handler, metrics


def test_the_shipment_survives_a_crash_at_every_checkpoint_boundary():
    metrics.reset()
    report = assert_durable(handler, {"shipment_id": "s-1"})

    assert report.reference.result["shipment_id"] == "s-1"
    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
    metrics.reset()
