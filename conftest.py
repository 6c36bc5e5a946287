"""Repository-wide pytest settings that ``pyproject.toml`` cannot express.

pytest-benchmark creates its storage directory (``./.benchmarks`` by default) at the start
of every session, even with ``--benchmark-disable``. A test run must leave the working tree
as it found it, so unless a storage is given on the command line it lives in the system's
temporary directory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

_DEFAULT_STORAGE = "file://./.benchmarks"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # Runs before pytest-benchmark's own pytest_configure (trylast), which opens the storage.
    if getattr(config.option, "benchmark_storage", None) == _DEFAULT_STORAGE:
        storage = Path(tempfile.gettempdir()) / "aws-durable-execution-benchmarks"
        config.option.benchmark_storage = f"file://{storage}"
