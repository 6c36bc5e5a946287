"""The callback and invoke round trips under pytest-benchmark (once in the normal suite)."""

from __future__ import annotations

from typing import Any

from bench_callbacks import callback_round_trip, declared_callback, invoke_round_trip


def test_callback_round_trip(benchmark: Any) -> None:
    benchmark(callback_round_trip)


def test_declared_callback(benchmark: Any) -> None:
    benchmark(declared_callback)


def test_invoke_round_trip(benchmark: Any) -> None:
    benchmark(invoke_round_trip)
