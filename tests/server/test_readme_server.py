"""The README's local-endpoint block runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_local_endpoint_block_runs(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    found = [block for block in blocks if "DurableLocalServer(" in block]
    assert len(found) == 1, "the README has one local-endpoint block"
    exec(compile(found[0], "README.md local endpoint", "exec"), {"__name__": "readme_server"})
    assert capsys.readouterr().out.splitlines() == [
        "{'shipped': 'label-7'}",
        "SUCCEEDED",
        "ResourceNotFoundException",
    ]
