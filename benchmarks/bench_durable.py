"""``assert_durable`` benchmark: proving a 20-step workflow durable at every crash point.

Run ``python benchmarks/bench_durable.py`` for the figure against its target; ``--check``
makes a missed target exit non-zero. Timed as ``bench_core`` times its cases (warm-up, then
the median of several runs). One proof is the fault-free reference run plus a crash right
before and right after each of the 20 checkpoint calls (a fast step's START and SUCCEED
share a call), each run recording what plugins see, and one last probe that finds no 21st
call: 42 runs, 82 invocations. ``test_bench_durable.py`` runs the case once as a test.
"""

from __future__ import annotations

import sys

from bench_core import Case, report, run_cli, steps_handler

from aws_durable_execution_sdk_python_testing.strategies import DurabilityReport, assert_durable

STEPS = 20
TARGET = 2.0  # seconds


def run_all_crash_points(steps: int = STEPS) -> DurabilityReport:
    return assert_durable(steps_handler, {"steps": steps})


def check_all_crash_points(proof: DurabilityReport, steps: int = STEPS) -> None:
    if proof.reference.result != 7 * steps:
        raise AssertionError(f"expected {7 * steps}, got {proof.reference.result!r}")
    if proof.checkpoint_calls != steps or proof.schedules_checked != 2 * steps:
        raise AssertionError(
            f"expected {steps} calls and {2 * steps} schedules, got "
            f"{proof.checkpoint_calls} and {proof.schedules_checked}"
        )


def cases() -> list[Case]:
    return [
        Case(
            f"assert_durable, every crash point of {STEPS} steps",
            run_all_crash_points,
            check_all_crash_points,
            TARGET,
            repeat=5,
        )
    ]


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        __doc__.splitlines()[0],
        cases(),
        argv,
        lambda _selected, measurements: report(measurements, None),
    )


if __name__ == "__main__":
    sys.exit(main())
