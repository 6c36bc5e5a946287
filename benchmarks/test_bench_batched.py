"""The batched-durability benchmarks under pytest-benchmark.

With the repository's ``--benchmark-disable`` each test runs its case once, as a plain test
of what the case must produce, including its checkpoint-call target (calls are counted, not
timed, so the bound holds on a busy machine too); ``pytest benchmarks --benchmark-enable``
times them. Through the server only the batched cases run here: the default ones make one
HTTP round trip per step and are left to ``python benchmarks/bench_batched.py``. The cases
and handlers are ``bench_batched``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from bench_batched import STEP_COUNTS, BenchServer, call_target, check_steps, run_steps

pytestmark = pytest.mark.benchmark(group="batched")


@pytest.fixture(scope="module")
def server() -> Iterator[BenchServer]:
    with BenchServer() as running:
        yield running


@pytest.mark.parametrize("durability", ["default", "batched"])
@pytest.mark.parametrize("steps", STEP_COUNTS)
def test_sequential_steps_on_the_runner(benchmark: Any, steps: int, durability: str) -> None:
    outcome = benchmark(run_steps, steps, durability)
    check_steps(outcome, steps)
    assert outcome.checkpoint_calls <= call_target(steps, durability)


@pytest.mark.parametrize("steps", STEP_COUNTS)
def test_batched_sequential_steps_through_the_server(
    benchmark: Any, server: BenchServer, steps: int
) -> None:
    outcome = benchmark(server.run_steps, steps, "batched")
    check_steps(outcome, steps)
    assert 1 <= outcome.checkpoint_calls <= call_target(steps, "batched")
