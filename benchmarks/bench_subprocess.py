"""Subprocess invocation mode: what an invocation in a forked child costs.

Run ``python benchmarks/bench_subprocess.py`` for the figures; ``--check`` makes a missed
target exit non-zero. A handler that waits ``n`` times is invoked ``n + 1`` times (each wait
ends an invocation); the cost per invocation is the difference between a run of many
invocations and a run of one, divided by the extra invocations, so the sandbox's start (once
per run) is reported apart. ``test_bench_subprocess.py`` runs the same cases once as tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)

INVOCATIONS = 40
PER_INVOCATION_TARGET = 0.030  # seconds
REPEAT = 5


@durable_execution
def waits_handler(event: Any, context: DurableContext) -> int:
    for index in range(event["waits"]):
        context.step(lambda _, value=index: value, name=f"step-{index}")
        context.wait(Duration.from_seconds(1), name=f"wait-{index}")
    return int(event["waits"])


def run_waits(waits: int, mode: str = "subprocess") -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(waits_handler, invocation_mode=mode) as runner:
        return runner.run(input={"waits": waits}, timeout=60)


def check(result: DurableFunctionTestResult, waits: int) -> None:
    if result.status is not InvocationStatus.SUCCEEDED or result.result != waits:
        raise AssertionError(f"unexpected outcome: {result.status} {result.error}")
    if result.invocation_count != waits + 1:
        raise AssertionError(f"expected {waits + 1} invocations, got {result.invocation_count}")


def _median(waits: int, mode: str) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        check(run_waits(waits, mode), waits)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    run_waits(1)  # warm the file cache and imports
    one = _median(0, "subprocess")
    many = _median(INVOCATIONS, "subprocess")
    per_invocation = (many - one) / INVOCATIONS
    local = (_median(INVOCATIONS, "in-process") - _median(0, "in-process")) / INVOCATIONS
    verdict = "ok" if per_invocation <= PER_INVOCATION_TARGET else "MISSED"
    print(f"run of 1 invocation (sandbox start incl.): {one * 1000:.1f} ms")
    print(f"run of {INVOCATIONS + 1} invocations:            {many * 1000:.1f} ms")
    print(
        f"per invocation: {per_invocation * 1000:.2f} ms "
        f"(target <= {PER_INVOCATION_TARGET * 1000:.0f} ms: {verdict}); "
        f"in-process: {local * 1000:.2f} ms"
    )
    return 1 if args.check and verdict != "ok" else 0


if __name__ == "__main__":
    sys.exit(main())
