"""Callback and chained-invoke round trips on the in-memory runner.

Run ``python benchmarks/bench_callbacks.py`` (``--check`` exits non-zero on a missed
target). Each case creates a runner, runs, and closes it; the median of many repetitions is
compared with the target, after a warm-up.

- callback round trip: the handler creates a callback and waits; the test answers it
  (``run_async`` → ``wait_for_callback`` → ``send_callback_success`` → ``wait_for_result``);
- declared callback: the same, answered by ``run(callbacks=...)`` one virtual hour later;
- invoke round trip: the handler invokes a registered durable function that runs a step.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python_testing import (
    CallbackSuccess,
    DurableFunctionTestRunner,
    InvocationStatus,
)


@durable_execution
def callback_handler(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name="approval", config=CallbackConfig(timeout_seconds=60))
    return callback.result()


@durable_execution
def target_handler(event: Any, context: DurableContext) -> Any:
    return context.step(lambda _: {"echo": event}, name="echo")


@durable_execution
def invoke_handler(event: Any, context: DurableContext) -> Any:
    return context.invoke("target", {"n": 1}, name="call")


def callback_round_trip() -> None:
    with DurableFunctionTestRunner(callback_handler) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn, name="approval")
        runner.send_callback_success(callback_id, "yes")
        result = runner.wait_for_result(arn)
    assert result.status is InvocationStatus.SUCCEEDED and result.result == "yes"


def declared_callback() -> None:
    with DurableFunctionTestRunner(callback_handler) as runner:
        result = runner.run(callbacks={"approval": CallbackSuccess("yes", delay=30)})
    assert result.status is InvocationStatus.SUCCEEDED and result.result == "yes"


def invoke_round_trip() -> None:
    with DurableFunctionTestRunner(invoke_handler) as runner:
        runner.register_durable_function("target", target_handler)
        result = runner.run(input={})
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"echo": {"n": 1}}


CASES: list[tuple[str, Callable[[], None], float]] = [
    ("callback round trip (imperative)", callback_round_trip, 20.0),
    ("callback answered by declaration", declared_callback, 20.0),
    ("invoke round trip", invoke_round_trip, 10.0),
]


def measure(case: Callable[[], None], repeat: int) -> list[float]:
    case()  # warm-up, and a correctness check
    times = []
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        case()
        times.append((time.perf_counter() - began) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    missed = []
    print(f"{'case':<36} {'best':>9} {'median':>9} {'target':>10}")
    for name, case, target in CASES:
        times = measure(case, args.repeat)
        median = statistics.median(times)
        ok = median <= target
        if not ok:
            missed.append(name)
        print(
            f"{name:<36} {min(times):7.2f}ms {median:7.2f}ms {f'<= {target:.0f}ms':>10}"
            f"  {'ok' if ok else 'MISSED'}"
        )
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
