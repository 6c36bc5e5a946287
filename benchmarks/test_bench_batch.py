"""The map/parallel benchmarks under pytest-benchmark, at a smaller size.

With the repository's ``--benchmark-disable`` each test runs its case once, as a plain test
of what the case must produce (including the bound on live threads); ``pytest benchmarks
--benchmark-enable`` times them. Targets are checked by ``python benchmarks/bench_batch.py
--check``, not here: a timing assertion in the normal suite would fail on a busy machine.
The cases and handlers are ``bench_batch``'s.
"""

from __future__ import annotations

from typing import Any

import pytest
from bench_batch import (
    MAP_CONCURRENCY,
    PARALLEL_BRANCHES,
    check_map,
    check_parallel,
    run_map,
    run_parallel,
    thread_budget,
)

pytestmark = pytest.mark.benchmark(group="batch")

ITEMS = 200


@pytest.mark.parametrize("max_concurrency", [None, MAP_CONCURRENCY, 1])
def test_map_of_items_with_a_step_each(benchmark: Any, max_concurrency: int | None) -> None:
    outcome = benchmark(run_map, ITEMS, max_concurrency)
    check_map(outcome, ITEMS, max_concurrency)
    assert outcome.peak_threads <= thread_budget(max_concurrency)


def test_parallel_branches(benchmark: Any) -> None:
    check_parallel(benchmark(run_parallel, PARALLEL_BRANCHES), PARALLEL_BRANCHES)


def test_the_thread_budget_catches_a_pool_larger_than_max_concurrency() -> None:
    """The bound is tight enough to fail: one worker per item would exceed it."""
    assert thread_budget(MAP_CONCURRENCY) < ITEMS
    assert thread_budget(1) < thread_budget(None) < ITEMS
