"""The README's "Large payloads" block runs as written, storing its extract under the
directory the reader names (here the test's own)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _block() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    found = [block for block in blocks if "FileSystemSerDes(" in block]
    assert len(found) == 1, "the README has one large-payloads block"
    return found[0]


def test_the_large_payloads_block_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LARGE_PAYLOADS_DIR", str(tmp_path))
    namespace: dict[str, object] = {"__name__": "readme_large_payloads"}
    exec(compile(_block(), "README.md large payloads", "exec"), namespace)

    step = namespace["step"]
    pointer = json.loads(step.raw_result)  # type: ignore[attr-defined]
    assert Path(pointer["file"]).is_relative_to(tmp_path)
    assert capsys.readouterr().out.strip() == "{'report_id': 'r-1', 'row_count': 5000}"
