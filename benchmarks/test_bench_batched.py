"""The batched-durability benchmarks under pytest-benchmark.

With the repository's ``--benchmark-disable`` each test runs its case once, as a plain test
of what the case must produce, including its checkpoint-call target (calls are counted, not
timed, so the bound holds on a busy machine too); ``pytest benchmarks --benchmark-enable``
times them. The cases and handlers are ``bench_batched``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench_batched import STEP_COUNTS, call_target, check_steps, run_steps

pytestmark = pytest.mark.benchmark(group="batched")


@pytest.mark.parametrize("durability", ["default", "batched"])
@pytest.mark.parametrize("steps", STEP_COUNTS)
def test_sequential_steps(benchmark: Any, steps: int, durability: str) -> None:
    outcome = benchmark(run_steps, steps, durability)
    check_steps(outcome, steps)
    assert outcome.checkpoint_calls <= call_target(steps, durability)
