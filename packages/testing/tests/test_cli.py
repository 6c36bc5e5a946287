"""``python -m aws_durable_execution_sdk_python_testing run``: outcomes and exit codes."""

from __future__ import annotations

import subprocess
import sys
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
    raise RuntimeError("boom")


def undecorated(event, context):
    return "plain"
"""


@pytest.fixture
def handlers(tmp_path: Path) -> Path:
    path = tmp_path / "cli_handlers.py"
    path.write_text(HANDLERS)
    return path


def test_a_successful_run_prints_the_result_and_exits_0(handlers: Path, capsys):
    code = main(["run", f"{handlers}:greet", "--input", '{"name": "ada"}'])
    out = capsys.readouterr().out
    assert code == 0
    assert "status: SUCCEEDED" in out
    assert 'result: "hello ada"' in out


def test_a_failed_execution_exits_1(handlers: Path, capsys):
    code = main(["run", f"{handlers}:fails"])
    out = capsys.readouterr().out
    assert code == 1
    assert "status: FAILED" in out
    assert "RuntimeError: boom" in out


def test_a_stuck_execution_prints_what_it_waits_for_without_a_traceback(handlers: Path, capsys):
    code = main(["run", f"{handlers}:waits_for_approval"])
    captured = capsys.readouterr()
    assert code == 3
    assert "cannot make progress" in captured.err
    assert "callback 'approval'" in captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize("text", ["{not json", "hello", "{'a': 1}", ""])
def test_input_that_is_not_json_is_a_usage_error(handlers: Path, capsys, text: str):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", f"{handlers}:greet", "--input", text])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err
    assert "argument --input: not JSON" in err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("{handlers}", "expected MODULE:HANDLER", id="no-handler"),
        pytest.param("{handlers}:missing", "has no attribute 'missing'", id="no-attribute"),
        pytest.param("no_such_module_xyz:handler", "cannot import", id="no-module"),
        pytest.param("{handlers}:undecorated", "@durable_execution", id="undecorated"),
    ],
)
def test_bad_targets_are_usage_errors(handlers: Path, capsys, target: str, message: str):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", target.format(handlers=handlers)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_the_module_entry_point_exits_with_the_stuck_code(handlers: Path):
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "aws_durable_execution_sdk_python_testing",
            "run",
            f"{handlers}:waits_for_approval",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 3, completed.stderr
    assert "cannot make progress" in completed.stderr
    assert "Traceback" not in completed.stderr
