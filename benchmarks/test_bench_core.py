"""The core benchmarks under pytest-benchmark.

With the repository's ``--benchmark-disable`` each test runs its case once, as a plain test
of what the case must produce; ``pytest benchmarks --benchmark-enable`` times them. Targets
are checked by ``python benchmarks/bench_core.py --check``, not here: a timing assertion in
the normal suite would fail on a busy machine. The cases and handlers are ``bench_core``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench_core import (
    check_empty,
    check_many,
    check_retry,
    check_steps,
    check_wait,
    run_empty,
    run_many,
    run_retry,
    run_steps,
    run_wait,
)

pytestmark = pytest.mark.benchmark(group="core")

STEPS = 1_000


def test_empty_execution(benchmark: Any) -> None:
    check_empty(benchmark(run_empty))


@pytest.mark.parametrize("steps", [STEPS])
def test_sequential_steps(benchmark: Any, steps: int) -> None:
    outcome = benchmark(run_steps, steps)
    check_steps(outcome, steps)
    # One call per step: the START rides with the SUCCEED that needs an answer.
    _result, checkpoint_calls = outcome
    assert checkpoint_calls <= steps + 1


def test_step_retried_twice_with_60s_backoff(benchmark: Any) -> None:
    check_retry(benchmark(run_retry))


def test_one_day_wait(benchmark: Any) -> None:
    check_wait(benchmark(run_wait))


def test_hundred_executions_one_runner(benchmark: Any) -> None:
    check_many(benchmark(run_many))
