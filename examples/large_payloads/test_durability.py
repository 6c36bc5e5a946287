"""The sales report survives a crash at every checkpoint boundary: a crash after the
extract's file is written but before its checkpoint re-runs the step, which writes the same
file again, and every run's summary is the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.large_payloads.workflow import PAYLOAD_DIR_VARIABLE, handler


def test_the_report_survives_a_crash_at_every_checkpoint_boundary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PAYLOAD_DIR_VARIABLE, str(tmp_path))
    report = assert_durable(handler, {"report_id": "r-1", "rows": 3000})

    assert report.reference.result["rows"] == 3000
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
    assert not [path for path in tmp_path.rglob("*") if path.name.endswith(".tmp")]
