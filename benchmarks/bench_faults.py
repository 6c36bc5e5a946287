"""Fault-injection benchmarks: what ``always_replay`` and crash points cost.

Run ``python benchmarks/bench_faults.py`` for a table of figures against their targets;
``--check`` makes a missed target exit non-zero. Cases are timed as ``bench_core`` times
its own (warm-up, then the median of several runs). ``always_replay`` on N sequential steps
makes N + 1 invocations and replays 0 + 1 + ... + N steps, so it is quadratic by nature;
the target holds it for the 100 steps a unit test would plausibly have.
``test_bench_faults.py`` runs the same cases once as tests.
"""

from __future__ import annotations

import sys
from typing import Any

from bench_core import STEP_LIMITS, Case, check_succeeded, report, run_cli, steps_handler

from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
)

REPLAY_STEPS = 100
REPLAY_TARGET = 0.5  # seconds


def run_steps(steps: int, **options: Any) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(steps_handler, limits=STEP_LIMITS, **options) as runner:
        return runner.run(input={"steps": steps}, timeout=600)


def run_always_replay(steps: int = REPLAY_STEPS) -> DurableFunctionTestResult:
    return run_steps(steps, always_replay=True)


def run_crash_midway(steps: int = REPLAY_STEPS) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(steps_handler, limits=STEP_LIMITS) as runner:
        return runner.run(input={"steps": steps}, timeout=600, crash_after=steps // 2)


def check_always_replay(result: DurableFunctionTestResult, steps: int = REPLAY_STEPS) -> None:
    check_succeeded(result, 7 * steps)
    if result.invocation_count != steps + 1:
        raise AssertionError(f"expected {steps + 1} invocations, got {result.invocation_count}")


def check_crash_midway(result: DurableFunctionTestResult, steps: int = REPLAY_STEPS) -> None:
    check_succeeded(result, 7 * steps)
    crashed = [inv for inv in result.invocations if "Error" in inv]
    if len(crashed) != 1:
        raise AssertionError(f"expected one crashed invocation, got {result.invocations}")


def cases() -> list[Case]:
    return [
        Case(
            f"{REPLAY_STEPS} sequential steps",
            lambda: run_steps(REPLAY_STEPS),
            lambda result: check_succeeded(result, 7 * REPLAY_STEPS),
            None,  # the base the replay figure compares with
            repeat=20,
        ),
        Case(
            f"always_replay, {REPLAY_STEPS} sequential steps",
            run_always_replay,
            check_always_replay,
            REPLAY_TARGET,
            repeat=7,
        ),
        Case(
            f"crash after checkpoint {REPLAY_STEPS // 2} of {REPLAY_STEPS}",
            run_crash_midway,
            check_crash_midway,
            None,
            repeat=20,
        ),
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
