"""The quote fan-out survives a crash at every checkpoint boundary.

With the default input (``{"item": "sku-42"}``: primary down, bulk slow, express up)
primary fails at once and express answers. A crash right after the call that holds
primary's failed step, before its branch context completed, leaves a branch whose outcome
only replay decides: the resumed invocation settles it before any branch running live can
complete the parallel, so primary is reported FAILED, as in the fault-free run.
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

    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)


def test_the_first_answer_survives_a_crash_at_every_checkpoint_boundary():
    report = assert_durable(handler, {"item": "sku-42"})

    assert report.reference.result["statuses"]["primary"] == "FAILED"
    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
