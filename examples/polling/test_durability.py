"""The job poller survives a crash at every checkpoint boundary: each recorded check of
``wait_for_condition`` stays recorded, and the poll ends on the same check."""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.polling.workflow import handler


def test_polling_survives_a_crash_at_every_checkpoint_boundary():
    report = assert_durable(handler, {"job_id": "j-1", "units": 100})

    assert report.reference.result == {"job_id": "j-1", "status": "SUCCEEDED", "checks": 4}
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)


def test_a_bad_job_fails_the_same_way_whatever_crashes():
    assert_durable(handler, {"job_id": "bad-1", "units": 100})
