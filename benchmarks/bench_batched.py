"""Batched durability benchmarks: checkpoint calls and time of sequential steps, default vs batched.

Run ``python benchmarks/bench_batched.py`` for a table of 100 and 1,000 sequential steps, each
with the default durability (one checkpoint call per step) and with
``step_durability=StepDurability.BATCHED`` (the default batch of 50), on two paths: the
in-memory runner (``local``) and ``DurableLocalServer`` (``server``: a boto3 ``Invoke``, the
SDK checkpointing through its own boto3 client over HTTP, as in AWS). ``--check`` makes a
missed target exit non-zero; ``--only server`` (or ``local``) runs one path. The target is on
calls, not time: batched must cost at most N / 50 calls. Wall times are shown for comparison
(median of the timed runs, best beside it): on the runner the service answers in
microseconds, so batching saves little time there; through the server every call is an HTTP
round trip, and the saving is what a real service's milliseconds per call would make it.
Server calls are the server's own count of the requests it served
(``request_counts()``). ``test_bench_batched.py`` runs the cases under pytest-benchmark.
"""

from __future__ import annotations

import atexit
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench_core import Case, Measurement, run_cli

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import StepDurability
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, Limits
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

BATCH_SIZE = 50
STEP_COUNTS = (100, 1_000)
STEP_LIMITS = Limits(max_operations=20_000)
PATHS = ("local", "server")


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


# -- the two paths -----------------------------------------------------------------------


@dataclass(frozen=True)
class StepsOutcome:
    status: str
    result: Any
    operations: int | None  # None: not read (through the server)
    checkpoint_calls: int


def run_steps(steps: int, durability: str) -> StepsOutcome:
    """On the in-memory runner; calls are counted by its service client."""
    with DurableFunctionTestRunner(HANDLERS[durability], limits=STEP_LIMITS) as runner:
        result = runner.run(input={"steps": steps}, timeout=600)
        calls: int = runner.client.checkpoint_calls  # type: ignore[attr-defined]
    return StepsOutcome(result.status.value, result.result, len(result.operations), calls)


class BenchServer:
    """One ``DurableLocalServer`` serving both handlers; it counts the requests it serves."""

    def __init__(self) -> None:
        self.server = DurableLocalServer(
            {f"steps-{name}": handler for name, handler in HANDLERS.items()}, limits=STEP_LIMITS
        )

    def __enter__(self) -> BenchServer:
        self.server.start()
        self.client = self.server.client()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.stop()

    def checkpoint_requests(self) -> int:
        return self.server.request_counts().get("CheckpointDurableExecution", 0)

    def run_steps(self, steps: int, durability: str) -> StepsOutcome:
        """A synchronous ``Invoke``: it returns once the execution has ended."""
        before = self.checkpoint_requests()
        response = self.client.invoke(
            FunctionName=f"steps-{durability}", Payload=json.dumps({"steps": steps}).encode()
        )
        value = json.loads(response["Payload"].read())
        arn = response["DurableExecutionArn"]
        status = self.client.get_durable_execution(DurableExecutionArn=arn)["Status"]
        return StepsOutcome(status, value, None, self.checkpoint_requests() - before)


_shared: BenchServer | None = None


def shared_server() -> BenchServer:
    """The script's server, started on first use and stopped at exit (not timed)."""
    global _shared
    if _shared is None:
        _shared = BenchServer().__enter__()
        atexit.register(_shared.__exit__)
    return _shared


def run_on(path: str) -> Callable[[int, str], StepsOutcome]:
    return run_steps if path == "local" else shared_server().run_steps


# -- cases -------------------------------------------------------------------------------


def call_target(steps: int, durability: str) -> int:
    """The most checkpoint calls the case may make: one per step by default (the START goes
    with the SUCCEED), N / 50 batched."""
    return steps if durability == "default" else steps // BATCH_SIZE


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def check_steps(outcome: StepsOutcome, steps: int) -> None:
    _expect(outcome.status == "SUCCEEDED", f"expected SUCCEEDED, got {outcome.status}")
    _expect(outcome.result == 7 * steps, f"expected {7 * steps}, got {outcome.result!r}")
    _expect(
        outcome.operations in (None, steps),
        f"expected {steps} operations, got {outcome.operations}",
    )


def case_name(steps: int, durability: str, path: str) -> str:
    return f"{steps:,} sequential steps, {durability}, {path}"


def _parse(name: str) -> tuple[int, str, str]:
    steps, _, rest = name.partition(" sequential steps, ")
    durability, _, path = rest.partition(", ")
    return int(steps.replace(",", "")), durability, path


def cases() -> list[Case]:
    return [
        Case(
            case_name(steps, durability, path),
            lambda steps=steps, durability=durability, path=path: run_on(path)(steps, durability),
            lambda outcome, steps=steps: check_steps(outcome, steps),
            None,  # time is reported only; the target is on calls (see report)
            # One HTTP round trip per default step: keep the slow cases to one timed run.
            repeat=1 if path == "server" and durability == "default" else 5,
        )
        for path in PATHS
        for steps in STEP_COUNTS
        for durability in HANDLERS
    ]


# -- report ------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.2f} ms"


def report(measurements: list[Measurement]) -> list[str]:
    """Print the table; return the names of the cases over their call target.

    Calls are counted in one more run of each case, outside the timed ones (the count is
    deterministic: no timer sends anything in these handlers)."""
    missed = []
    rows = [("case", "calls", "target", "first", "best", "median", "")]
    for m in measurements:
        steps, durability, path = _parse(m.case.name)
        calls = run_on(path)(steps, durability).checkpoint_calls
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
