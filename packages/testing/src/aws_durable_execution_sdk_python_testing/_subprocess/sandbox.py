"""The runner's side of subprocess invocations: start the sandbox, fork, serve, kill, reap.

The service, the virtual clock and the history stay in the runner's process; a forked child
runs the handler and reaches the service only through ``DurableServiceClient`` calls sent
over a socket, which this module answers with the runner's own client. How the child ends
is the invocation's outcome: it returned or raised (a message says so), it died (exit status
or signal: ``Runtime.ExitError``, docs/decisions.md "What a crash is"), or it ran past the
function timeout and was killed (``Sandbox.Timedout``). Waiting is a blocking socket read
with a timeout, never polling. Past the run's own real-time bound the child is killed and
:class:`RunDeadlineExceeded` stops the run.
"""

from __future__ import annotations

import contextlib
import datetime
import enum
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import BotoClientError
from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationInput,
    DurableServiceClient,
    ErrorObject,
    OperationUpdate,
)
from aws_durable_execution_sdk_python.retries import current_random
from aws_durable_execution_sdk_python_testing._subprocess.hooks import decode_hook_event
from aws_durable_execution_sdk_python_testing._subprocess.target import target_of
from aws_durable_execution_sdk_python_testing._subprocess.wire import WireClosed, receive, send
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError
from aws_durable_execution_sdk_python_testing.hooks import HookEvent

__all__ = ["InvocationMode", "Outcome", "OutcomeKind", "RunDeadlineExceeded", "Sandbox"]

_CHILD_MODULE = "aws_durable_execution_sdk_python_testing._subprocess.child"


class InvocationMode(enum.StrEnum):
    """Where the runner runs each invocation of a handler."""

    IN_PROCESS = "in-process"
    SUBPROCESS = "subprocess"

    @classmethod
    def parse(cls, value: Any) -> InvocationMode:
        """Raises: DurableFunctionsTestError naming the choices."""
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(repr(mode.value) for mode in cls)
            raise DurableFunctionsTestError(
                f"invocation_mode={value!r}: expected one of {choices}"
            ) from None


class OutcomeKind(enum.Enum):
    RETURNED = "returned"  # the handler returned an invocation output
    RAISED = "raised"  # an exception escaped the handler: the invocation failed
    CRASHED = "crashed"  # the process died: Runtime.ExitError
    TIMED_OUT = "timed-out"  # killed at the function timeout: Sandbox.Timedout


@attrs.frozen
class Outcome:
    kind: OutcomeKind
    output: dict[str, Any] | None = None
    error: ErrorObject | None = None


class RunDeadlineExceeded(Exception):
    """The run's real-time bound passed while a child ran; the child has been killed."""


def _exit_message(request_id: str, exit_code: int) -> str:
    if exit_code < 0:
        number = -exit_code
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        text = (signal.strsignal(number) or name).lower()
        detail = f"signal: {text} ({name})"
    else:
        detail = f"exit status {exit_code}"
    return f"RequestId: {request_id} Error: Runtime exited with error: {detail}"


class Sandbox:
    """A warm interpreter that forks one child per invocation; started on first use.

    ``stop()`` kills it (and any child still running); the runner stops it at the end of
    every run, so no process outlives the call that needed it.
    """

    def __init__(self, invocation_timeout: float, freeze_time: bool) -> None:
        self.invocation_timeout = invocation_timeout
        self.freeze_time = freeze_time
        self.run_deadline: float | None = None  # real monotonic seconds; set per run
        # Where the plugin hook calls the child reports go (result.hook_events), if recorded.
        self.hook_sink: list[HookEvent] | None = None
        # The runner's override of the handler's start_flush_window, for each invocation.
        self.start_flush_window: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None

    # -- lifetime ---------------------------------------------------------------------

    def _start(self) -> socket.socket:
        if self._control is not None:
            return self._control
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", _CHILD_MODULE, str(theirs.fileno()), str(os.getpid())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._control = ours
        self._ask({"op": "setup", "sys_path": list(sys.path)})
        return ours

    def stop(self) -> None:
        """Kill the sandbox process and wait for it; safe to call when never started."""
        control, process = self._control, self._process
        self._control = self._process = None
        if control is not None:
            control.close()
        if process is not None:
            # Nothing in the sandbox needs a clean exit: its children are already reaped.
            # Killing is immediate, where waiting for it to notice the closed socket would
            # need a timed wait.
            process.kill()
            process.wait()

    def _ask(self, message: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        control = self._control
        assert control is not None
        try:
            send(control, message, fds)
            return receive(control)
        except (WireClosed, BrokenPipeError) as error:
            self.stop()
            raise DurableFunctionsTestError(
                "the subprocess sandbox died unexpectedly; see its output above"
            ) from error

    # -- one invocation ---------------------------------------------------------------

    def invoke(
        self,
        handler: Callable[..., Any],
        event: DurableExecutionInvocationInput,
        context: Any,
        client: DurableServiceClient,
        now: datetime.datetime,
    ) -> Outcome:
        """Run ``handler`` once in a forked child and return how it ended.

        Raises:
            DurableFunctionsTestError: the handler cannot be imported in the sandbox.
            RunDeadlineExceeded: the run's real-time bound passed first.
        """
        target = target_of(handler)
        self._start()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        started = time.monotonic()
        request = {
            "op": "fork",
            "target": target.to_dict(),
            "event": event.to_json_dict(),
            "context": [
                context.invoked_function_arn,
                context.function_name,
                context.aws_request_id,
            ],
            "timeout": self.invocation_timeout,
            "seed": current_random().getrandbits(64),
            "frozen_at": now.isoformat() if self.freeze_time else None,
            "record_hooks": self.hook_sink is not None,
            "start_flush_window": self.start_flush_window,
        }
        try:
            answer = self._ask(request, [theirs.fileno()])
        finally:
            theirs.close()
        if answer["op"] == "unimportable":
            ours.close()
            raise DurableFunctionsTestError(
                f"invocation_mode='subprocess': the handler {target.describe()} cannot be "
                f"imported in the sandbox process: {answer['reason']}"
            )
        pid: int = answer["pid"]
        with ours:
            return self._serve(ours, pid, client, context.aws_request_id, started)

    def _serve(
        self,
        sock: socket.socket,
        pid: int,
        client: DurableServiceClient,
        request_id: str,
        started: float,
    ) -> Outcome:
        timeout_at = started + self.invocation_timeout
        deadline = timeout_at if self.run_deadline is None else min(timeout_at, self.run_deadline)
        final: Outcome | None = None
        try:
            while final is None:
                sock.settimeout(max(deadline - time.monotonic(), 0.0) or 1e-6)
                message = receive(sock)
                if message["op"] == "call":
                    send(sock, _answer(client, message))
                elif message["op"] == "hook":
                    if self.hook_sink is not None:
                        self.hook_sink.append(decode_hook_event(message["event"]))
                elif message["op"] == "returned":
                    final = Outcome(OutcomeKind.RETURNED, output=message["output"])
                else:
                    error = ErrorObject.from_dict(message["error"])
                    final = Outcome(OutcomeKind.RAISED, error=error)
        except TimeoutError:
            self._kill(pid)
            self._reap(pid)
            if deadline < timeout_at:
                raise RunDeadlineExceeded() from None
            seconds = f"{self.invocation_timeout:.2f}"
            text = f"RequestId: {request_id} Error: Task timed out after {seconds} seconds"
            return Outcome(OutcomeKind.TIMED_OUT, error=ErrorObject(text, "Sandbox.Timedout"))
        except (WireClosed, OSError):  # the child died: EOF, or a reset while we wrote
            exit_code = self._reap(pid)
            return Outcome(
                OutcomeKind.CRASHED,
                error=ErrorObject(_exit_message(request_id, exit_code), "Runtime.ExitError"),
            )
        except BaseException:
            self._kill(pid)
            self._reap(pid)
            raise
        self._reap(pid)
        return final

    def _kill(self, pid: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # it may have just exited
            os.kill(pid, signal.SIGKILL)

    def _reap(self, pid: int) -> int:
        exit_code: int = self._ask({"op": "reap", "pid": pid})["exit_code"]
        return exit_code


def _answer(client: DurableServiceClient, message: dict[str, Any]) -> dict[str, Any]:
    """Carry out one service call of the child with the runner's client."""
    arguments = message["arguments"]
    try:
        if message["method"] == "checkpoint":
            output = client.checkpoint(
                arguments["DurableExecutionArn"],
                arguments["CheckpointToken"],
                [OperationUpdate.from_dict(update) for update in arguments["Updates"]],
                arguments.get("ClientToken"),
            )
            value: dict[str, Any] = {
                "CheckpointToken": output.checkpoint_token,
                "NewExecutionState": {
                    "Operations": [op.to_dict() for op in output.new_execution_state.operations],
                    "NextMarker": output.new_execution_state.next_marker,
                },
            }
        else:
            state = client.get_execution_state(
                arguments["DurableExecutionArn"],
                arguments["CheckpointToken"],
                arguments["Marker"],
                arguments["MaxItems"],
            )
            value = {
                "Operations": [op.to_dict() for op in state.operations],
                "NextMarker": state.next_marker,
            }
    except BotoClientError as error:
        return {
            "error": {
                "class": type(error).__name__,
                "message": error.message,
                "category": error.error_category.value,
                "error": error.error,
                "metadata": error.response_metadata,
            }
        }
    return {"value": value}
