"""A test run leaves the working tree as it found it."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_benchmark_storage_is_outside_the_working_tree(pytestconfig: pytest.Config):
    storage = pytestconfig.getoption("benchmark_storage")
    path = Path(storage.removeprefix("file://")).resolve()
    assert not path.is_relative_to(pytestconfig.rootpath), path
