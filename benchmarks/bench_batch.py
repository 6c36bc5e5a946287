"""Map/parallel benchmarks: the cost of fanning out on the in-memory runner.

Run ``python benchmarks/bench_batch.py`` for a table of figures against their targets;
``--check`` makes a missed target (time or threads) exit non-zero. Each case is warmed up,
then timed with ``time.perf_counter`` over several repetitions; the target is compared with
the median (the best is shown beside it). The map cases also report the peak number of live
threads, sampled inside every item, against the pool size the engine may use
(``max_concurrency``, or its default) plus a small constant for the threads that run the
handler and the checkpoints. ``test_bench_batch.py`` runs the same cases under
pytest-benchmark.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench_core import Case, Measurement, run_cli
from bench_core import measure as measure_case

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import MapConfig
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)

# Each map item is two operations (its context and its step); the service's default cap is
# 3,000 operations and the runner option lets benchmarks raise it.
BATCH_LIMITS = Limits(max_operations=5_000)
MAP_ITEMS = 1_000
PARALLEL_BRANCHES = 50
MAP_CONCURRENCY = 10
# The engine's default pool when max_concurrency is None (see the engine's executor).
DEFAULT_POOL = min(32, (os.cpu_count() or 1) + 4)
# Threads besides the item pool that may be alive while items run (the handler's, the
# checkpointer's, the runner's).
THREAD_ALLOWANCE = 4


# -- handlers ----------------------------------------------------------------------------


class ThreadPeak:
    """The most threads seen alive, sampled from inside the items."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.peak = 0
        self.baseline = 0

    def reset(self) -> None:
        with self._lock:
            self.peak = 0
            self.baseline = threading.active_count()

    def sample(self) -> None:
        count = threading.active_count()
        if count > self.peak:
            with self._lock:
                self.peak = max(self.peak, count)


THREADS = ThreadPeak()


def _double(value: int) -> Callable[[StepContext], int]:
    def double(step_context: StepContext) -> int:
        THREADS.sample()
        return value * 2

    return double


def _map_item(context: DurableContext, value: int, index: int, items: list[int]) -> int:
    THREADS.sample()
    return context.step(_double(value), name="double")


@durable_execution
def map_handler(event: Any, context: DurableContext) -> int:
    concurrency = event.get("max_concurrency")
    config = MapConfig(max_concurrency=concurrency) if concurrency else None
    batch = context.map(list(range(event["items"])), _map_item, name="items", config=config)
    batch.throw_if_error()
    return sum(batch.get_results())


def _branch(value: int) -> Callable[[DurableContext], int]:
    def branch(context: DurableContext) -> int:
        return context.step(_double(value), name="double")

    return branch


@durable_execution
def parallel_handler(event: Any, context: DurableContext) -> int:
    branches = [_branch(i) for i in range(event["branches"])]
    batch = context.parallel(branches, name="branches")
    batch.throw_if_error()
    return sum(batch.get_results())


# -- cases: each creates, runs and closes its own runner ------------------------------------


@dataclass(frozen=True)
class MapOutcome:
    result: DurableFunctionTestResult
    peak_threads: int
    baseline_threads: int


def run_map(items: int = MAP_ITEMS, max_concurrency: int | None = None) -> MapOutcome:
    THREADS.reset()
    with DurableFunctionTestRunner(map_handler, limits=BATCH_LIMITS) as runner:
        result = runner.run(input={"items": items, "max_concurrency": max_concurrency}, timeout=600)
    return MapOutcome(result, THREADS.peak, THREADS.baseline)


def run_parallel(branches: int = PARALLEL_BRANCHES) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(parallel_handler, limits=BATCH_LIMITS) as runner:
        return runner.run(input={"branches": branches}, timeout=60)


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


def thread_budget(max_concurrency: int | None) -> int:
    """The most threads a map may have alive: its pool plus the allowance."""
    return (max_concurrency or DEFAULT_POOL) + THREAD_ALLOWANCE


def check_map(outcome: MapOutcome, items: int, max_concurrency: int | None) -> None:
    check_succeeded(outcome.result, sum(2 * i for i in range(items)))
    batch = outcome.result.get_context("items")
    _expect(len(batch.child_operations) == items, f"expected {items} item contexts")
    _expect(outcome.result.invocation_count == 1, "expected a single invocation")
    budget = thread_budget(max_concurrency)
    _expect(
        0 < outcome.peak_threads <= budget,
        f"peak of {outcome.peak_threads} threads, budget {budget}",
    )


def check_parallel(result: DurableFunctionTestResult, branches: int) -> None:
    check_succeeded(result, sum(2 * i for i in range(branches)))
    batch = result.get_context("branches")
    _expect(len(batch.child_operations) == branches, f"expected {branches} branch contexts")


# -- timing --------------------------------------------------------------------------------


def measure(case: Case, repeat: int | None = None) -> Measurement:
    """As ``bench_core.measure``, checking every timed run (a map's result and threads)."""
    return measure_case(case, repeat, check_each=True)


MAP_DEFAULT = f"map of {MAP_ITEMS:,} items, default config"
MAP_LIMITED = f"map of {MAP_ITEMS:,} items, max_concurrency={MAP_CONCURRENCY}"
PARALLEL = f"parallel of {PARALLEL_BRANCHES} branches"


def cases() -> list[Case]:
    return [
        Case(
            MAP_DEFAULT,
            lambda: run_map(MAP_ITEMS, None),
            lambda outcome: check_map(outcome, MAP_ITEMS, None),
            0.25,
            repeat=7,
        ),
        Case(
            MAP_LIMITED,
            lambda: run_map(MAP_ITEMS, MAP_CONCURRENCY),
            lambda outcome: check_map(outcome, MAP_ITEMS, MAP_CONCURRENCY),
            0.25,
            repeat=7,
        ),
        Case(
            PARALLEL,
            lambda: run_parallel(PARALLEL_BRANCHES),
            lambda result: check_parallel(result, PARALLEL_BRANCHES),
            0.015,
            repeat=30,
        ),
    ]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def report(measurements: list[Measurement]) -> list[str]:
    """Print the table and the thread peaks; return the names of the missed targets."""
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
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        cells = [
            cell.ljust(width) if column == 0 else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print()
    for m in measurements:
        if not isinstance(m.outcome, MapOutcome):
            continue
        concurrency = MAP_CONCURRENCY if m.case.name == MAP_LIMITED else None
        pool = concurrency or DEFAULT_POOL
        budget = thread_budget(concurrency)
        within = m.outcome.peak_threads <= budget
        if not within:
            missed.append(f"threads of {m.case.name}")
        print(
            f"{m.case.name}: peak {m.outcome.peak_threads} threads alive "
            f"(before the run {m.outcome.baseline_threads}; pool "
            f"{'max_concurrency' if concurrency else 'default'} {pool}, "
            f"budget <= {pool} + {THREAD_ALLOWANCE}) {'ok' if within else 'MISSED'}"
        )
    return missed


def main(argv: list[str] | None = None) -> int:
    return run_cli(
        __doc__.splitlines()[0],
        cases(),
        argv,
        lambda _selected, measurements: report(measurements),
        measure,
    )


if __name__ == "__main__":
    sys.exit(main())
