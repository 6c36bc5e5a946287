"""The subprocess-mode benchmark's case, run once as a plain test (``bench_subprocess``).

Targets are checked by ``python benchmarks/bench_subprocess.py --check``, not here: a timing
assertion in the normal suite would fail on a busy machine.
"""

from __future__ import annotations

from bench_subprocess import check, run_waits


def test_waits_in_subprocess_mode_invoke_once_per_wait() -> None:
    check(run_waits(3), 3)
