"""The cloud runner's side of the public Lambda API: clients, calls, errors, paging, pauses.

Only this module and the runner know botocore. Every call goes through :func:`call`, so a
botocore error reaches the test as one :class:`LambdaApiError` naming the operation, the
service's error code and its message, whatever botocore class it was raised as.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from aws_durable_execution_sdk_python_testing._boto import lambda_client as shared_lambda_client
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = [
    "FIRST_POLL_DELAY",
    "Backoff",
    "LambdaApiError",
    "LambdaClient",
    "Pause",
    "UnsupportedInCloudError",
    "call",
    "history_events",
    "make_client",
    "poll_delays",
]

#: The first pause between two polls: an execution that ends in a few milliseconds (the
#: usual case against a local endpoint) is seen ending a few milliseconds later.
FIRST_POLL_DELAY = 0.01
_DEFAULT_REGION = "us-west-2"  # the existing cloud runner's default


class LambdaClient(Protocol):
    """The calls the cloud runner makes on a boto3 ``lambda`` client (keyword arguments in
    botocore's member names, responses as boto3 returns them)."""

    def invoke(self, **kwargs: Any) -> dict[str, Any]: ...

    def get_durable_execution(self, **kwargs: Any) -> dict[str, Any]: ...

    def get_durable_execution_history(self, **kwargs: Any) -> dict[str, Any]: ...

    def stop_durable_execution(self, **kwargs: Any) -> dict[str, Any]: ...

    def send_durable_execution_callback_success(self, **kwargs: Any) -> dict[str, Any]: ...

    def send_durable_execution_callback_failure(self, **kwargs: Any) -> dict[str, Any]: ...

    def send_durable_execution_callback_heartbeat(self, **kwargs: Any) -> dict[str, Any]: ...


class LambdaApiError(DurableFunctionsTestError):
    """A Lambda API call failed: ``operation``, the service's ``code`` and ``message``.

    ``code`` is the service's error code (``ResourceNotFoundException``...), or the botocore
    class name when no answer came (``EndpointConnectionError``); ``status_code`` is the
    HTTP status when there was one.
    """

    def __init__(
        self, operation: str, code: str, message: str, status_code: int | None = None
    ) -> None:
        super().__init__(f"{operation} failed: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.status_code = status_code


class UnsupportedInCloudError(DurableFunctionsTestError):
    """The test asked for something only the local runner can do (register a handler,
    inject a fault, move the clock...). The pytest plugin reports the test as skipped in
    cloud mode, with this message as the reason."""


def make_client(
    region: str | None, endpoint_url: str | None, *, read_timeout: float | None = None
) -> Any:
    """A boto3 ``lambda`` client; ``endpoint_url=None`` leaves boto3 to read
    ``AWS_ENDPOINT_URL_LAMBDA`` (or its config), as the SDK inside the function does."""
    from botocore.config import Config

    options: dict[str, Any] = {"connect_timeout": 10}
    if read_timeout is not None:
        # An Invoke is not idempotent: botocore must not repeat one it gave up waiting for.
        options.update(read_timeout=read_timeout, retries={"total_max_attempts": 1})
    return shared_lambda_client(
        region=region,
        endpoint_url=endpoint_url,
        config=Config(**options),
        default_region=_DEFAULT_REGION,
    )


def call(client: LambdaClient, operation: str, **request: Any) -> dict[str, Any]:
    """``client.<operation>(**request)``, its botocore errors as :class:`LambdaApiError`."""
    method = getattr(client, _snake(operation))
    try:
        response: dict[str, Any] = method(**request)
    except ClientError as error:
        details = error.response.get("Error", {})
        metadata = error.response.get("ResponseMetadata", {})
        raise LambdaApiError(
            operation,
            str(details.get("Code") or "Error"),
            str(details.get("Message") or error),
            metadata.get("HTTPStatusCode"),
        ) from error
    except BotoCoreError as error:
        raise LambdaApiError(operation, type(error).__name__, str(error)) from error
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def _snake(operation: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in operation).lstrip("_")


def history_events(client: LambdaClient, arn: str) -> list[dict[str, Any]]:
    """Every event of the execution, all pages, with execution data (payloads)."""
    events: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        request: dict[str, Any] = {"DurableExecutionArn": arn, "IncludeExecutionData": True}
        if marker:
            request["Marker"] = marker
        page = call(client, "GetDurableExecutionHistory", **request)
        events.extend(page.get("Events") or [])
        marker = page.get("NextMarker")
        if not marker:
            return events


def poll_delays(poll_interval: float) -> Iterator[float]:
    """The pauses between polls: 10 ms, doubling, then ``poll_interval`` each time (never
    less than 10 ms: a zero interval must not turn the wait into a spin)."""
    ceiling = max(poll_interval, FIRST_POLL_DELAY)
    for step in itertools.count():
        delay = FIRST_POLL_DELAY * 2**step
        if delay >= ceiling:
            break
        yield delay
    yield from itertools.repeat(ceiling)


class Backoff:
    """The pauses of one wait: ``poll_delays``, starting over at 10 ms whenever the
    execution shows progress (its history grew), since more usually follows at once (an
    invocation ending right after a callback opened, an answer due soon after)."""

    def __init__(self, poll_interval: float) -> None:
        self._poll_interval = poll_interval
        self._delays = poll_delays(poll_interval)
        self._progress: int | None = None

    def next(self, progress: int | None = None) -> float:
        if progress is not None:
            if self._progress is not None and progress != self._progress:
                self._delays = poll_delays(self._poll_interval)
            self._progress = progress
        return next(self._delays)


class Pause:
    """Blocks between polls without spinning; ``interrupt()`` (from ``close()``, in any
    thread) ends every current and later pause at once."""

    def __init__(self) -> None:
        self._interrupted = threading.Event()

    def __call__(self, seconds: float) -> bool:
        """Pause up to ``seconds``; False when interrupted."""
        return not self._interrupted.wait(max(seconds, 0.0))

    def interrupt(self) -> None:
        self._interrupted.set()

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()
