"""The sandbox process: a warm interpreter that forks one child per invocation.

Started once with ``python -m aws_durable_execution_sdk_python_testing._subprocess.child FD``
(``FD`` is its end of a Unix socket pair), it imports the SDK and, on demand, the handlers'
modules, then waits. For each invocation the runner sends a fresh socket (passed as a file
descriptor) with the invocation; the sandbox forks, and the forked child runs the handler
against a service client whose calls travel over that socket, while the sandbox reports the
child's pid and, when asked, how it ended (``waitpid``). Forking a warm, single-threaded
interpreter costs a few milliseconds; starting a new one costs a few hundred.

The child ends with ``os._exit``: a ``BaseException`` escaping the handler (``SystemExit``)
exits with its code, exactly as the Lambda runtime would, and the runner reads the exit
status. Nothing of the parent's state runs in the child: no atexit handlers, no finalisers.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from aws_durable_execution_sdk_python.exceptions import (
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
)
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    ErrorObject,
)
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python.plugin import instrument
from aws_durable_execution_sdk_python.retries import use_random
from aws_durable_execution_sdk_python_testing._invocation import LambdaContext
from aws_durable_execution_sdk_python_testing._subprocess.hooks import ForwardingEvents
from aws_durable_execution_sdk_python_testing._subprocess.target import HandlerTarget, load
from aws_durable_execution_sdk_python_testing._subprocess.wire import (
    WireClosed,
    receive,
    receive_with_fds,
    send,
)
from aws_durable_execution_sdk_python_testing.hooks import HookRecorder

__all__ = ["RemoteServiceClient", "main"]

_ERRORS: dict[str, type[CheckpointError] | type[GetExecutionStateError]] = {
    "CheckpointError": CheckpointError,
    "GetExecutionStateError": GetExecutionStateError,
}


class RemoteServiceClient:
    """``DurableServiceClient`` whose calls are answered by the runner's in-memory service.

    One call at a time: the SDK may checkpoint from several threads (map items), and a
    request and its answer must not interleave with another thread's on the socket.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def notify(self, message: dict[str, Any]) -> None:
        """Send a message that needs no answer (a plugin hook call)."""
        with self._lock:
            send(self._sock, message)

    def _call(self, method: str, arguments: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            send(self._sock, {"op": "call", "method": method, "arguments": arguments})
            answer = receive(self._sock)
        failure = answer.get("error")
        if failure is not None:
            kind = _ERRORS[failure["class"]]
            raise kind(
                failure["message"],
                error_category=DurableApiErrorCategory(failure["category"]),
                error=failure.get("error"),
                response_metadata=failure.get("metadata"),
            )
        value: dict[str, Any] = answer["value"]
        return value

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        value = self._call(
            "checkpoint",
            {
                "DurableExecutionArn": durable_execution_arn,
                "CheckpointToken": checkpoint_token,
                "Updates": [update.to_dict() for update in updates],
                "ClientToken": client_token,
            },
        )
        return CheckpointOutput.from_dict(value)

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput:
        value = self._call(
            "get_execution_state",
            {
                "DurableExecutionArn": durable_execution_arn,
                "CheckpointToken": checkpoint_token,
                "Marker": next_marker,
                "MaxItems": max_items,
            },
        )
        return StateOutput.from_dict(value)


class _SandboxContext(LambdaContext):
    """The Lambda context, with the time left before the function timeout kills us.

    The real clock is held on the class, not as a module global, so freezegun (which
    patches the module attributes it finds) cannot stop it (docs/decisions.md, "freezegun
    is opt-in").
    """

    deadline = 0.0
    _monotonic = staticmethod(time.monotonic)

    def start(self, timeout: float) -> None:
        self.deadline = self._monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - self._monotonic()) * 1000))


@contextlib.contextmanager
def _frozen_at(iso: str | None) -> Iterator[None]:
    if iso is None:
        yield
        return
    import freezegun

    with freezegun.freeze_time(iso, tick=True):
        yield


def _run(sock: socket.socket, request: dict[str, Any], handler: Callable[..., Any]) -> NoReturn:
    """Run one invocation in the forked child and report its output; never returns."""
    code = 0
    try:
        client = RemoteServiceClient(sock)
        given = DurableExecutionInvocationInput.from_dict(request["event"])
        event = DurableExecutionInvocationInputWithClient(
            given.durable_execution_arn,
            given.checkpoint_token,
            given.initial_execution_state,
            updated_operation_ids=given.updated_operation_ids,
            service_client=client,
            start_flush_window=request.get("start_flush_window"),
        )
        context = _SandboxContext(*request["context"])
        context.start(request["timeout"])
        hooks: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if request.get("record_hooks"):
            hooks = instrument(HookRecorder(ForwardingEvents(client.notify)))
        with (
            use_random(random.Random(request["seed"])),
            _frozen_at(request.get("frozen_at")),
            hooks,
        ):
            try:
                output = handler(event, context)
            except Exception as error:  # the invocation failed; Lambda would report it
                send(sock, {"op": "raised", "error": ErrorObject.from_exception(error).to_dict()})
            else:
                send(sock, {"op": "returned", "output": output})
    except SystemExit as error:  # the runtime exits with the code, as Lambda's would
        code = error.code if isinstance(error.code, int) else 1
    except WireClosed:
        code = 1  # the runner is gone
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Have Linux kill this process when its parent dies (``prctl(PR_SET_PDEATHSIG)``).

    A runner killed mid-invocation (``kill -9`` of pytest) then leaves neither the sandbox
    nor a child spinning in ``while True`` behind. Elsewhere this is a no-op; a parent that
    died before the request took effect is noticed by comparing parent ids.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _serve(control: socket.socket) -> None:
    handlers: dict[HandlerTarget, Callable[..., Any]] = {}
    while True:
        try:
            request, fds = receive_with_fds(control, 1)
        except WireClosed:
            return
        op = request["op"]
        if op == "setup":
            sys.path[:] = request["sys_path"]
            send(control, {"op": "ready"})
        elif op == "fork":
            target = HandlerTarget.from_dict(request["target"])
            try:
                handler = handlers.get(target) or load(target)
            except BaseException as error:  # an import error of the user's module, any kind
                for fd in fds:
                    os.close(fd)
                reason = "".join(traceback.format_exception_only(type(error), error)).strip()
                send(control, {"op": "unimportable", "reason": reason})
                continue
            handlers[target] = handler
            sandbox = os.getpid()
            # Objects imported so far are never collected in a child: keeping them out of
            # the collector's sight spares the copy-on-write of every page it would touch.
            gc.freeze()
            pid = os.fork()
            if pid == 0:
                _die_with_parent(sandbox)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                control.close()
                _run(socket.socket(fileno=fds[0]), request, handler)
            for fd in fds:
                os.close(fd)
            send(control, {"op": "forked", "pid": pid})
        elif op == "reap":
            _pid, status = os.waitpid(request["pid"], 0)
            send(control, {"op": "reaped", "exit_code": os.waitstatus_to_exitcode(status)})


def main(argv: list[str]) -> None:
    _die_with_parent(int(argv[2]))
    # Ctrl-C reaches the whole process group; the runner handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=int(argv[1]))
    try:
        _serve(control)
    finally:
        control.close()


if __name__ == "__main__":
    main(sys.argv)
