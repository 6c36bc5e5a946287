"""The batch ETL job survives a crash at every checkpoint boundary while it tolerates its
malformed records.

Not proven here: a batch that stops on FAILURE_TOLERANCE_EXCEEDED (three malformed records
of ten, ``records(10, {1, 4, 7})``). A record whose step a crash left finished, its context
started, is settled from replay before any live record can count
(``tests/test_batch_replay_after_crash.py``), but the records after it run live in the
resumed invocation, and which of them finish before the third failure is thread timing, as
in any run whose records overlap: now and then 4, 6 or 7 are transformed instead of 5,
always in agreement with the order the history records the contexts' completions. The
fault-free run reports 5 only because one thread happens to run every record in turn.
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
    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
