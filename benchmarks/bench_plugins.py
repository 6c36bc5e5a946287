"""Plugin benchmarks: what registered plugins cost a long run of sequential steps.

Run ``python benchmarks/bench_plugins.py`` for the figures against their targets; ``--check``
makes a missed target exit non-zero; ``--profile`` runs the three-plugin case under cProfile
and prints the plugin-related entries that cost the most. Three variants of one handler run
10,000 sequential steps: without plugins, with three registered no-op plugins (each
overriding every hook with ``pass``), and with three registered plugins that override no
hook. The variants are interleaved (one run of each per round, the order rotating) so that
a busy machine slows them alike; an overhead is the median over the rounds of
``cpu(variant) / cpu(no plugins) - 1``, from the process's CPU time (all threads), which
other processes on the machine do not inflate; the ratio of the best wall-clock times is
shown beside it. Each round also runs a tenth of the steps, to check that the plugins' cost
per step does not grow with the length of the execution. The runner's own hook recorder is
switched off (``record_hooks=False``): only the handler's plugins are measured.
``test_bench_plugins.py`` runs the same cases under pytest-benchmark.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin, PluginDispatcher
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)

# The service caps an execution at 3,000 operations; the runner option lets benchmarks raise it.
STEP_LIMITS = Limits(max_operations=20_000)
STEPS = 10_000
PLUGIN_COUNT = 3
HOOKS = (
    "on_invocation_start",
    "on_invocation_end",
    "on_operation_start",
    "on_operation_end",
    "on_operation_change",
    "on_user_function_start",
    "on_user_function_end",
)

# -- plugins -------------------------------------------------------------------------------


class NoOpPlugin(DurableInstrumentationPlugin):
    """Implements every hook and does nothing: the cost of calling hooks at all."""

    def on_invocation_start(self, info: Any) -> None:
        pass

    def on_invocation_end(self, info: Any) -> None:
        pass

    def on_operation_start(self, info: Any) -> None:
        pass

    def on_operation_end(self, info: Any) -> None:
        pass

    def on_operation_change(self, info: Any) -> None:
        pass

    def on_user_function_start(self, info: Any) -> None:
        pass

    def on_user_function_end(self, info: Any) -> None:
        pass


class SilentPlugin(DurableInstrumentationPlugin):
    """Registered, but overrides no hook: it should cost (almost) nothing."""


# -- handlers ------------------------------------------------------------------------------


def _small_int(step_context: StepContext) -> int:
    return 7


def _steps(event: Any, context: DurableContext) -> int:
    total = 0
    for _ in range(event["steps"]):
        total += context.step(_small_int)
    return total


no_plugins_handler = durable_execution(_steps)
noop_plugins_handler = durable_execution(plugins=[NoOpPlugin() for _ in range(PLUGIN_COUNT)])(
    _steps
)
silent_plugins_handler = durable_execution(plugins=[SilentPlugin() for _ in range(PLUGIN_COUNT)])(
    _steps
)


@dataclass(frozen=True)
class Variant:
    name: str
    handler: Callable[..., Any]
    target_overhead: float | None  # None: the baseline


BASELINE = Variant("no plugins", no_plugins_handler, None)
NOOP = Variant(f"{PLUGIN_COUNT} no-op plugins (all hooks)", noop_plugins_handler, 0.35)
# "about zero": the margin only absorbs the noise of a busy machine.
SILENT = Variant(f"{PLUGIN_COUNT} plugins overriding no hook", silent_plugins_handler, 0.10)
VARIANTS = (BASELINE, NOOP, SILENT)


def run_steps(handler: Callable[..., Any], steps: int) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(handler, limits=STEP_LIMITS, record_hooks=False) as runner:
        return runner.run(input={"steps": steps}, timeout=600)


# -- checks of what the cases must produce (outside the timed region) -----------------------


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_steps(result: DurableFunctionTestResult, steps: int) -> None:
    _expect(
        result.status is InvocationStatus.SUCCEEDED,
        f"expected SUCCEEDED, got {result.status} ({result.error})",
    )
    _expect(result.result == 7 * steps, f"expected {7 * steps}, got {result.result!r}")
    _expect(len(result.operations) == steps, f"expected {steps} operations")


def check_plugins() -> None:
    """The variants measure what they claim: every hook implemented, or none."""
    noop = PluginDispatcher([NoOpPlugin() for _ in range(PLUGIN_COUNT)])
    _expect(all(noop.wants[hook] for hook in HOOKS), f"no-op plugins: {noop.wants}")
    silent = PluginDispatcher([SilentPlugin() for _ in range(PLUGIN_COUNT)])
    _expect(not any(silent.wants.values()), f"silent plugins: {silent.wants}")


# -- timing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    variant: Variant
    first: float  # the first run in this process: imports and caches still cold
    times: list[float]  # wall-clock seconds per round
    cpu_times: list[float]  # CPU seconds of the process (all its threads) per round
    base: Measurement | None = None

    @property
    def best(self) -> float:
        return min(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def overhead(self) -> float:
        """Median over the rounds of the CPU-time ratio to the baseline's, minus one.

        CPU time, unlike wall-clock time, does not grow when other processes take the
        machine; pairing each run with the baseline of its round removes slower drifts.
        """
        if self.base is None:
            return 0.0
        ratios = [t / b for t, b in zip(self.cpu_times, self.base.cpu_times, strict=True)]
        return statistics.median(ratios) - 1

    @property
    def wall_overhead(self) -> float:
        """The same from the best wall-clock times (what a quiet machine would show)."""
        return 0.0 if self.base is None else self.best / self.base.best - 1

    @property
    def ok(self) -> bool:
        target = self.variant.target_overhead
        return target is None or self.overhead < target


def _timed(run: Callable[[], Any]) -> tuple[float, float, Any]:
    gc.collect()  # no run pays for the garbage of the one before
    start, cpu_start = time.perf_counter(), time.process_time()
    outcome = run()
    return time.perf_counter() - start, time.process_time() - cpu_start, outcome


@dataclass(frozen=True)
class Growth:
    """The no-op plugins' CPU cost per step, at a tenth of the steps and at all of them: a
    linear cost stays the same per step; a cost that grows with the number of operations
    already checkpointed (a copy of all of them per step) makes the ratio grow."""

    small_steps: int
    steps: int
    small: float  # seconds per step
    large: float

    @property
    def ratio(self) -> float:
        return self.large / self.small

    @property
    def ok(self) -> bool:
        return self.ratio <= GROWTH_TARGET


GROWTH_TARGET = 1.5


def _per_step_overhead(variant_cpu: list[float], base_cpu: list[float], steps: int) -> float:
    return (statistics.median(variant_cpu) - statistics.median(base_cpu)) / steps


def measure(steps: int = STEPS, rounds: int = 7) -> tuple[list[Measurement], Growth]:
    """Warm each variant up (checking its outcome), then time ``rounds`` interleaved rounds;
    each round also runs the baseline and the no-op variant at a tenth of the steps."""
    check_plugins()
    small = max(steps // 10, 1)
    first = {}
    for variant in VARIANTS:
        first[variant.name], _cpu, result = _timed(
            functools.partial(run_steps, variant.handler, steps)
        )
        check_steps(result, steps)
    times: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    cpu_times: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    small_cpu: dict[str, list[float]] = {BASELINE.name: [], NOOP.name: []}
    for index in range(rounds):
        shift = index % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            elapsed, cpu, _ = _timed(functools.partial(run_steps, variant.handler, steps))
            times[variant.name].append(elapsed)
            cpu_times[variant.name].append(cpu)
        for variant in (BASELINE, NOOP):
            _elapsed, cpu, _ = _timed(functools.partial(run_steps, variant.handler, small))
            small_cpu[variant.name].append(cpu)
    base = Measurement(
        BASELINE, first[BASELINE.name], times[BASELINE.name], cpu_times[BASELINE.name]
    )
    measurements = [base] + [
        Measurement(
            variant, first[variant.name], times[variant.name], cpu_times[variant.name], base
        )
        for variant in VARIANTS
        if variant is not BASELINE
    ]
    growth = Growth(
        small,
        steps,
        _per_step_overhead(small_cpu[NOOP.name], small_cpu[BASELINE.name], small),
        _per_step_overhead(cpu_times[NOOP.name], cpu_times[BASELINE.name], steps),
    )
    return measurements, growth


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def report(measurements: list[Measurement], growth: Growth, steps: int) -> list[str]:
    """Print the table; return the names of the missed targets."""
    missed = []
    rows = [
        (
            f"{steps:,} sequential steps",
            "first",
            "best",
            "median",
            "median CPU",
            "overhead",
            "(best wall)",
            "target",
            "",
        )
    ]
    for m in measurements:
        target = m.variant.target_overhead
        if not m.ok:
            missed.append(m.variant.name)
        rows.append(
            (
                m.variant.name,
                _ms(m.first),
                _ms(m.best),
                _ms(m.median),
                _ms(statistics.median(m.cpu_times)),
                "-" if target is None else f"{m.overhead:+.1%}",
                "-" if target is None else f"({m.wall_overhead:+.1%})",
                "-" if target is None else f"< {target:.0%}",
                "" if target is None else "ok" if m.ok else "MISSED",
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
    rounds = len(measurements[0].times)
    print(
        f"\noverhead = median over {rounds} interleaved rounds of "
        "cpu(variant) / cpu(no plugins) - 1; (best wall) = best(variant) / best(no plugins) - 1"
    )
    verdict = "ok" if growth.ok else "MISSED"
    if not growth.ok:
        missed.append("per-step overhead growth")
    print(
        f"\nCPU cost per step of the {NOOP.name}: {growth.small * 1e6:.1f} us at "
        f"{growth.small_steps:,} steps, {growth.large * 1e6:.1f} us at {growth.steps:,} steps; "
        f"growth {growth.ratio:.2f} (target <= {GROWTH_TARGET:g}) {verdict}"
    )
    return missed


# -- profile -------------------------------------------------------------------------------


def _plugin_related(filename: str, function: str) -> bool:
    if "/_plugins/" in filename or "._plugins." in filename or "/pluggy/" in filename:
        return True  # the dispatcher, the reporting points, the info classes, pluggy
    return filename.endswith("bench_plugins.py") and function.startswith("on_")


def profile(variant: Variant = NOOP, steps: int = STEPS, top: int = 20) -> None:
    """cProfile one variant; print the plugin-related entries, costliest first (by
    cumulative time: the engine's reporting points come first, then what they call)."""
    run_steps(variant.handler, 100)  # warm up imports and caches
    profiler = cProfile.Profile()
    profiler.enable()
    result = run_steps(variant.handler, steps)
    profiler.disable()
    check_steps(result, steps)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(value[2] for value in entries.values())
    related = [(key, value) for key, value in entries.items() if _plugin_related(key[0], key[2])]
    own = sum(value[2] for _key, value in related)
    print(
        f"cProfile, {variant.name}, {steps:,} steps: {total:.2f} s profiled, {own:.2f} s "
        f"({own / total:.0%}) own time in plugin dispatch, info building and the plugins\n"
    )
    print(f"{'own s':>7}  {'cum s':>7}  {'calls':>8}  function")
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in sorted(
        related, key=lambda item: item[1][3], reverse=True
    )[:top]:
        where = filename.split("/src/")[-1].split("site-packages/")[-1]
        print(f"{tottime:7.3f}  {cumtime:7.3f}  {calls:8d}  {function} ({where}:{line})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds (default: 7)")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"steps (default: {STEPS})")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="noop",
        choices=["noop", "silent"],
        help="profile a plugin variant instead of timing (default: noop)",
    )
    args = parser.parse_args(argv)
    if args.profile:
        profile(NOOP if args.profile == "noop" else SILENT, args.steps)
        return 0
    print(
        f"python {sys.version.split()[0]}; 'first' is the process's first (cold) run, "
        "then the timed rounds\n"
    )
    measurements, growth = measure(args.steps, args.rounds)
    missed = report(measurements, growth, args.steps)
    if missed:
        print(f"missed targets: {', '.join(missed)}")
        if args.check:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
