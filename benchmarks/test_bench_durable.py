"""The ``assert_durable`` benchmark's case, run once as a plain test (``bench_durable``).

The target is checked by ``python benchmarks/bench_durable.py --check``, not here: a timing
assertion in the normal suite would fail on a busy machine.
"""

from __future__ import annotations

from bench_durable import check_all_crash_points, run_all_crash_points


def test_every_crash_point_of_a_short_workflow_is_proven() -> None:
    check_all_crash_points(run_all_crash_points(5), 5)
