"""The batch ETL job survives a crash at every checkpoint boundary while it tolerates its
malformed records.

Not proven here: a batch that stops on FAILURE_TOLERANCE_EXCEEDED (three malformed records
of ten). Which records finish before the third failure stops the map depends on thread
timing once a crash makes some items replay from their checkpoints at once: after
``CrashAfterCheckpoint(1)`` the job reports 4 or 5 records transformed, after
``CrashAfterCheckpoint(2)`` 5 or 7, where the fault-free run always reports 5.
"""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.batch_etl.workflow import handler


def records(count: int, malformed: set[int]) -> list[dict]:
    return [
        {"id": f"r{i}", "amount": "n/a" if i in malformed else f"{i + 1}.00", "currency": "eur"}
        for i in range(count)
    ]


def test_the_batch_survives_a_crash_at_every_checkpoint_boundary():
    report = assert_durable(handler, {"records": records(10, {2, 7})})

    assert report.reference.result["failed_indexes"] == [2, 7]
    assert report.schedules_checked == 2 * report.checkpoint_calls > 0
