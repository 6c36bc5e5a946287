"""Fixtures shared by the SDK's test modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lambda_stubs import StubbedLambda


@pytest.fixture
def aws() -> Iterator[StubbedLambda]:
    stubbed = StubbedLambda()
    with stubbed.stubber:
        yield stubbed
        stubbed.stubber.assert_no_pending_responses()
    assert stubbed.violations == []
