"""The quote fan-out survives a crash at every checkpoint boundary.

Only inputs with one possible winner: with every provider up, whether the failing primary
is recorded FAILED or still STARTED when express wins is a race between threads (the
workflow's own test allows both), so two runs may differ without any crash.
"""

from __future__ import annotations

import pytest

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.fanout_first_successful.workflow import handler


@pytest.mark.parametrize(
    "down", [["primary", "express"], ["primary", "bulk", "express"]], ids=["bulk", "none"]
)
def test_the_fanout_survives_a_crash_at_every_checkpoint_boundary(down: list[str]):
    report = assert_durable(handler, {"item": "sku-7", "down": down})

    assert report.schedules_checked == 2 * report.checkpoint_calls > 0
