"""Tests of the sales report: a 450 KB extract checkpointed as a pointer with a preview.

``LARGE_PAYLOADS_DIR`` points at the test's own directory (``tmp_path``), where the mount
would be in production.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from examples.large_payloads.workflow import PAYLOAD_DIR_VARIABLE, REGIONS, handler, sale

LIMIT = 256 * 1024


@pytest.fixture(autouse=True)
def payload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(PAYLOAD_DIR_VARIABLE, str(tmp_path))
    return tmp_path


def expected_summary(report_id: str, rows: int) -> dict:
    by_region = dict.fromkeys(REGIONS, 0)
    for row in map(sale, range(rows)):
        by_region[row["region"]] += row["amount_cents"]
    total = sum(by_region.values())
    return {"report_id": report_id, "rows": rows, "total_cents": total, "by_region": by_region}


@pytest.mark.parametrize("invocation_mode", ["in-process", "subprocess"])
def test_a_large_extract_is_stored_in_a_file(payload_dir: Path, invocation_mode: str) -> None:
    with DurableFunctionTestRunner(handler, invocation_mode=invocation_mode) as runner:
        result = runner.run(input={"report_id": "r-1", "rows": 3000}, timeout=60)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == expected_summary("r-1", 3000)
    assert result.invocation_count == 2  # summarise read the rows back after the wait

    extract = result.get_step("extract_sales")
    pointer = json.loads(extract.raw_result)
    assert set(pointer) == {"file", "preview"}
    assert len(extract.raw_result.encode()) <= 1024 < LIMIT
    stored = Path(pointer["file"])
    assert stored.is_relative_to(payload_dir)
    assert stored.stat().st_size > LIMIT  # it could not have been checkpointed inline
    assert extract.result["rows"][2999] == sale(2999)  # the view loads the file


def test_the_preview_shows_the_first_rows_with_emails_masked() -> None:
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={"report_id": "r-2", "rows": 3000}, timeout=60)

    preview = result.get_step("extract_sales").preview
    assert preview is not None
    assert preview["report_id"] == "r-2"
    assert preview["row_count"] == 3000
    assert preview["rows"][0] == {**sale(0), "email": "***"}
    assert len(json.dumps(preview, separators=(",", ":")).encode()) <= 512
    assert "@example.com" not in result.format_timeline()
    assert "preview {" in result.format_timeline()


def test_a_small_extract_stays_inline(payload_dir: Path) -> None:
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={"report_id": "r-3", "rows": 10}, timeout=60)

    assert result.result == expected_summary("r-3", 10)
    assert set(json.loads(result.get_step("extract_sales").raw_result)) == {"data"}
    assert list(payload_dir.rglob("*.json")) == []
