"""Batched durability benchmarks: checkpoint calls and time of sequential steps, default vs batched.

Run ``python benchmarks/bench_batched.py`` for a table of 100 and 1,000 sequential steps on the
in-memory runner, each with the default durability (one checkpoint call per step) and with
``step_durability=StepDurability.BATCHED`` (the default batch of 50); ``--check`` makes a
missed target exit non-zero. The target is on calls, not time: batched must cost at most
N / 50 calls. Wall times are shown for comparison (median of the timed runs, best beside
it); the in-memory service answers in microseconds, so the saving in time is small here and
grows with the round trip (a real service's is milliseconds). ``test_bench_batched.py``
runs the same cases under pytest-benchmark.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from bench_core import Case, Measurement, run_cli

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import StepDurability
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)

BATCH_SIZE = 50
STEP_COUNTS = (100, 1_000)
STEP_LIMITS = Limits(max_operations=20_000)


# -- handlers ----------------------------------------------------------------------------


def _small_int(step_context: StepContext) -> int:
    return 7


def _steps(event: Any, context: DurableContext) -> int:
    total = 0
    for _ in range(event["steps"]):
        total += context.step(_small_int)
    return total


default_handler = durable_execution(_steps)
batched_handler = durable_execution(step_durability=StepDurability.BATCHED)(_steps)
HANDLERS = {"default": default_handler, "batched": batched_handler}


# -- cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepsOutcome:
    result: DurableFunctionTestResult
    checkpoint_calls: int


def run_steps(steps: int, durability: str) -> StepsOutcome:
    with DurableFunctionTestRunner(HANDLERS[durability], limits=STEP_LIMITS) as runner:
        result = runner.run(input={"steps": steps}, timeout=600)
        calls: int = runner.client.checkpoint_calls  # type: ignore[attr-defined]
    return StepsOutcome(result, calls)


def call_target(steps: int, durability: str) -> int:
    """The most checkpoint calls the case may make: one per step by default (the START goes
    with the SUCCEED), N / 50 batched."""
    return steps if durability == "default" else steps // BATCH_SIZE


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_steps(outcome: StepsOutcome, steps: int) -> None:
    result = outcome.result
    _expect(
        result.status is InvocationStatus.SUCCEEDED,
        f"expected SUCCEEDED, got {result.status} ({result.error})",
    )
    _expect(result.result == 7 * steps, f"expected {7 * steps}, got {result.result!r}")
    _expect(len(result.operations) == steps, f"expected {steps} operations")


def case_name(steps: int, durability: str) -> str:
    return f"{steps:,} sequential steps, {durability}"


def cases() -> list[Case]:
    return [
        Case(
            case_name(steps, durability),
            lambda steps=steps, durability=durability: run_steps(steps, durability),
            lambda outcome, steps=steps: check_steps(outcome, steps),
            None,  # time is reported only; the target is on calls (see report)
            repeat=7 if steps <= 100 else 3,
        )
        for steps in STEP_COUNTS
        for durability in HANDLERS
    ]


# -- report ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def _parse(name: str) -> tuple[int, str]:
    steps, _, durability = name.partition(" sequential steps, ")
    return int(steps.replace(",", "")), durability


def report(measurements: list[Measurement]) -> list[str]:
    """Print the table; return the names of the cases over their call target.

    Calls are counted in one more run of each case, outside the timed ones (the count is
    deterministic: no timer sends anything in these handlers)."""
    missed = []
    rows = [("case", "calls", "target", "first", "best", "median", "")]
    for m in measurements:
        steps, durability = _parse(m.case.name)
        calls = run_steps(steps, durability).checkpoint_calls
        target = call_target(steps, durability)
        ok = calls <= target
        if not ok:
            missed.append(m.case.name)
        rows.append(
            (
                m.case.name,
                f"{calls:,}",
                f"<= {target:,}",
                _ms(m.first),
                _ms(m.best),
                _ms(m.median),
                "ok" if ok else "MISSED",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    return missed


def main(argv: list[str] | None = None) -> int:
    def summarise(_selected: list[Case], measurements: list[Measurement]) -> list[str]:
        return report(measurements)

    return run_cli(__doc__.splitlines()[0], cases(), argv, summarise)


if __name__ == "__main__":
    sys.exit(main())
