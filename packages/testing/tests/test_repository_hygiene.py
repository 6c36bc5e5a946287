"""A test run leaves the working tree as it found it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import storage_directory
from hypothesis.database import DirectoryBasedExampleDatabase


def test_benchmark_storage_is_outside_the_working_tree(pytestconfig: pytest.Config):
    storage = pytestconfig.getoption("benchmark_storage")
    path = Path(storage.removeprefix("file://")).resolve()
    assert not path.is_relative_to(pytestconfig.rootpath), path


def test_hypothesis_storage_is_outside_the_working_tree(pytestconfig: pytest.Config):
    home = storage_directory(intent_to_write=False).path.resolve()
    assert not home.is_relative_to(pytestconfig.rootpath), home
    database = settings().database
    if database is None:
        return  # hypothesis' own CI profile (CI set) keeps no database: nothing is written
    assert isinstance(database, DirectoryBasedExampleDatabase), database
    path = Path(database.path).resolve()
    assert path.is_relative_to(home), path
