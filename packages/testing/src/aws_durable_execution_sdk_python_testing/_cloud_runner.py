"""``DurableFunctionCloudTestRunner``: the local runner's tests, against a deployed function.

It speaks only the public Lambda API through a boto3 ``lambda`` client: ``Invoke`` starts
an execution (the ``DurableExecutionArn`` of the answer names it), ``GetDurableExecution``
is polled until the execution ends, ``GetDurableExecutionHistory`` (every page, with
execution data) becomes the same ``DurableFunctionTestResult`` a local run gives, and
callbacks are answered with ``SendDurableExecutionCallback*``. The endpoint may be AWS or
any server that speaks the same protocol (``DurableLocalServer``).

Polling never spins: pauses start at 10 ms and double up to ``poll_interval``, bounded by
the call's ``timeout``; ``close()`` ends a pause at once.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing._arguments import (
    RunnerMode,
    check_name,
    check_seconds,
    normalize_input,
)
from aws_durable_execution_sdk_python_testing._cloud_api import (
    Backoff,
    LambdaApiError,
    LambdaClient,
    Pause,
    UnsupportedInCloudError,
    call,
    history_events,
    make_client,
)
from aws_durable_execution_sdk_python_testing._cloud_callbacks import (
    DeclaredAnswers,
    callbacks_in,
    open_callback,
)
from aws_durable_execution_sdk_python_testing._cloud_refusals import LocalOnlyRefusals
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._run_watch import announce_result
from aws_durable_execution_sdk_python_testing.callbacks import (
    ActionSpec,
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    CreatedCallback,
    encode_callback_result,
)
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
)

__all__ = ["DurableFunctionCloudTestRunner"]

_TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
_ENDINGS = frozenset(
    {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionStopped"}
)
_NOT_FOUND = "ResourceNotFoundException"
_DEFAULT_TIMEOUT = 60.0
# Lambda's longest function timeout, the longest a synchronous Invoke can be worth waiting.
_INVOKE_READ_TIMEOUT = 900


class DurableFunctionCloudTestRunner(LocalOnlyRefusals):
    """Runs a deployed durable function through the Lambda API; results as a local run's.

    Args:
        function_name: the deployed function (name, ``name:qualifier`` or ARN).
        client: a boto3 ``lambda`` client to use; by default the runner makes its own for
            ``region`` and ``endpoint_url`` (``None``: boto3's own resolution, including
            ``AWS_REGION`` and ``AWS_ENDPOINT_URL_LAMBDA``; region ``us-west-2`` when
            none is configured).
        poll_interval: the longest pause between two polls, in seconds.
        lambda_endpoint: the existing cloud runner's name for ``endpoint_url``; its
            positional region (``DurableFunctionCloudTestRunner("f", "eu-west-1")``) is
            taken as ``region`` too.

    ``mode`` is ``RunnerMode.CLOUD`` (equal to ``"cloud"``).
    """

    mode: RunnerMode = RunnerMode.CLOUD

    def __init__(
        self,
        function_name: str,
        client: LambdaClient | None = None,
        *,
        region: str | None = None,
        endpoint_url: str | None = None,
        poll_interval: float = 1.0,
        lambda_endpoint: str | None = None,
    ) -> None:
        if not isinstance(function_name, str) or not function_name:
            raise DurableFunctionsTestError(
                f"function_name={function_name!r}: name the deployed durable function"
            )
        if isinstance(client, str):
            # The existing runner's second parameter is the region: docs/decisions.md,
            # "Lenient where existing code has one obvious meaning".
            client, region = None, region or client
        self.function_name = function_name
        self.poll_interval = check_seconds("poll_interval", poll_interval)
        self.region = region
        self.endpoint_url = endpoint_url or lambda_endpoint
        self._owns_clients = client is None
        self.client: LambdaClient = client or make_client(region, self.endpoint_url)
        self._sync_clients: dict[int, LambdaClient] = {}
        self._pause = Pause()
        self._answers: dict[str, DeclaredAnswers] = {}
        self.rejected_callback_actions: list[tuple[CreatedCallback, Any, LambdaApiError]] = []

    # -- context management --------------------------------------------------------------

    def __enter__(self) -> DurableFunctionCloudTestRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End any pause in progress; close the clients the runner made (not one passed in).
        Executions still running in the service are left as they are."""
        self._pause.interrupt()
        if self._owns_clients:
            for client in (self.client, *self._sync_clients.values()):
                close = getattr(client, "close", None)
                if close is not None:
                    close()

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        input: Any = None,
        timeout: float | None = _DEFAULT_TIMEOUT,
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        execution_name: str | None = None,
        execution_timeout: float | None = None,
        crash_after: int | None = None,
        faults: Any = None,
    ) -> DurableFunctionTestResult:
        """Start an execution and wait until it ends; ``timeout`` bounds the whole run.

        Without declared ``callbacks`` the function is invoked synchronously
        (``RequestResponse``); with them, asynchronously (``Event``), since the answers
        must be sent while the execution waits. ``execution_timeout`` is the local
        runner's name for ``timeout``.

        Raises:
            TimeoutError: the execution had not ended within ``timeout`` seconds.
            LambdaApiError: a Lambda API call failed.
            UnsupportedInCloudError: a local-only option (``faults``, ``crash_after``...).
        """
        timeout = self._timeout(execution_timeout if execution_timeout is not None else timeout)
        deadline = time.monotonic() + timeout
        self._refuse_local_only("run", crash_after=crash_after, faults=faults)
        invocation = "Event" if callbacks else "RequestResponse"
        arn = self._invoke(input, invocation, execution_name, callbacks, timeout)
        return self._wait_for_result(arn, deadline, timeout)

    def run_async(
        self,
        input: Any = None,
        timeout: float | None = _DEFAULT_TIMEOUT,
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        execution_name: str | None = None,
        execution_timeout: float | None = None,
        crash_after: int | None = None,
        faults: Any = None,
    ) -> str:
        """Start an execution (``Invoke`` with ``InvocationType="Event"``); its ARN.

        Declared ``callbacks`` are answered while a later ``wait_for_result`` or
        ``wait_for_callback`` polls.
        """
        self._refuse_local_only("run_async", crash_after=crash_after, faults=faults)
        return self._invoke(input, "Event", execution_name, callbacks)

    def start(
        self,
        input: Any = None,
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        execution_name: str | None = None,
        crash_after: int | None = None,
        faults: Any = None,
    ) -> str:
        """As ``run_async``: over the Lambda API an execution cannot be created without
        being invoked, so it starts running at once."""
        self._refuse_local_only("start", crash_after=crash_after, faults=faults)
        return self._invoke(input, "Event", execution_name, callbacks)

    def wait_for_result(
        self, execution_arn: str, timeout: float | None = _DEFAULT_TIMEOUT
    ) -> DurableFunctionTestResult:
        """Poll until the execution ends (answering declared callbacks); its result.

        ``ResourceNotFoundException`` is retried until ``timeout``: an execution just
        started may not be visible yet.

        Raises:
            TimeoutError: not ended within ``timeout`` seconds (its status is named).
            LambdaApiError: a Lambda API call failed.
        """
        timeout = self._timeout(timeout)
        return self._wait_for_result(execution_arn, time.monotonic() + timeout, timeout)

    def wait_for_callback(
        self,
        execution_arn: str,
        name: str | None = None,
        timeout: float | None = _DEFAULT_TIMEOUT,
    ) -> str:
        """The id of the execution's open callback called ``name`` (or the newest open one),
        once the invocation that created it has returned.

        ``name`` may be the callback's name, its ``wait_for_callback``'s name or its
        parent's.

        Raises:
            DurableFunctionsTestError: the execution ended without such a callback.
            TimeoutError: none within ``timeout`` seconds.
        """
        timeout = self._timeout(timeout)
        deadline = time.monotonic() + timeout
        wanted = f"named {name!r}" if name else "open"
        backoff = Backoff(self.poll_interval)
        while True:
            events = self._events_or_none(execution_arn)
            if events is not None:
                callbacks = callbacks_in(events, execution_arn)
                self._answer_declared(execution_arn, callbacks, deadline)
                found = open_callback(callbacks, name)
                if found is not None:
                    return found
                if any(e["EventType"] in _ENDINGS for e in events):
                    listed = ", ".join(c.describe() for c in callbacks) or "none"
                    raise DurableFunctionsTestError(
                        f"execution {execution_arn} ended without a callback {wanted}; "
                        f"its callbacks: {listed}"
                    )
            pause = backoff.next(None if events is None else len(events))
            self._sleep_until(deadline, pause, execution_arn, f"a callback {wanted}", timeout)

    def get_result(self, execution_arn: str) -> DurableFunctionTestResult:
        """The execution as it is now (running or ended), built from its whole history."""
        execution = self.get_execution(execution_arn)
        return _seen(
            DurableFunctionTestResult.from_execution_history(
                execution, history_events(self.client, execution_arn)
            )
        )

    # -- the API, one call each ----------------------------------------------------------

    def get_execution(
        self, execution_arn: str, include_execution_data: bool = True
    ) -> dict[str, Any]:
        """The ``GetDurableExecution`` response (without boto3's ``ResponseMetadata``)."""
        return call(
            self.client,
            "GetDurableExecution",
            DurableExecutionArn=execution_arn,
            IncludeExecutionData=include_execution_data,
        )

    def get_execution_history(
        self,
        execution_arn: str,
        include_execution_data: bool = False,
        max_items: int = 1000,
        marker: str | None = None,
        reverse_order: bool = False,
    ) -> dict[str, Any]:
        """One ``GetDurableExecutionHistory`` page (``Events``, ``NextMarker``)."""
        request: dict[str, Any] = {
            "DurableExecutionArn": execution_arn,
            "IncludeExecutionData": include_execution_data,
            "MaxItems": max_items,
            "ReverseOrder": reverse_order,
        }
        if marker:
            request["Marker"] = marker
        return call(self.client, "GetDurableExecutionHistory", **request)

    def stop_execution(self, execution_arn: str, error: ErrorObject | None = None) -> None:
        """``StopDurableExecution``: the execution ends STOPPED."""
        request: dict[str, Any] = {"DurableExecutionArn": execution_arn}
        if error is not None:
            request["Error"] = error.to_dict()
        call(self.client, "StopDurableExecution", **request)

    def send_callback_success(self, callback_id: str, result: Any = None) -> None:
        """``SendDurableExecutionCallbackSuccess``: text as is, bytes as they are, other
        values as JSON."""
        request: dict[str, Any] = {"CallbackId": callback_id}
        encoded = encode_callback_result(result)
        if encoded is not None:
            request["Result"] = encoded.encode()
        call(self.client, "SendDurableExecutionCallbackSuccess", **request)

    def send_callback_failure(self, callback_id: str, error: ErrorObject | None = None) -> None:
        """``SendDurableExecutionCallbackFailure`` (an all-empty error without ``error``)."""
        call(
            self.client,
            "SendDurableExecutionCallbackFailure",
            CallbackId=callback_id,
            Error=(error or ErrorObject()).to_dict(),
        )

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """``SendDurableExecutionCallbackHeartbeat``."""
        call(self.client, "SendDurableExecutionCallbackHeartbeat", CallbackId=callback_id)

    # -- helpers -------------------------------------------------------------------------

    def _invoke(
        self,
        input: Any,
        invocation_type: str,
        execution_name: str | None,
        callbacks: Mapping[str, ActionSpec] | None,
        timeout: float | None = None,
    ) -> str:
        if self._pause.interrupted:
            raise DurableFunctionsLocalRunnerError("this runner is closed")
        # A name of our own makes the start idempotent: an Invoke repeated with the same
        # name and payload names the same execution instead of starting a second one.
        name = execution_name or f"test-{uuid.uuid4().hex}"
        check_name("execution_name", name)
        request: dict[str, Any] = {
            "FunctionName": self.function_name,
            "DurableExecutionName": name,
            "Payload": normalize_input(input).encode(),
        }
        try:
            if invocation_type == "Event" or timeout is None:
                response = call(self.client, "Invoke", InvocationType="Event", **request)
            else:
                client = self._sync_client(timeout)
                response = call(client, "Invoke", InvocationType="RequestResponse", **request)
        except LambdaApiError as error:
            if error.code != "ReadTimeoutError":
                raise
            # The synchronous Invoke outlasted the run's timeout: the execution exists and
            # runs on; the same Invoke as an Event names it, and polling reports its status.
            response = call(self.client, "Invoke", InvocationType="Event", **request)
        payload = response.get("Payload")
        if payload is not None and hasattr(payload, "read"):
            payload.read()  # release the connection; the result is read from the history
        arn = response.get("DurableExecutionArn")
        if not arn:
            raise DurableFunctionsTestError(
                f"Invoke of {self.function_name!r} answered without a DurableExecutionArn: "
                "is it a durable function (DurableConfig set)?"
            )
        if callbacks:
            self._answers[arn] = DeclaredAnswers(callbacks)
        return str(arn)

    def _sync_client(self, timeout: float) -> LambdaClient:
        """A client that waits for a synchronous Invoke up to the run's ``timeout`` (whole
        seconds, at most Lambda's 900) and never repeats it; a client passed in is used as
        it is."""
        if not self._owns_clients:
            return self.client
        seconds = max(1, min(_INVOKE_READ_TIMEOUT, math.ceil(timeout)))
        if seconds not in self._sync_clients:
            self._sync_clients[seconds] = make_client(
                self.region, self.endpoint_url, read_timeout=seconds
            )
        return self._sync_clients[seconds]

    def _wait_for_result(
        self, arn: str, deadline: float, timeout: float
    ) -> DurableFunctionTestResult:
        status = "not found yet"
        backoff = Backoff(self.poll_interval)
        while True:
            progress = None
            execution = self._execution_or_none(arn)
            if execution is not None:
                status = str(execution.get("Status"))
                if status in _TERMINAL:
                    self._send_too_late(arn)
                    return _seen(
                        DurableFunctionTestResult.from_execution_history(
                            execution, history_events(self.client, arn)
                        )
                    )
            if arn in self._answers and execution is not None:
                events = history_events(self.client, arn)
                progress = len(events)
                self._answer_declared(arn, callbacks_in(events, arn), deadline)
            self._sleep_until(deadline, backoff.next(progress), arn, "its end", timeout, status)

    def _answer_declared(self, arn: str, callbacks: list[Any], deadline: float) -> None:
        answers = self._answers.get(arn)
        if answers is None:
            return
        now = time.monotonic()
        try:
            answers.observe(callbacks, now, deadline)
        except UnsupportedInCloudError:
            self._stop_quietly(arn)
            raise
        for created, action in answers.pop_due(now):
            try:
                self._send(created.callback_id, action)
            except LambdaApiError as error:
                # Too late (the callback or the execution ended), as for any real caller.
                self.rejected_callback_actions.append((created, action, error))

    def _send_too_late(self, arn: str) -> None:
        """The execution ended with declared answers still waiting for their time: send them
        now, as a caller would, and keep the service's refusals, as the local runner keeps
        answers that came too late (``rejected_callback_actions``)."""
        answers = self._answers.pop(arn, None)
        if answers is None:
            return
        for created, action in answers.pop_all():
            try:
                self._send(created.callback_id, action)
            except LambdaApiError as error:
                self.rejected_callback_actions.append((created, action, error))

    def _send(self, callback_id: str, action: Any) -> None:
        if isinstance(action, CallbackSuccess):
            self.send_callback_success(callback_id, action.result)
        elif isinstance(action, CallbackFailure):
            error = ErrorObject(
                action.error_message, action.error_type, action.error_data, action.stack_trace
            )
            self.send_callback_failure(callback_id, error)
        elif isinstance(action, CallbackHeartbeat):
            self.send_callback_heartbeat(callback_id)

    def _sleep_until(
        self,
        deadline: float,
        pause: float,
        arn: str,
        what: str,
        timeout: float,
        status: str | None = None,
    ) -> None:
        now = time.monotonic()
        if now >= deadline:
            if status is None:
                status = self._status_or_unknown(arn)
            raise TimeoutError(
                f"execution {arn} did not reach {what} within {timeout:g} s; its status: {status}"
            )
        answers = self._answers.get(arn)
        due = answers.next_due() if answers is not None else None
        until = min(deadline, now + pause, due if due is not None else deadline)
        if not self._pause(until - now):
            raise DurableFunctionsLocalRunnerError(
                f"the runner was closed while waiting for {what} of execution {arn}"
            )

    def _execution_or_none(self, arn: str) -> dict[str, Any] | None:
        return _none_if_missing(lambda: self.get_execution(arn))

    def _events_or_none(self, arn: str) -> list[dict[str, Any]] | None:
        return _none_if_missing(lambda: history_events(self.client, arn))

    def _status_or_unknown(self, arn: str) -> str:
        try:
            execution = self._execution_or_none(arn)
        except LambdaApiError as error:
            return f"unknown ({error.code})"
        return "not found" if execution is None else str(execution.get("Status"))

    def _stop_quietly(self, arn: str) -> None:
        """Do not leave an execution the test gave up on running in the service."""
        with contextlib.suppress(LambdaApiError):
            self.stop_execution(arn)

    @staticmethod
    def _timeout(value: Any) -> float:
        """``None`` is the default, as the local runner's ``timeout=None`` is."""
        return _DEFAULT_TIMEOUT if value is None else check_seconds("timeout", value)


_T = TypeVar("_T")


def _seen(result: DurableFunctionTestResult) -> DurableFunctionTestResult:
    """So the pytest plugin can draw a failing test's cloud executions too."""
    announce_result(result)
    return result


def _none_if_missing(fetch: Callable[[], _T]) -> _T | None:
    try:
        return fetch()
    except LambdaApiError as error:
        if error.code == _NOT_FOUND:
            return None
        raise
