"""Conformance tests without their data: skipped on a developer's fresh clone, failed in CI.

The requirement files live outside the repository (``DURABLE_CONFORMANCE_DIR``). A clone
with nothing beside it must still pass its test command, so the tests that read them skip,
naming the variable; in CI (``CI`` set) missing data is a broken setup and fails loudly.
"""

from __future__ import annotations

import os

import pytest

from .harness import missing_data_reason, needs_data


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_data_reason()
    if reason is None or os.environ.get("CI"):
        return
    for item in items:
        if needs_data(item):
            item.add_marker(pytest.mark.skip(reason=reason), append=False)


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = missing_data_reason()
    if reason is not None and os.environ.get("CI") and needs_data(item):
        pytest.fail(f"{reason} (CI is set: the conformance data must be there)", pytrace=False)
