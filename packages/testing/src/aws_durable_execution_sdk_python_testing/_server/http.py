"""The HTTP side: a standard-library threading server that speaks the Lambda REST protocol.

One thread per connection (boto3 keeps connections alive, HTTP/1.1). Each request is routed
by the model (``wire``), run by its operation (``api``) and logged as one line. Stopping
closes the connections clients keep open, so every handler thread ends and is joined: no
thread outlives the server.
"""

from __future__ import annotations

import collections
import contextlib
import http
import logging
import selectors
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aws_durable_execution_sdk_python_testing._server.api import HANDLERS
from aws_durable_execution_sdk_python_testing._server.backend import Backend
from aws_durable_execution_sdk_python_testing._server.errors import RequestTooLargeException
from aws_durable_execution_sdk_python_testing._server.wire import (
    HttpResponse,
    Route,
    decode_request,
    encode_error,
    encode_result,
    find_route,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    ServiceApiError,
    ServiceException,
    TooManyRequestsException,
)

__all__ = ["HttpServer"]

_log = logging.getLogger("aws_durable_execution_sdk_python_testing.server")


class HttpServer(ThreadingHTTPServer):
    """Serves ``backend`` at ``address``; ``max_request_bytes`` bounds every body."""

    daemon_threads = False
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        backend: Backend,
        max_request_bytes: int,
        max_requests_per_second: float | None = None,
    ) -> None:
        self.backend = backend
        self.max_request_bytes = max_request_bytes
        self.throttle = (
            None if max_requests_per_second is None else _Bucket(max_requests_per_second)
        )
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()  # guards the connections and the counts
        self._served: collections.Counter[str] = collections.Counter()
        # Written to by ``stop_serving``: wakes the accept loop at once, with no polling.
        self._wake_read, self._wake_write = socket.socketpair()
        super().__init__(address, _RequestHandler)

    def serve_until_stopped(self) -> None:
        """Accept connections until ``stop_serving``; sleeps in ``select`` with no timeout
        (``serve_forever`` would wake every poll interval, and make stopping wait for one)."""
        self.timeout = None
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                ready = {key.fileobj for key, _ in selector.select()}
                if self._wake_read in ready:
                    return
                self.handle_request()  # the listening socket is readable: does not block

    def stop_serving(self) -> None:
        self._wake_write.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_read.close()
        self._wake_write.close()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def count(self, operation: str) -> None:
        with self._lock:
            self._served[operation] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._served)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-response (a timeout, Ctrl-C) is not a server error."""
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError)):
            _log.debug("connection from %s ended: %s", client_address, error)
            return
        _log.exception("error while serving %s", client_address)

    def close_connections(self) -> None:
        """End idle keep-alive connections, so their handler threads return."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HttpServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes: without this, Nagle's algorithm holds the
        # body until the client's delayed ACK (about 40 ms) on every kept-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: each request is logged once, in ``_handle``, with its outcome."""

    def _handle(self) -> None:
        started = time.perf_counter()
        request_id = str(uuid.uuid4())
        route: Route | None = None
        target = ""
        try:
            body = self._body()
            url = urllib.parse.urlsplit(self.path)
            route, members = find_route(self.command, url.path)
            self.server.count(route.operation)
            if self.server.throttle is not None and route.operation not in _UNTHROTTLED:
                self.server.throttle.take()
            target = members.get("DurableExecutionArn") or members.get("CallbackId") or ""
            target = target or members.get("FunctionName", "")
            params = decode_request(route, members, url.query, dict(self.headers), body)
            result = HANDLERS[route.operation](self.server.backend, params)
            response = encode_result(route, result, request_id)
        except ServiceApiError as error:
            response = encode_error(error, route.operation if route else None, request_id)
        except Exception as error:  # a bug here must still answer, as the service does
            _log.exception("internal error in %s %s", self.command, self.path)
            response = encode_error(
                ServiceException(f"Internal server error: {type(error).__name__}: {error}"),
                route.operation if route else None,
                request_id,
            )
        self._send(response)
        _log.info(
            "%s %s %s -> %d (%.1f ms)",
            self.command,
            route.operation if route else self.path,
            _short(target),
            response.status,
            (time.perf_counter() - started) * 1000,
        )

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_request_bytes:
            self.close_connection = True  # the body stays unread: this connection is done
            raise RequestTooLargeException(
                f"Request must be smaller than {self.server.max_request_bytes} bytes"
            )
        return self.rfile.read(length) if length else b""

    def _send(self, response: HttpResponse) -> None:
        """Status line, headers and body in one write (one segment for small responses)."""
        lines = [f"{self.protocol_version} {response.status} {_reason(response.status)}"]
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        lines.append(f"Content-Length: {len(response.body)}")
        lines.append(f"Date: {self.date_time_string()}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + response.body)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


# The calls a function makes while it runs: throttling them would fail invocations, which the
# server re-invokes at once; the limit is for the clients that manage executions.
_UNTHROTTLED = frozenset({"CheckpointDurableExecution", "GetDurableExecutionState"})


class _Bucket:
    """A token bucket of ``rate`` requests per second (bursts of up to ``rate``)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> None:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens < 1:
                raise TooManyRequestsException(
                    f"Rate exceeded: this server takes {self.rate:g} requests per second"
                )
            self.tokens -= 1


def _short(target: str) -> str:
    """An ARN shortened to what a reader tells executions apart by."""
    if "/durable-execution/" in target:
        function = target.split(":function:", 1)[-1].split("/", 1)[0]
        name = target.split("/durable-execution/", 1)[1].split("/", 1)[0]
        return f"{function}/{name}"
    return target[:24] + ("…" if len(target) > 24 else "")
