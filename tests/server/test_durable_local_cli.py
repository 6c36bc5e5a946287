"""``durable-local``: serve in a real process, then history and callback against it."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing._local_cli import main
from aws_durable_execution_sdk_python_testing._server.invokers import lambda_client
from aws_durable_execution_sdk_python_testing.runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

_HERE = Path(__file__).parent
_WORKFLOWS = str(_HERE / "server_workflows.py")
_CLI = [
    sys.executable,
    "-c",
    "import sys; from aws_durable_execution_sdk_python_testing._local_cli import main; "
    "sys.exit(main())",
]


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [
            *_CLI,
            "serve",
            "--port",
            "0",
            "--skip-time",
            f"{_WORKFLOWS}:greet",
            f"wait={_WORKFLOWS}:approval",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    banner = process.stderr.readline()
    found = re.search(r"at (http://127\.0\.0\.1:\d+)", banner)
    assert found, banner + process.stderr.read()
    try:
        yield process, found.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _client(endpoint: str) -> Any:
    return lambda_client(endpoint)


def test_serve_history_callback_and_ctrl_c(
    served: tuple[subprocess.Popen[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    process, endpoint = served
    client = _client(endpoint)
    response = client.invoke(FunctionName="greet", Payload=b'{"name": "cli"}')
    assert json.loads(response["Payload"].read()) == {"greeting": "hello CLI"}
    arn = response["DurableExecutionArn"]

    assert main(["history", arn, "--endpoint", endpoint]) == 0
    timeline = capsys.readouterr().out
    assert "StepSucceeded" in timeline and "shout" in timeline and "ExecutionSucceeded" in timeline

    waiting = client.invoke(FunctionName="wait", Payload=b'{"id": 1}', InvocationType="Event")
    waiting_arn = waiting["DurableExecutionArn"]
    callback_id = _callback_id(client, waiting_arn)
    assert main(["callback", callback_id, "heartbeat", "--endpoint", endpoint]) == 0
    assert main(["callback", callback_id, "success", "--result", "ok", "--endpoint", endpoint]) == 0
    name = waiting_arn.split("/durable-execution/")[1].split("/")[0]
    done = client.invoke(FunctionName="wait", Payload=b'{"id": 1}', DurableExecutionName=name)
    assert json.loads(done["Payload"].read()) == {"approved": "ok", "id": 1}
    client.close()

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    assert process.stderr is not None
    log = process.stderr.read()
    assert re.search(r"POST Invoke greet -> 200 \(\d+\.\d ms\)", log), log
    assert "SendDurableExecutionCallbackSuccess" in log
    assert "durable-local: stopped" in log


def _callback_id(client: Any, arn: str) -> str:
    # The Event invoke's first invocation runs in the server process: the cloud runner
    # polls its history, with a backoff, until the callback is there.
    runner = DurableFunctionCloudTestRunner("wait", client, poll_interval=0.2)
    return runner.wait_for_callback(arn, "approve", timeout=30)


def test_errors_are_one_readable_line(
    served: tuple[subprocess.Popen[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, endpoint = served
    missing = "arn:aws:lambda:us-east-1:123456789012:function:greet:$LATEST/durable-execution/x/y"
    assert main(["history", missing, "--endpoint", endpoint]) == 1
    assert capsys.readouterr().err.strip() == (
        f"durable-local history: ResourceNotFoundException: Execution not found: {missing}"
    )
    assert main(["callback", "bm8tc3VjaA==", "success", "--endpoint", endpoint]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err


def test_an_unreachable_endpoint_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "arn:x", "--endpoint", "http://127.0.0.1:9"]) == 1
    assert "Could not connect" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve", "--store", "redis:x"], "--store"),
        (["serve", "nosuchmodule:handler"], "cannot import 'nosuchmodule'"),
        (["serve", "greet"], "expected MODULE:HANDLER"),
        (["callback", "abc=", "failure"], "needs --error-message"),
        (["run", f"{_WORKFLOWS}:greet", "--input", "{bad"], "not JSON"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_a_port_in_use_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with DurableLocalServer() as taken:
        port = taken.endpoint_url.rsplit(":", 1)[1]
        with pytest.raises(SystemExit) as caught:
            main(["serve", "--port", port])
    assert caught.value.code == 2
    assert "choose another --port" in capsys.readouterr().err


def test_run_runs_a_handler_on_the_virtual_clock(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", f"{_WORKFLOWS}:greet", "--input", '{"name": "vc"}']) == 0
    out = capsys.readouterr().out
    assert "status: SUCCEEDED" in out and '"hello VC"' in out


@pytest.mark.parametrize("command", ["serve", "run", "history", "callback"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main([command, "--help"])
    assert caught.value.code == 0
    assert "usage: durable-local " + command in capsys.readouterr().out


def test_a_long_call_shows_progress_and_leaves_no_thread(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from aws_durable_execution_sdk_python_testing._local_cli import _progress

    shown = threading.Event()

    def status() -> str:
        shown.set()
        return "fetched 3 events"

    with _progress(status, after=0.01):
        assert shown.wait(10)  # the call "runs" until progress has been shown once
    assert "… fetched 3 events (" in capsys.readouterr().err
    assert not [t for t in threading.enumerate() if t.name == "durable-local-progress"]


def test_durable_local_is_an_installed_console_script() -> None:
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "durable-local"]
    assert script.load() is main
