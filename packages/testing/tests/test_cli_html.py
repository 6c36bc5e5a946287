"""``run ... --html PATH``: the HTML timeline next to the printed one, exit codes unchanged."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from aws_durable_execution_sdk_python_testing._cli import main

HANDLERS = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution


@durable_execution
def greet(event, context: DurableContext):
    return context.step(lambda _: f"hello {event['name']}", name="greet")


@durable_execution
def waits_for_approval(event, context: DurableContext):
    return context.create_callback(name="approval").result()


@durable_execution
def fails(event, context: DurableContext):
    context.step(lambda _: 1, name="first")
    raise RuntimeError("boom")
"""


@pytest.fixture
def handlers(tmp_path: Path) -> Path:
    path = tmp_path / "cli_html_handlers.py"
    path.write_text(HANDLERS)
    return path


def _operation_ids(page: str) -> set[str]:
    match = re.search(r"<svg\b.*</svg>", page, re.DOTALL)
    assert match
    svg = ET.fromstring(match.group(0))
    return {e.attrib["data-operation-id"] for e in svg.iter() if "data-operation-id" in e.attrib}


@pytest.mark.parametrize(
    ("handler", "code", "lanes"),
    [
        pytest.param("greet", 0, 2, id="succeeded"),
        pytest.param("fails", 1, 2, id="failed"),
        pytest.param("waits_for_approval", 3, 2, id="stuck"),
    ],
)
def test_html_is_written_whatever_the_outcome_and_the_exit_code_is_unchanged(
    handlers: Path, tmp_path: Path, capsys, handler: str, code: int, lanes: int
):
    out = tmp_path / "run.html"
    assert (
        main(["run", f"{handlers}:{handler}", "--input", '{"name": "ada"}', "--html", str(out)])
        == code
    )
    page = out.read_text(encoding="utf-8")
    assert len(_operation_ids(page)) == lanes
    assert f"timeline: {out}" in capsys.readouterr().err


def test_without_html_nothing_is_written(handlers: Path, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", f"{handlers}:greet", "--input", '{"name": "ada"}']) == 0
    assert not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize(
    "where",
    [
        pytest.param("missing-dir/run.html", id="missing-directory"),
        pytest.param(".", id="a-directory"),
        pytest.param("", id="empty"),
    ],
)
def test_a_path_that_cannot_be_written_is_a_usage_error(
    handlers: Path, tmp_path: Path, capsys, where: str
):
    target = str(tmp_path / where) if where else ""
    with pytest.raises(SystemExit) as exit_info:
        main(["run", f"{handlers}:greet", "--input", '{"name": "ada"}', "--html", target])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--html" in err
    assert "Traceback" not in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_a_read_only_directory_is_a_usage_error(handlers: Path, tmp_path: Path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(SystemExit) as exit_info:
            main(["run", f"{handlers}:greet", "--html", str(locked / "run.html")])
    finally:
        locked.chmod(0o700)
    assert exit_info.value.code == 2
    assert "cannot write" in capsys.readouterr().err


def test_a_write_that_fails_late_exits_2_after_the_run(
    handlers: Path, tmp_path: Path, capsys, monkeypatch
):
    out = tmp_path / "run.html"

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr("aws_durable_execution_sdk_python_testing._cli.save_timeline", refuse)
    code = main(["run", f"{handlers}:greet", "--input", '{"name": "ada"}', "--html", str(out)])
    captured = capsys.readouterr()
    assert code == 2
    assert "status: SUCCEEDED" in captured.out
    assert "cannot write the timeline" in captured.err
