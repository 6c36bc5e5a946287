"""The README's cloud-runner block runs as written, against a local server standing in for
AWS: only ``AWS_ENDPOINT_URL_LAMBDA`` tells boto3 (and so the runner) where AWS is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from examples.order_processing.workflow import handler

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_cloud_runner_block_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    found = [block for block in blocks if "DurableFunctionCloudTestRunner(" in block]
    assert len(found) == 1, "the README has one cloud-runner block"
    with DurableLocalServer({"order-processing-prod": handler}, skip_time=True) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", server.endpoint_url)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
        exec(compile(found[0], "README.md cloud runner", "exec"), {"__name__": "readme_cloud"})
    assert capsys.readouterr().out.splitlines() == ["SUCCEEDED 3", "4"]
