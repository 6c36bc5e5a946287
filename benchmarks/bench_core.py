"""Core benchmarks: the cost of running durable handlers on the in-memory runner.

Run ``python benchmarks/bench_core.py`` for a table of figures against their targets;
``--check`` makes a missed target exit non-zero. Each case is warmed up, then timed with
``time.perf_counter`` over several repetitions; the target is compared with the median (the
best is shown beside it). ``test_bench_core.py`` runs the same cases under pytest-benchmark.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration, JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)

# The service caps an execution at 3,000 operations; the runner option lets benchmarks raise it.
STEP_LIMITS = Limits(max_operations=20_000)
RETRY_CONFIG = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay_seconds=60,
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)
MANY_EXECUTIONS = 100

# -- handlers ----------------------------------------------------------------------------


@durable_execution
def empty_handler(event: Any, context: DurableContext) -> None:
    return None


def _small_int(step_context: StepContext) -> int:
    return 7


@durable_execution
def steps_handler(event: Any, context: DurableContext) -> int:
    total = 0
    for _ in range(event["steps"]):
        total += context.step(_small_int)
    return total


def _fail_twice(step_context: StepContext) -> int:
    if step_context.attempt < 3:
        raise RuntimeError(f"attempt {step_context.attempt} fails")
    return step_context.attempt


@durable_execution
def retry_handler(event: Any, context: DurableContext) -> int:
    return context.step(_fail_twice, name="flaky", config=RETRY_CONFIG)


@durable_execution
def wait_handler(event: Any, context: DurableContext) -> str:
    context.wait(Duration.from_days(1), name="one day")
    return "done"


@durable_execution
def one_step_handler(event: Any, context: DurableContext) -> int:
    return context.step(_small_int)


# -- cases: each creates, runs and closes its own runner ------------------------------------


def run_empty() -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(empty_handler) as runner:
        return runner.run(input={}, timeout=60)


def run_steps(steps: int) -> tuple[DurableFunctionTestResult, int]:
    """The result and the number of checkpoint calls the execution made."""
    with DurableFunctionTestRunner(steps_handler, limits=STEP_LIMITS) as runner:
        result = runner.run(input={"steps": steps}, timeout=600)
        return result, runner.client.checkpoint_calls


def run_retry() -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(retry_handler) as runner:
        return runner.run(input={}, timeout=60)


def run_wait() -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(wait_handler) as runner:
        return runner.run(input={}, timeout=60)


def run_many(count: int = MANY_EXECUTIONS) -> list[DurableFunctionTestResult]:
    with DurableFunctionTestRunner(one_step_handler) as runner:
        return [runner.run(input={"i": i}, timeout=60) for i in range(count)]


# -- checks of what the cases must produce (outside the timed region) -----------------------


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_succeeded(result: DurableFunctionTestResult, expected: Any) -> None:
    _expect(
        result.status is InvocationStatus.SUCCEEDED,
        f"expected SUCCEEDED, got {result.status} ({result.error})",
    )
    _expect(result.result == expected, f"expected result {expected!r}, got {result.result!r}")


def check_empty(result: DurableFunctionTestResult) -> None:
    check_succeeded(result, None)


def check_steps(outcome: tuple[DurableFunctionTestResult, int], steps: int) -> None:
    result, _calls = outcome
    check_succeeded(result, 7 * steps)
    _expect(len(result.operations) == steps, f"expected {steps} operations")


def check_retry(result: DurableFunctionTestResult) -> None:
    check_succeeded(result, 3)
    step = result.get_step("flaky")
    _expect(step.attempt == 3, f"expected the step to succeed on attempt 3, got {step.attempt}")
    _expect(len(result.invocations) == 3, f"expected 3 invocations, got {result.invocations}")


def check_wait(result: DurableFunctionTestResult) -> None:
    check_succeeded(result, "done")
    wait = result.get_wait("one day")
    _expect(wait.scheduled_end_timestamp is not None, "the wait has no scheduled end")
    _expect(len(result.invocations) == 2, f"expected 2 invocations, got {result.invocations}")


def check_many(results: list[DurableFunctionTestResult]) -> None:
    _expect(len(results) == MANY_EXECUTIONS, f"expected {MANY_EXECUTIONS} results")
    for result in results:
        check_succeeded(result, 7)
    _expect(len({r.execution_arn for r in results}) == MANY_EXECUTIONS, "ARNs must be fresh")


# -- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[], Any]
    check: Callable[[Any], None]
    target_seconds: float | None  # None: reported only
    repeat: int
    warmup: int = 1


@dataclass(frozen=True)
class Measurement:
    case: Case
    first: float  # the first run in this process: imports and caches still cold
    times: list[float]
    outcome: Any = None  # of the last timed run (kept when each run is checked)

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def ok(self) -> bool:
        target = self.case.target_seconds
        return target is None or self.median <= target


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()  # no run pays for the garbage of the one before
    start = time.perf_counter()
    outcome = run()
    return time.perf_counter() - start, outcome


def measure(case: Case, repeat: int | None = None, check_each: bool = False) -> Measurement:
    """Warm up (checking the outcome), then time ``repeat`` runs (each checked if asked)."""
    first, outcome = _timed(case.run)
    case.check(outcome)
    for _ in range(case.warmup - 1):
        case.run()
    times = []
    for _ in range(repeat or case.repeat):
        elapsed, outcome = _timed(case.run)
        if check_each:
            case.check(outcome)
        times.append(elapsed)
    return Measurement(case, first, times, outcome if check_each else None)


def cases() -> list[Case]:
    return [
        Case("empty execution (runner incl.)", run_empty, check_empty, 0.003, repeat=50),
        Case(
            STEPS_1K,
            lambda: run_steps(1_000),
            lambda outcome: check_steps(outcome, 1_000),
            None,  # the base of the linearity ratio below
            repeat=7,
        ),
        Case(
            STEPS_10K,
            lambda: run_steps(10_000),
            lambda outcome: check_steps(outcome, 10_000),
            1.0,
            repeat=3,
        ),
        Case("step retried twice, 60 s backoff", run_retry, check_retry, 0.010, repeat=30),
        Case("1-day wait", run_wait, check_wait, 0.010, repeat=30),
        Case(f"{MANY_EXECUTIONS} executions, one runner", run_many, check_many, 0.3, repeat=5),
    ]


STEPS_1K = "1,000 sequential steps"
STEPS_10K = "10,000 sequential steps"
LINEARITY_TARGET = 12.0


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def report(measurements: list[Measurement], checkpoint_calls_1k: int | None) -> list[str]:
    """Print the table; return the names of the missed targets."""
    missed = []
    rows = [("case", "first", "best", "median", "target", "runs", "")]
    for m in measurements:
        target = m.case.target_seconds
        verdict = "" if target is None else "ok" if m.ok else "MISSED"
        if not m.ok:
            missed.append(m.case.name)
        rows.append(
            (
                m.case.name,
                _ms(m.first),
                _ms(m.best),
                _ms(m.median),
                "-" if target is None else f"<= {_ms(target)}",
                str(len(m.times)),
                verdict,
            )
        )
    by_name = {m.case.name: m for m in measurements}
    if STEPS_1K in by_name and STEPS_10K in by_name:
        ratio = by_name[STEPS_10K].median / by_name[STEPS_1K].median
        linear = ratio <= LINEARITY_TARGET
        if not linear:
            missed.append("linearity t(10k)/t(1k)")
        rows.append(
            (
                "linearity t(10k)/t(1k) (medians)",
                "",
                "",
                f"{ratio:.2f}",
                f"<= {LINEARITY_TARGET:g}",
                "",
                "ok" if linear else "MISSED",
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
    if checkpoint_calls_1k is not None:
        print(f"\ncheckpoint calls for 1,000 steps: {checkpoint_calls_1k}")
    return missed


def run_cli(
    description: str,
    all_cases: list[Case],
    argv: list[str] | None,
    summarise: Callable[[list[Case], list[Measurement]], list[str]],
    measure_case: Callable[[Case, int | None], Measurement] | None = None,
) -> int:
    """The command line every benchmark script shares: ``--check``, ``--repeat``, ``--only``.

    ``summarise`` prints the table (and any extra lines) and returns the missed targets;
    ``measure_case`` replaces ``measure`` (a script that checks every timed run).
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--repeat", type=int, default=None, help="timed runs per case (default: per case)"
    )
    parser.add_argument(
        "--only",
        metavar="TEXT",
        default="",
        help="run only the cases whose name contains TEXT (e.g. for a profiler)",
    )
    args = parser.parse_args(argv)
    selected = [case for case in all_cases if args.only in case.name]
    if not selected:
        parser.error(f"--only {args.only!r} matches no case")
    print(
        f"python {sys.version.split()[0]}; 'first' is the process's first (cold) run, "
        "then a target is compared with the median of the timed runs\n"
    )
    timing = measure_case or measure
    missed = summarise(selected, [timing(case, args.repeat) for case in selected])
    if missed:
        print(f"missed targets: {', '.join(missed)}")
        if args.check:
            return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    def summarise(selected: list[Case], measurements: list[Measurement]) -> list[str]:
        checkpoint_calls_1k = None
        if any(case.name == STEPS_1K for case in selected):
            checkpoint_calls_1k = run_steps(1_000)[1]
        return report(measurements, checkpoint_calls_1k)

    return run_cli(__doc__.splitlines()[0], cases(), argv, summarise)


if __name__ == "__main__":
    sys.exit(main())
