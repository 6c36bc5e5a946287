"""The fault-injection benchmarks' cases, run once as plain tests (``bench_faults``).

Targets are checked by ``python benchmarks/bench_faults.py --check``, not here: a timing
assertion in the normal suite would fail on a busy machine.
"""

from __future__ import annotations

from bench_faults import (
    check_always_replay,
    check_crash_midway,
    run_always_replay,
    run_crash_midway,
)


def test_always_replay_invokes_once_per_step_and_once_more() -> None:
    check_always_replay(run_always_replay(10), 10)


def test_a_crash_midway_costs_one_invocation() -> None:
    check_crash_midway(run_crash_midway(10), 10)
