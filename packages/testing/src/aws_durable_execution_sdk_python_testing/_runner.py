"""``DurableFunctionTestRunner``: run a durable handler to completion, on virtual time.

A single-threaded loop, driven by events: invoke the handler in-process; while the output is
PENDING, fire the earliest due timer (moving the virtual clock to it) and invoke again; stop
at SUCCEEDED or FAILED. With nothing left to fire the execution is stuck and the run fails at
once, naming what it waits for. No sleeps, no polling, no background threads.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from aws_durable_execution_sdk_python.exceptions import termination_reason_for
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
)
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python.retries import use_random
from aws_durable_execution_sdk_python_testing._client import InMemoryServiceClient
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._service.errors import ServiceApiError
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord, Limits
from aws_durable_execution_sdk_python_testing._service.service import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
    InMemoryDurableService,
)
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
    StuckExecutionError,
)

__all__ = ["DurableFunctionTestRunner", "normalize_input"]

_NAME = re.compile(r"[a-zA-Z0-9_-]+")


def normalize_input(value: Any) -> str:
    """As the existing runner does: valid JSON text is kept verbatim, anything else dumped."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return json.dumps(value)
        return value
    if isinstance(value, bytes):
        return normalize_input(value.decode())
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise DurableFunctionsTestError(
            f"run(input=...) must be JSON serialisable, got {type(value).__name__}: {error}"
        ) from error


class _LambdaContext:
    """What the Lambda runtime passes as the second handler argument, faked."""

    def __init__(self, function_arn: str, function_name: str, request_id: str) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = 128
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.tenant_id = None
        self.client_context = None
        self.identity = None

    def get_remaining_time_in_millis(self) -> int:
        return 900_000

    def log(self, message: str) -> None:
        pass


class DurableFunctionTestRunner:
    """Runs a ``@durable_execution`` handler in-process against an in-memory service.

    Args:
        handler: the decorated Lambda handler.
        execution_timeout: default bound, in real seconds, of each ``run`` (ruling 9).
        durable_execution_timeout: the execution's own timeout on the virtual clock.
        freeze_time: show user code the virtual time through freezegun (ruling 10).
        invocation_retries: failed invocations retried before the execution fails.
        seed: seeds the jitter of retry strategies, so runs are reproducible (ruling 11).
        limits: the service limits (payload, batch and operation count).
    """

    def __init__(
        self,
        handler: Callable[..., Any],
        poll_interval: float = 1.0,
        max_invocation_page_bytes: int | None = None,
        execution_timeout: float = 300,
        invocation_timeout: float = 900,
        store: Any = None,
        skip_time: bool = True,
        *,
        freeze_time: bool = False,
        durable_execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        invocation_retries: int = 4,
        seed: int | str = 0,
        limits: Limits | None = None,
        function_name: str = "test-function",
    ) -> None:
        if not callable(handler):
            raise DurableFunctionsTestError(f"handler must be callable, got {handler!r}")
        self.handler = handler
        self.poll_interval = poll_interval  # accepted for compatibility; nothing polls
        self.execution_timeout = execution_timeout
        self.invocation_timeout = invocation_timeout
        self.skip_time = skip_time
        self.freeze_time = freeze_time
        self.durable_execution_timeout = durable_execution_timeout
        self.invocation_retries = invocation_retries
        self.seed = seed
        self.function_name = function_name
        self.clock = VirtualClock()
        self.service = InMemoryDurableService(self.clock, limits or Limits())
        self.client = InMemoryServiceClient(self.service)
        self._random: dict[str, random.Random] = {}
        self._freezer: Any = None
        self._frozen: Any = None
        self._closed = False

    # -- context management --------------------------------------------------------------

    def __enter__(self) -> DurableFunctionTestRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._freezer is not None:
            self._freezer.stop()
            self._freezer = self._frozen = None
        self._closed = True

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        input: Any = None,
        execution_timeout: float | None = None,
        timeout: float | None = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
    ) -> DurableFunctionTestResult:
        """Start an execution and drive it until it SUCCEEDS or FAILS.

        Raises:
            StuckExecutionError: nothing can make progress (named in the message).
            TimeoutError: the run took longer than ``timeout`` real seconds.
        """
        arn = self.start(input, function_name, execution_name)
        return self.wait_for_result(arn, timeout=_first(execution_timeout, timeout))

    def run_async(
        self,
        input: Any = None,
        execution_timeout: float | None = None,
        timeout: float | None = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
    ) -> str:
        """Start an execution, drive it while it can progress alone, return its ARN."""
        arn = self.start(input, function_name, execution_name)
        self._drive(arn, _first(execution_timeout, timeout), stop_when_stuck=True)
        return arn

    def start(
        self,
        input: Any = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
    ) -> str:
        """Create an execution without invoking it yet; returns its ARN."""
        function_name = function_name or self.function_name
        if self._closed:
            raise DurableFunctionsLocalRunnerError("this runner is closed")
        for what, value in (("function_name", function_name), ("execution_name", execution_name)):
            if not _NAME.fullmatch(value):
                raise DurableFunctionsTestError(
                    f"{what}={value!r}: use letters, digits, '-' and '_' only (an ARN segment)"
                )
        record = self.service.start_execution(
            function_name,
            execution_name,
            normalize_input(input),
            self.durable_execution_timeout,
        )
        self._random[record.arn] = random.Random(f"{self.seed}:{len(self._random)}")
        return record.arn

    def wait_for_result(
        self, execution_arn: str, timeout: float | None = None
    ) -> DurableFunctionTestResult:
        """Drive the execution to its end and return the result."""
        self._drive(execution_arn, timeout, stop_when_stuck=False)
        return self.get_result(execution_arn)

    def get_result(self, execution_arn: str) -> DurableFunctionTestResult:
        return DurableFunctionTestResult.from_record(self._record(execution_arn))

    def get_execution_history(
        self,
        execution_arn: str,
        include_execution_data: bool = False,
        max_items: int = 1000,
        marker: str | None = None,
        reverse_order: bool = False,
    ) -> dict[str, Any]:
        """The ``GetDurableExecutionHistory`` response (``Events``, ``NextMarker``)."""
        return self.service.get_execution_history(
            execution_arn, include_execution_data, max_items, marker, reverse_order
        )

    def _record(self, arn: str) -> ExecutionRecord:
        try:
            return self.service.get(arn)
        except ServiceApiError as error:
            raise DurableFunctionsTestError(str(error)) from None

    def _drive(self, arn: str, timeout: float | None, *, stop_when_stuck: bool) -> None:
        record = self._record(arn)
        limit = self.execution_timeout if timeout is None else timeout
        deadline = VirtualClock.real_monotonic() + limit
        while not record.is_terminal:
            if VirtualClock.real_monotonic() > deadline:
                raise TimeoutError(f"execution {arn} did not complete within {limit} real seconds")
            outcome = self._invoke(record)
            if record.is_terminal or outcome is None:
                continue  # finished, or the invocation failed and is retried at once
            if not self.service.fire_next_timers(arn) and not record.is_terminal:
                if stop_when_stuck:
                    return
                raise StuckExecutionError(_stuck_message(record))

    @contextlib.contextmanager
    def _time_for_user_code(self) -> Iterator[None]:
        if not self.freeze_time:
            yield
            return
        if self._freezer is None:
            import freezegun

            self._freezer = freezegun.freeze_time(self.clock.now_datetime(), tick=True)
            self._frozen = self._freezer.start()
        else:
            self._frozen.move_to(self.clock.now_datetime())
        yield

    def _invoke(self, record: ExecutionRecord) -> InvocationStatus | None:
        """One invocation; ``None`` when the invocation itself failed."""
        invocation = self.service.begin_invocation(record.arn)
        event = DurableExecutionInvocationInputWithClient(
            invocation.durable_execution_arn,
            invocation.checkpoint_token,
            invocation.initial_execution_state,
            updated_operation_ids=invocation.updated_operation_ids,
            service_client=self.client,
        )
        request_id = str(uuid.uuid4())
        function_arn = record.arn.split("/durable-execution/", 1)[0]
        context = _LambdaContext(function_arn, record.function_name, request_id)
        started = self.clock.now_datetime()
        try:
            with use_random(self._random[record.arn]), self._time_for_user_code():
                raw = self.handler(event, context)
            output = DurableExecutionInvocationOutput.from_dict(raw)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as error:
            self._invocation_failed(record, started, request_id, _crash_error(error, request_id))
            return None
        self.service.end_invocation(record.arn, started, request_id)
        return self._apply_output(record, output, started, request_id)

    def _apply_output(
        self,
        record: ExecutionRecord,
        output: DurableExecutionInvocationOutput,
        started: Any,
        request_id: str,
    ) -> InvocationStatus | None:
        checkpointed = record.checkpointed_outcome
        if output.status is InvocationStatus.SUCCEEDED:
            result = output.result
            if checkpointed is not None and checkpointed.payload is not None:
                result = checkpointed.payload
            self.service.succeed(record.arn, result)
        elif output.status is InvocationStatus.FAILED:
            error = output.error
            if error is None and checkpointed is not None:
                error = checkpointed.error
            error = error or ErrorObject("the handler reported FAILED without an error")
            self.service.fail(record.arn, error, termination_reason_for(error.type).value)
        elif output.status is InvocationStatus.PENDING:
            if not _has_pending_work(record):
                self._count_failure(
                    record,
                    ErrorObject(
                        "the handler returned PENDING but no operation is pending",
                        "InvalidOutput",
                    ),
                )
                return None
        else:
            self._count_failure(
                record, ErrorObject(f"invalid invocation status {output.status}", "InvalidOutput")
            )
            return None
        record.failed_invocations = 0
        return output.status

    def _invocation_failed(
        self, record: ExecutionRecord, started: Any, request_id: str, error: ErrorObject
    ) -> None:
        if not record.is_terminal:
            self.service.end_invocation(record.arn, started, request_id, error)
        self._count_failure(record, error)

    def _count_failure(self, record: ExecutionRecord, error: ErrorObject) -> None:
        record.failed_invocations += 1
        if record.failed_invocations > self.invocation_retries and not record.is_terminal:
            self.service.fail(record.arn, error, "INVOCATION_ERROR")


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _crash_error(error: BaseException, request_id: str) -> ErrorObject:
    if isinstance(error, Exception):
        return ErrorObject.from_exception(error)
    code = getattr(error, "code", 1)
    return ErrorObject(
        f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
        "Runtime.ExitError",
    )


def _has_pending_work(record: ExecutionRecord) -> bool:
    for op in record.operations.values():
        kind = op.operation_type
        if op.status is OperationStatus.PENDING or (
            op.status is OperationStatus.STARTED
            and kind in (OperationType.WAIT, OperationType.CALLBACK, OperationType.CHAINED_INVOKE)
        ):
            return True
        if op.status is OperationStatus.READY:
            return True
    return False


def _stuck_message(record: ExecutionRecord) -> str:
    waiting = []
    for op in record.operations.values():
        if op.status is not OperationStatus.STARTED:
            continue
        label = f"{op.name!r}" if op.name else f"id {op.operation_id}"
        if op.operation_type is OperationType.CALLBACK:
            callback_id = op.callback_details.callback_id if op.callback_details else "?"
            waiting.append(
                f"callback {label} (callback_id {callback_id!r}): answer it with "
                "runner.send_callback_success/failure(callback_id, ...) or pass "
                "run(callbacks={...})"
            )
        elif op.operation_type is OperationType.CHAINED_INVOKE:
            waiting.append(
                f"chained invoke {label}: register its target with "
                "runner.register_durable_function(name, handler) or register_function"
            )
    detail = "; ".join(waiting) or "no timer is due and no input is expected"
    return f"execution {record.arn} cannot make progress: it waits for {detail}"
