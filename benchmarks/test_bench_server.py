"""The server benchmark, run briefly as a plain test (``bench_server``): the client processes
start, every request they make is served, and the numbers come out.

The target is checked by ``python benchmarks/bench_server.py --check``, not here: a timing
assertion in the normal suite would fail on a busy machine.
"""

from __future__ import annotations

import math

from bench_server import measure


def test_the_server_benchmark_measures_requests_per_second() -> None:
    result = measure(clients=1, seconds=0.3)
    assert result["rps"] > 0
    assert result["p50_ms"] <= result["p99_ms"]
    assert math.isfinite(result["server_ms"]) and math.isfinite(result["invoke_ms"])
