"""The order workflow survives a Lambda that dies at any checkpoint boundary: it ends with
the same confirmation, the card charged in one attempt, nothing checkpointed lost."""

from __future__ import annotations

from hypothesis import settings

from aws_durable_execution_sdk_python_testing import InvocationStatus
from aws_durable_execution_sdk_python_testing.strategies import (
    DEFAULT_SETTINGS,
    assert_durable,
    fault_schedules,
)
from examples.order_processing.workflow import handler


def test_an_order_survives_a_crash_at_every_checkpoint_boundary():
    report = assert_durable(handler, {"order_id": "o-1", "items": 3})

    assert report.reference.status is InvocationStatus.SUCCEEDED
    # charge_card is at most once: the reference shows its START made durable first.
    charge = report.reference.get_step("charge_card").operation_id
    assert report.at_most_once_steps == frozenset({charge})
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)


def test_an_invalid_order_fails_the_same_way_whatever_crashes():
    report = assert_durable(handler, {"order_id": "o-2", "items": 0})

    assert report.reference.status is InvocationStatus.FAILED


def test_an_order_survives_generated_schedules_of_crashes_and_throttling():
    assert_durable(
        handler,
        {"order_id": "o-3", "items": 1},
        crash_points=None,
        schedules=fault_schedules,
        settings=settings(DEFAULT_SETTINGS, max_examples=20),
    )
