"""Fixtures for the testing package's tests."""

from __future__ import annotations

import threading

import pytest


@pytest.fixture
def no_threads_left_running():
    """The runner is single-threaded: no test may leave a thread behind."""
    before = threading.active_count()
    yield
    assert threading.active_count() == before
