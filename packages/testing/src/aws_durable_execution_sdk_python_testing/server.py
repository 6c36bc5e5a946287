"""A local endpoint of the Lambda durable-execution API that boto3 cannot tell from the service.

::

    with DurableLocalServer({"order-workflow": handler}, skip_time=True) as server:
        client = server.client()           # boto3 "lambda" client pointed at the server
        response = client.invoke(FunctionName="order-workflow", Payload=b'{"id": 1}')
        arn = response["DurableExecutionArn"]
        client.get_durable_execution(DurableExecutionArn=arn)["Status"]  # "SUCCEEDED"

The same in-memory service as ``DurableFunctionTestRunner`` sits behind it; functions run in
this process, in a child process per invocation (``invocation_mode="subprocess"``), or at a
Lambda endpoint such as ``sam local start-lambda`` (``lambda_endpoint=URL``), and checkpoint
back through the SDK's own boto3 client. ``durable-local serve`` runs it from a terminal.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Any

from aws_durable_execution_sdk_python_testing._arguments import NAME, function_key
from aws_durable_execution_sdk_python_testing._invocation import Function
from aws_durable_execution_sdk_python_testing._server.backend import Backend, Invoker
from aws_durable_execution_sdk_python_testing._server.http import HttpServer
from aws_durable_execution_sdk_python_testing._server.invokers import (
    InProcessInvoker,
    LambdaEndpointInvoker,
    SandboxInvoker,
    lambda_client,
)
from aws_durable_execution_sdk_python_testing._service.execution import Limits
from aws_durable_execution_sdk_python_testing._service.service import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
)
from aws_durable_execution_sdk_python_testing._store import ExecutionStore, open_store
from aws_durable_execution_sdk_python_testing._subprocess.sandbox import InvocationMode
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
)

__all__ = ["DurableLocalServer"]

# The largest request the service takes (a synchronous Invoke's 6 MB payload) and some room.
MAX_REQUEST_BYTES = 6 * 1024 * 1024 + 64 * 1024


class DurableLocalServer:
    """The durable-execution API over HTTP on a loopback port, for boto3, SAM and the
    cloud test runner.

    Args:
        functions: deployed name -> ``@durable_execution`` handler, served for ``Invoke``
            and as chained-invoke targets (``register_function`` adds plain Lambda handlers).
        host, port: where to listen; 127.0.0.1 and a free port by default (``port=0``).
        store: ``"memory"`` (the default) or ``"sqlite:PATH"``: executions, histories and
            timers kept in SQLite, so a restarted server resumes them.
        invocation_mode: ``"in-process"`` or ``"subprocess"`` (a child per invocation, which
            can crash or be killed at ``invocation_timeout``).
        lambda_endpoint: invoke functions at this Lambda endpoint instead (``sam local
            start-lambda``: ``http://127.0.0.1:3001``); set ``AWS_ENDPOINT_URL_LAMBDA`` in
            the functions to ``endpoint_url`` so their SDK checkpoints here.
        skip_time: jump the clock to the next timer whenever nothing runs, so a one-day
            wait passes at once; a callback that just opened holds the jump for
            ``callback_hold`` real seconds so a client can answer it.
    """

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        store: str | ExecutionStore | None = "memory",
        invocation_mode: str = "in-process",
        lambda_endpoint: str | None = None,
        region: str = "us-east-1",
        skip_time: bool = False,
        invocation_timeout: float = 900.0,
        invocation_retries: int = 4,
        execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        limits: Limits | None = None,
        max_concurrent_invocations: int = 8,
        callback_hold: float = 5.0,
        sync_invoke_timeout: float = 900.0,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        max_requests_per_second: float | None = None,
    ) -> None:
        self._backend: Backend | None = None
        self._http: HttpServer | None = None
        self._serving: threading.Thread | None = None
        _check_number("port", port, minimum=0, maximum=65535, integer=True)
        _check_number("invocation_timeout", invocation_timeout, minimum=0, exclusive=True)
        _check_number("invocation_retries", invocation_retries, minimum=0, integer=True)
        _check_number(
            "execution_timeout",
            execution_timeout,
            minimum=1,
            maximum=MAX_EXECUTION_TIMEOUT_SECONDS,
            integer=True,
        )
        _check_number("max_concurrent_invocations", max_concurrent_invocations, minimum=1)
        _check_number("callback_hold", callback_hold, minimum=0)
        _check_number("sync_invoke_timeout", sync_invoke_timeout, minimum=0, exclusive=True)
        _check_number("max_request_bytes", max_request_bytes, minimum=1, integer=True)
        if max_requests_per_second is not None:
            _check_number(
                "max_requests_per_second", max_requests_per_second, minimum=0, exclusive=True
            )
        self._functions: dict[str, Function] = {}
        for name, handler in (functions or {}).items():
            self._add(name, Function(handler))
        self._host = host
        self._port = port
        self._store_spec = store
        self._invocation_mode = InvocationMode.parse(invocation_mode)
        self._lambda_endpoint = lambda_endpoint
        self._region = region
        self._skip_time = skip_time
        self._invocation_timeout = invocation_timeout
        self._invocation_retries = invocation_retries
        self._execution_timeout = execution_timeout
        self._limits = limits
        self._max_concurrent = max_concurrent_invocations
        self._callback_hold = callback_hold
        self._sync_invoke_timeout = sync_invoke_timeout
        self._max_request_bytes = max_request_bytes
        self._max_requests_per_second = max_requests_per_second

    # -- functions -----------------------------------------------------------------------

    def register_durable_function(self, function_name: str, handler: Callable[..., Any]) -> None:
        self._add(function_name, Function(handler))

    def register_function(self, function_name: str, func: Callable[[Any, Any], Any]) -> None:
        """A plain Lambda handler ``(event, context)``, as a chained-invoke target."""
        self._add(function_name, Function(func, durable=False))

    def _add(self, function_name: str, function: Function) -> None:
        if self._backend is not None:
            raise DurableFunctionsLocalRunnerError("register functions before the server starts")
        key = function_key(function_name)
        if not NAME.fullmatch(key) or not callable(function.handler):
            raise DurableFunctionsTestError(
                f"function {function_name!r}: use a Lambda function name and a callable handler"
            )
        self._functions[key] = function

    # -- life cycle ----------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """``http://host:port``: give it to boto3 as ``endpoint_url`` or
        ``AWS_ENDPOINT_URL_LAMBDA``."""
        if self._http is None:
            raise DurableFunctionsLocalRunnerError("the server is not started")
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}"

    def request_counts(self) -> dict[str, int]:
        """Requests served so far, by operation (``"CheckpointDurableExecution"``: the
        checkpoint round trips the functions made)."""
        if self._http is None:
            raise DurableFunctionsLocalRunnerError("the server is not started")
        return self._http.counts()

    def client(self, region: str | None = None) -> Any:
        """A boto3 ``lambda`` client for this server (placeholder credentials, no retries)."""
        return lambda_client(self.endpoint_url, region or self._region)

    def start(self) -> DurableLocalServer:
        """Bind, restore the store, and serve on a background thread."""
        if self._backend is not None:
            raise DurableFunctionsLocalRunnerError("the server is already started")
        invoker = self._invoker()
        backend = Backend(
            self._functions,
            invoker,
            skip_time=self._skip_time,
            limits=self._limits,
            invocation_retries=self._invocation_retries,
            execution_timeout=self._execution_timeout,
            max_concurrent_invocations=self._max_concurrent,
            callback_hold=self._callback_hold,
            sync_invoke_timeout=self._sync_invoke_timeout,
            store=self._open_store(),
        )
        try:
            http = HttpServer(
                (self._host, self._port),
                backend,
                self._max_request_bytes,
                self._max_requests_per_second,
            )
        except OSError as error:
            backend.stop()
            raise DurableFunctionsLocalRunnerError(
                f"cannot listen on {self._host}:{self._port}: {error.strerror or error}; "
                "choose another --port (0 picks a free one)"
            ) from None
        self._backend, self._http = backend, http
        server_client = getattr(invoker, "server_client", None)
        if server_client is not None:
            server_client.endpoint_url = self.endpoint_url
        backend.start()
        self._serving = threading.Thread(target=http.serve_until_stopped, name="durable-local-http")
        self._serving.start()
        return self

    def serve_forever(self) -> None:
        """Serve until ``stop()`` (from another thread) or Ctrl-C."""
        if self._serving is None:
            self.start()
        assert self._serving is not None
        try:
            while self._serving.is_alive():
                self._serving.join(1.0)
        except KeyboardInterrupt:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop serving and driving; every thread and child process ends. Repeatable."""
        http, backend, serving = self._http, self._backend, self._serving
        self._http = self._backend = self._serving = None
        if http is not None:
            http.stop_serving()
            if serving is not None:
                serving.join()
            http.close_connections()
        if backend is not None:
            backend.stop()
        if http is not None:
            http.close_connections()
            http.server_close()

    close = stop

    def settle(self, timeout: float = 30.0) -> None:
        """Block until no invocation runs or waits to start: every execution has ended or
        waits for a timer or a callback. For tests and scripts that act after an
        ``Event`` invoke, without polling.

        Raises:
            TimeoutError: still busy after ``timeout`` real seconds.
        """
        backend = self._backend
        if backend is None:
            raise DurableFunctionsLocalRunnerError("the server is not started")
        if not backend.wait_until(backend.idle, timeout):
            raise TimeoutError(f"the server was still invoking functions after {timeout} s")

    def __enter__(self) -> DurableLocalServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- parts ---------------------------------------------------------------------------

    def _invoker(self) -> Invoker:
        if self._lambda_endpoint is not None:
            return LambdaEndpointInvoker(
                self._lambda_endpoint, self._region, self._invocation_timeout
            )
        if self._invocation_mode is InvocationMode.SUBPROCESS:
            return SandboxInvoker(self._invocation_timeout)
        return InProcessInvoker()

    def _open_store(self) -> ExecutionStore | None:
        spec = self._store_spec
        if spec is None or spec == "memory":
            return None
        if not isinstance(spec, str):
            return spec
        return open_store(spec)


def _check_number(
    name: str,
    value: object,
    *,
    minimum: float,
    maximum: float | None = None,
    integer: bool = False,
    exclusive: bool = False,
) -> None:
    """Refuse an option that is not a number in its range, naming the option and the range."""
    kinds: tuple[type, ...] = (int,) if integer else (int, float)
    wanted = "an integer" if integer else "a number"
    bound = f"> {minimum}" if exclusive else f">= {minimum}"
    if maximum is not None:
        bound += f" and <= {maximum}"
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise DurableFunctionsTestError(f"{name}={value!r}: expected {wanted} {bound}")
    number = float(value)  # type: ignore[arg-type]
    too_low = number <= minimum if exclusive else number < minimum
    if math.isnan(number) or too_low or (maximum is not None and number > maximum):
        raise DurableFunctionsTestError(f"{name}={value!r}: expected {wanted} {bound}")
