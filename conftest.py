"""Repository-wide pytest settings that ``pyproject.toml`` cannot express.

A test run must leave the working tree as it found it, so the tools that keep files between
runs keep them in the system's temporary directory:

- pytest-benchmark creates its storage directory (``./.benchmarks`` by default) at the start
  of every session, even with ``--benchmark-disable``; unless a storage is given on the
  command line it lives in the temporary directory.
- Hypothesis keeps its example database and caches in ``./.hypothesis`` by default; unless
  ``HYPOTHESIS_STORAGE_DIRECTORY`` names a place, they live in the temporary directory.
  Failing examples are still replayed on the next run, as the directory persists.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

_DEFAULT_STORAGE = "file://./.benchmarks"
_TEMPORARY = Path(tempfile.gettempdir())


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Runs before pytest-benchmark's own pytest_configure (trylast), which opens the storage.
    if getattr(config.option, "benchmark_storage", None) == _DEFAULT_STORAGE:
        storage = _TEMPORARY / "aws-durable-execution-benchmarks"
        config.option.benchmark_storage = f"file://{storage}"
    # Hypothesis resolves its directory, and the default example database in it, when it
    # first needs them: after this.
    if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        set_hypothesis_home_dir(_TEMPORARY / "aws-durable-execution-hypothesis")
