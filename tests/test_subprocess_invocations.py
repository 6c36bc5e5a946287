"""Invocations in a subprocess: real crashes, the Lambda function timeout, run bounds.

docs/decisions.md, "What a crash is", "Interrupted at-most-once steps", "Exhausted invocation
retries" and "Runner time: real-time bounds, virtual execution clock". Each handler lives at
module level: the sandbox process imports it by module path, as Lambda imports a handler.
Once-only behaviour (crash on the first run, succeed after) is keyed on a file the test
names in the input, because nothing else survives a process that dies.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import StepInterruptedError, durable_execution
from aws_durable_execution_sdk_python.config import Duration, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    OperationAction,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin
from aws_durable_execution_sdk_python.retries import RetryPresets, RetryStrategyConfig
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
)

# Long enough for any machine to deliver a START the SDK sends on its own.
PATIENCE = 10.0


def first_time(event: dict[str, Any]) -> bool:
    """True once per test: creates the flag file the test named in the input."""
    flag = Path(event["flag"])
    if flag.exists():
        return False
    flag.write_text("ran")
    return True


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


def invocation_errors(result: Any) -> list[dict[str, Any] | None]:
    return [
        (inv.get("Error") or {}).get("Payload") if isinstance(inv, dict) else None
        for inv in result.invocations
    ]


def run(handler: Any, event: dict[str, Any] | None = None, **options: Any) -> Any:
    with DurableFunctionTestRunner(handler, invocation_mode="subprocess", **options) as runner:
        return runner.run(input=event or {}, timeout=10)


def live_children() -> list[int]:
    """Child processes of this process (sandboxes would show up here if left behind)."""
    task = Path(f"/proc/{os.getpid()}/task")
    children: list[int] = []
    for thread in task.iterdir():
        text = (thread / "children").read_text().split()
        children.extend(int(pid) for pid in text)
    return children


@pytest.fixture(autouse=True)
def nothing_left_behind() -> Any:
    """After every test here: no sandbox or child process, no new thread."""
    threads = set(threading.enumerate())
    yield
    assert live_children() == []
    assert multiprocessing.active_children() == []
    assert set(threading.enumerate()) <= threads


# -- handlers ------------------------------------------------------------------------------


@durable_execution
def two_steps(event: Any, context: Any) -> dict[str, Any]:
    pid = context.step(lambda _: os.getpid(), name="pid")
    second = context.step(lambda _: event.get("n", 0) + 1, name="second")
    return {"pid": pid, "second": second}


@durable_execution
def exits_in_at_most_once_step(event: Any, context: Any) -> str:
    def pay(_: Any) -> str:
        if first_time(event):
            os._exit(3)
        return "paid"

    retry = RetryPresets.none() if event.get("no_retry") else RetryStrategyConfig(max_attempts=2)
    try:
        return context.step(
            pay, name="pay", config=StepConfig(retry, StepSemantics.AT_MOST_ONCE_PER_RETRY)
        )
    except StepInterruptedError as error:
        return f"interrupted {error.step_id is not None}"


@durable_execution
def segfaults_once(event: Any, context: Any) -> str:
    def body(_: Any) -> str:
        if first_time(event):
            ctypes.string_at(0)  # reads address 0: a real segmentation fault
            os.kill(os.getpid(), signal.SIGSEGV)  # in case the platform maps page 0
        return "survived"

    return context.step(body, name="fragile")


@durable_execution
def stuck_once(event: Any, context: Any) -> str:
    def body(_: Any) -> str:
        if first_time(event):
            while True:
                pass
        return "unstuck"

    context.step(lambda _: "before", name="before")
    return context.step(body, name="spin")


@durable_execution
def spins_forever(event: Any, context: Any) -> str:
    def body(_: Any) -> str:
        while True:
            pass

    # At most once: its START is checkpointed before the body runs, so the service knows.
    config = StepConfig(RetryPresets.none(), StepSemantics.AT_MOST_ONCE_PER_RETRY)
    return context.step(body, name="spin", config=config)


@durable_execution
def always_exits(event: Any, context: Any) -> None:
    raise SystemExit(7)  # the child exits with the code, as the Lambda runtime would


@durable_execution
def exits_in_at_least_once_step_in_child_context(event: Any, context: Any) -> str:
    def work(_: Any) -> str:
        if first_time(event):
            # Block until the test says the service has the step's START, then die.
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(PATIENCE)
                sock.connect(event["socket"])
                sock.recv(1)
            os._exit(3)
        return "done"

    return context.run_in_child_context(lambda child: child.step(work, name="work"), name="box")


# -- the happy path ------------------------------------------------------------------------


@pytest.mark.durable_execution(handler=two_steps, invocation_mode="subprocess")
def test_the_marker_runs_the_handler_in_another_process_with_the_same_history(
    durable_runner: Any,
) -> None:
    remote = durable_runner.run(input={"n": 41}, timeout=10)
    with DurableFunctionTestRunner(two_steps) as runner:
        local = runner.run(input={"n": 41}, timeout=10)

    assert durable_runner.invocation_mode == "subprocess"
    assert remote.status is InvocationStatus.SUCCEEDED, remote.error
    assert remote.result["pid"] != os.getpid() == local.result["pid"]
    assert remote.result["second"] == local.result["second"] == 42
    assert event_types(remote) == event_types(local)


# -- crashes -------------------------------------------------------------------------------


def test_os_exit_in_at_most_once_step_is_interrupted_through_the_retry_strategy(
    tmp_path: Path,
) -> None:
    result = run(exits_in_at_most_once_step, {"flag": str(tmp_path / "flag")})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "paid"  # the retry after the interruption
    crash = invocation_errors(result)[0]
    assert crash is not None
    assert crash["ErrorType"] == "Runtime.ExitError"
    assert crash["ErrorMessage"].endswith("Runtime exited with error: exit status 3")
    assert event_types(result).count("StepStarted") == 2  # the interrupted attempt, the retry


def test_segfault_is_a_crash_naming_the_signal(tmp_path: Path) -> None:
    result = run(segfaults_once, {"flag": str(tmp_path / "flag")})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "survived"
    crash = invocation_errors(result)[0]
    assert crash is not None
    assert crash["ErrorType"] == "Runtime.ExitError"
    assert "signal: segmentation fault (SIGSEGV)" in crash["ErrorMessage"]


class StartWatcher:
    """Wraps the runner's client; once the service accepted the START of ``watch``, answers
    the step body waiting on a Unix socket, so the body dies only after that (no sleeps)."""

    def __init__(self, inner: Any, watch: str, path: str) -> None:
        self.inner = inner
        self.watch = watch
        self.started = threading.Event()
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.settimeout(PATIENCE)
        self.thread = threading.Thread(target=self._answer)
        self.thread.start()

    def _answer(self) -> None:
        with self.listener, self.listener.accept()[0] as connection:
            if self.started.wait(PATIENCE):
                connection.sendall(b"x")

    def checkpoint(
        self, arn: str, token: str, updates: list[OperationUpdate], client_token: str | None = None
    ) -> CheckpointOutput:
        output = self.inner.checkpoint(arn, token, updates, client_token)
        if any(u.name == self.watch and u.action is OperationAction.START for u in updates):
            self.started.set()
        return output

    def get_execution_state(
        self, arn: str, token: str, next_marker: str, max_items: int = 1000
    ) -> StateOutput:
        return self.inner.get_execution_state(arn, token, next_marker, max_items)


# Relies on the SDK sending a pending at-least-once START while the step runs (the start
# flush window); without it the START would only travel with the step's SUCCEED.
def test_os_exit_in_at_least_once_step_in_child_context_reruns_it(tmp_path: Path) -> None:
    path = str(tmp_path / "s")
    handler = exits_in_at_least_once_step_in_child_context
    with DurableFunctionTestRunner(handler, invocation_mode="subprocess") as runner:
        watcher = StartWatcher(runner.client, "work", path)
        runner.client = watcher  # type: ignore[assignment]
        try:
            result = runner.run(input={"flag": str(tmp_path / "flag"), "socket": path}, timeout=30)
        finally:
            watcher.started.set()
            watcher.thread.join()

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "done"
    assert event_types(result) == [
        "ExecutionStarted",
        "ContextStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepSucceeded",
        "ContextSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    crash = invocation_errors(result)[0]
    assert crash is not None
    assert crash["ErrorType"] == "Runtime.ExitError"


def test_crashing_every_time_exhausts_invocation_retries_as_unhandled_error() -> None:
    result = run(always_exits, invocation_retries=2)

    assert result.status is InvocationStatus.FAILED
    assert result.invocation_count == 3
    assert result.error is not None
    assert result.error["error_type"] == "Runtime.ExitError"
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"
    assert "exit status 7" in str(result.error["message"])


# -- the Lambda function timeout and the run's bound ---------------------------------------


def test_step_stuck_in_a_loop_is_killed_at_the_invocation_timeout(tmp_path: Path) -> None:
    result = run(stuck_once, {"flag": str(tmp_path / "flag")}, invocation_timeout=0.2)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "unstuck"
    timed_out = invocation_errors(result)[0]
    assert timed_out is not None
    assert timed_out["ErrorType"] == "Sandbox.Timedout"
    assert timed_out["ErrorMessage"].endswith("Task timed out after 0.20 seconds")
    assert result.get_step("before").status.value == "SUCCEEDED"  # not lost by the kill


def test_run_timeout_kills_the_child_and_names_the_running_step() -> None:
    with DurableFunctionTestRunner(spins_forever, invocation_mode="subprocess") as runner:
        with pytest.raises(TimeoutError, match=r"1\.5 real seconds.*step 'spin'.*killed"):
            runner.run(input={}, timeout=1.5)
        assert live_children() == []  # nothing outlives the run, even before close()


# -- handlers the sandbox cannot import ----------------------------------------------------


def test_handler_defined_in_a_function_is_refused_at_once() -> None:
    @durable_execution
    def local_handler(event: Any, context: Any) -> None:
        return None

    with pytest.raises(DurableFunctionsTestError, match=r"defined inside a function"):
        DurableFunctionTestRunner(local_handler, invocation_mode="subprocess")


def test_lambda_handler_is_refused_at_once() -> None:
    handler = durable_execution(lambda event, context: None)

    with pytest.raises(DurableFunctionsTestError, match=r"<lambda>.*cannot import it"):
        DurableFunctionTestRunner(handler, invocation_mode="subprocess")


def test_handler_created_at_run_time_names_the_missing_attribute() -> None:
    def make() -> Any:
        def created(event: Any, context: Any) -> str:
            return "x"

        created.__qualname__ = "not_defined_here"
        return durable_execution(created)

    start = time.monotonic()
    with (
        DurableFunctionTestRunner(make(), invocation_mode="subprocess") as runner,
        pytest.raises(DurableFunctionsTestError, match=r"cannot be imported.*not_defined_here"),
    ):
        runner.run(input={}, timeout=10)
    assert time.monotonic() - start < 5  # at once, not after retries


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"invocation_mode": "thread"}, r"invocation_mode='thread': expected one of"),
        ({"invocation_mode": "subprocess", "invocation_timeout": -1}, r"invocation_timeout"),
        ({"invocation_mode": "subprocess", "invocation_timeout": "1"}, r"invocation_timeout"),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(DurableFunctionsTestError, match=message):
        DurableFunctionTestRunner(two_steps, **options)


# -- options that must reach the child -----------------------------------------------------


@durable_execution
def clock_after_a_day(event: Any, context: Any) -> dict[str, float]:
    before = context.step(lambda _: time.time(), name="before")
    context.wait(Duration.from_days(1), name="a day")
    after = context.step(lambda _: time.time(), name="after")
    return {
        "elapsed": after - before,
        "remaining_ms": context.lambda_context.get_remaining_time_in_millis(),
    }


@durable_execution
def doubles(event: Any, context: Any) -> int:
    return int(context.step(lambda _: event["n"] * 2, name="double"))


@durable_execution
def calls_doubles(event: Any, context: Any) -> int:
    return int(context.invoke("doubler", {"n": 21}, name="call"))


def test_freeze_time_and_the_function_timeout_reach_the_child() -> None:
    result = run(clock_after_a_day, freeze_time=True, invocation_timeout=30)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["elapsed"] >= 86_400  # the virtual clock, through freezegun
    assert 0 < result.result["remaining_ms"] <= 30_000  # counts down from the timeout


def test_a_chained_invoke_target_runs_in_the_sandbox_too() -> None:
    with DurableFunctionTestRunner(calls_doubles, invocation_mode="subprocess") as runner:
        runner.register_durable_function("doubler", doubles)
        result = runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 42


# -- the run's bound in-process ------------------------------------------------------------


@durable_execution
def waits_for_approval(event: Any, context: Any) -> Any:
    context.step(lambda _: "ready", name="prepare")
    return context.create_callback(name="approval").result()


def test_in_process_run_bound_names_the_operation_it_waited_in() -> None:
    with DurableFunctionTestRunner(waits_for_approval) as runner:
        arn = runner.run_async(input={})
        with pytest.raises(TimeoutError, match=r"0 real seconds.*callback 'approval'"):
            runner.wait_for_result(arn, timeout=0)


class Quiet(DurableInstrumentationPlugin):
    def on_operation_end(self, info: Any) -> None:
        return None


@durable_execution(plugins=[Quiet()])
def plugged_and_crashing(event: Any, context: Any) -> int:
    def two(_: Any) -> int:
        if first_time(event):
            os._exit(4)
        return 2

    return int(context.step(lambda _: 1, name="one") + context.step(two, name="two"))


def test_plugin_hook_calls_in_the_child_are_recorded_even_before_a_crash(tmp_path: Path) -> None:
    result = run(plugged_and_crashing, {"flag": str(tmp_path / "flag")})

    assert result.result == 3
    hooks = [event.hook for event in result.hook_events]
    assert hooks.count("on_invocation_start") == 2  # the crashed invocation and the next
    assert [info.name for info in result.hooks("on_operation_end")] == ["one", "two"]


# -- a runner that dies leaves nothing behind ----------------------------------------------

SCRIPT = """
import os, sys
from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


@durable_execution
def spin(event, context):
    def body(_):
        print(os.getppid(), os.getpid(), flush=True)
        while True:
            pass

    return context.step(body, name="spin")


if __name__ == "__main__":  # the sandbox loads this file under another name
    runner = DurableFunctionTestRunner(spin, invocation_mode="subprocess")
    runner.run(input={}, timeout=60)
"""


def wait_until_exited(pids: list[int]) -> list[int]:
    """The pids still alive after waiting on their pidfds (no polling), PATIENCE at most."""
    fds = {os.pidfd_open(pid): pid for pid in pids}
    try:
        deadline = time.monotonic() + PATIENCE
        pending = set(fds)
        while pending and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(list(pending), [], [], left)
            pending -= set(ready)
        return [fds[fd] for fd in pending]
    finally:
        for fd in fds:
            os.close(fd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfds")
def test_a_killed_runner_takes_its_sandbox_and_child_with_it(tmp_path: Path) -> None:
    script = tmp_path / "spin_script.py"
    script.write_text(SCRIPT)
    with subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True
    ) as runner_process:
        assert runner_process.stdout is not None
        ready, _, _ = select.select([runner_process.stdout], [], [], PATIENCE)
        assert ready, "the step never started"
        sandbox, child = (int(pid) for pid in runner_process.stdout.readline().split())
        runner_process.kill()
        runner_process.wait()

    assert wait_until_exited([sandbox, child]) == []
