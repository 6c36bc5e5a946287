"""One invocation of a function, and what its outcome does to the execution.

A durable handler gets the invocation input with the in-memory service client; a plain
Lambda handler (a chained-invoke target registered with ``register_function``) gets the
JSON payload. Exceptions escaping a handler are invocation failures (docs/decisions.md,
"SDK exceptions inside steps keep their meaning"), and a ``BaseException`` is a crash of the
runtime ("What a crash is"): both are recorded on
``InvocationCompleted`` and the function is invoked again, up to the retry budget. An
injected crash (``faults``) is such a crash; ``always_replay``'s cut ends the invocation
without an error, as a suspension would, and the function is invoked again at once without
counting against the budget. An invocation a pause cut (its later checkpoints refused) is
neither applied nor counted: it is invoked again once the execution is resumed.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import termination_reason_for
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
)
from aws_durable_execution_sdk_python.lambda_service import (
    DurableServiceClient,
    ErrorObject,
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._faults import Interruption, ReplayCut
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._subprocess.sandbox import OutcomeKind, Sandbox

__all__ = [
    "Begun",
    "Ended",
    "Function",
    "LambdaContext",
    "begin",
    "call_in_process",
    "call_in_sandbox",
    "invoke",
    "settle",
]


@attrs.frozen
class Function:
    """A function the runner can invoke: a durable handler, or a plain Lambda handler."""

    handler: Callable[..., Any]
    durable: bool = True


class LambdaContext:
    """What the Lambda runtime passes as the second handler argument, faked."""

    def __init__(self, function_arn: str, function_name: str, request_id: str) -> None:
        self.aws_request_id = request_id
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = 128
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self.tenant_id: str | None = None
        self.client_context: Any = None
        self.identity: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return 900_000

    def log(self, message: str) -> None:
        """The runtime's own log sink; discarded locally."""


@attrs.frozen
class Begun:
    """An invocation the service has started: the event, the context, when and which."""

    invocation: DurableExecutionInvocationInput
    context: LambdaContext
    started: datetime.datetime
    request_id: str


@attrs.frozen
class Ended:
    """How a call of the function ended: an output, an error, or an interruption (a crash,
    or ``always_replay``'s cut)."""

    output: DurableExecutionInvocationOutput | None = None
    error: ErrorObject | None = None
    interruption: BaseException | None = None


def begin(service: InMemoryDurableService, record: ExecutionRecord) -> Begun:
    """Start an invocation: a fresh token, and the event and context Lambda would pass."""
    invocation = service.begin_invocation(record.arn)
    request_id = str(uuid.uuid4())
    context = LambdaContext(
        record.arn.split("/durable-execution/", 1)[0], record.function_name, request_id
    )
    return Begun(invocation, context, service.clock.now_datetime(), request_id)


def call_in_process(
    function: Function,
    record: ExecutionRecord,
    begun: Begun,
    client: DurableServiceClient,
    environment: Callable[[], AbstractContextManager[Any]],
    start_flush_window: float | None = None,
) -> Ended:
    """Call the handler in this process; what escapes it becomes the ``Ended``."""
    invocation = begun.invocation
    try:
        with environment():
            if function.durable:
                event = DurableExecutionInvocationInputWithClient(
                    invocation.durable_execution_arn,
                    invocation.checkpoint_token,
                    invocation.initial_execution_state,
                    updated_operation_ids=invocation.updated_operation_ids,
                    service_client=client,
                    start_flush_window=start_flush_window,
                )
                return Ended(
                    output=DurableExecutionInvocationOutput.from_dict(
                        function.handler(event, begun.context)
                    )
                )
            value = function.handler(_payload(record.input_payload), begun.context)
            return Ended(
                output=DurableExecutionInvocationOutput(
                    InvocationStatus.SUCCEEDED, result=json.dumps(value)
                )
            )
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except Exception as error:
        return Ended(error=ErrorObject.from_exception(error))
    except BaseException as error:
        return Ended(interruption=error)


def call_in_sandbox(sandbox: Sandbox, function: Function, begun: Begun, client: Any) -> Ended:
    """Call a durable handler in a forked child, which can crash or be killed for real."""
    invocation = begun.invocation
    event = DurableExecutionInvocationInputWithClient(
        invocation.durable_execution_arn,
        invocation.checkpoint_token,
        invocation.initial_execution_state,
        updated_operation_ids=invocation.updated_operation_ids,
    )
    try:
        outcome = sandbox.invoke(function.handler, event, begun.context, client, begun.started)
    except Interruption as cut:  # the sandbox killed the child as the fault came
        return Ended(interruption=cut)
    if outcome.kind is OutcomeKind.RETURNED and outcome.output is not None:
        return Ended(output=DurableExecutionInvocationOutput.from_dict(outcome.output))
    return Ended(error=outcome.error or ErrorObject("the sandbox returned no output"))


def settle(
    service: InMemoryDurableService,
    record: ExecutionRecord,
    durable: bool,
    begun: Begun,
    ended: Ended,
    invocation_retries: int,
) -> None:
    """Apply how the invocation ended to the execution (the service's side of its end);
    ``durable`` is False for a plain Lambda handler, whose exception is its result."""
    started, request_id = begun.started, begun.request_id
    if ended.interruption is not None:
        _interrupted(service, record, started, request_id, ended.interruption, invocation_retries)
    elif ended.error is not None:
        if not durable:  # a plain function's exception is its result
            service.end_invocation(record.arn, started, request_id)
            _finish(service, record, ended.error)
        else:
            _failed(service, record, started, request_id, ended.error, invocation_retries)
    elif ended.output is not None:
        service.end_invocation(record.arn, started, request_id)
        _apply(service, record, ended.output, invocation_retries)
    # A pause asked for during the invocation takes effect now if no checkpoint let it.
    service.settle_pause(record.arn)


def invoke(
    service: InMemoryDurableService,
    client: DurableServiceClient,
    record: ExecutionRecord,
    function: Function,
    environment: Callable[[], AbstractContextManager[Any]],
    invocation_retries: int,
    sandbox: Sandbox | None = None,
    start_flush_window: float | None = None,
) -> None:
    """Invoke ``function`` once for ``record`` and apply the outcome.

    With a ``sandbox`` a durable handler runs in a forked child process, which can also
    crash for real or be killed at the function timeout; plain handlers stay in-process.
    """
    begun = begin(service, record)
    if sandbox is not None and function.durable:
        ended = call_in_sandbox(sandbox, function, begun, client)
    else:
        ended = call_in_process(function, record, begun, client, environment, start_flush_window)
    settle(service, record, function.durable, begun, ended, invocation_retries)


def _payload(text: str) -> Any:
    if not text:
        return None
    return json.loads(text)


def _crash(error: BaseException, request_id: str) -> ErrorObject:
    code = getattr(error, "code", 1)
    return ErrorObject(
        f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
        "Runtime.ExitError",
    )


def _interrupted(
    service: InMemoryDurableService,
    record: ExecutionRecord,
    started: Any,
    request_id: str,
    error: BaseException,
    retries: int,
) -> None:
    """A crash of the runtime, or ``always_replay``'s cut: no failure, invoked again now."""
    if isinstance(error, ReplayCut):
        if not record.is_terminal:
            service.end_invocation(record.arn, started, request_id)
            service.mark_changed(record)
        return
    _failed(service, record, started, request_id, _crash(error, request_id), retries)


def _failed(
    service: InMemoryDurableService,
    record: ExecutionRecord,
    started: Any,
    request_id: str,
    error: ErrorObject,
    retries: int,
) -> None:
    if not record.is_terminal:
        service.end_invocation(record.arn, started, request_id, error)
    _count_failure(service, record, error, retries)


def _count_failure(
    service: InMemoryDurableService, record: ExecutionRecord, error: ErrorObject, retries: int
) -> None:
    if record.cut_by_pause:
        return  # the pause refused its checkpoints: not a failure of the function
    record.failed_invocations += 1
    if record.is_terminal:
        return
    if record.failed_invocations > retries:
        # docs/decisions.md, "Exhausted invocation retries": the reason is the last
        # invocation's cause (CHECKPOINT_FAILED, INVOCATION_ERROR, UNHANDLED_ERROR for a crash).
        service.fail(record.arn, error, termination_reason_for(error.type).value)
    else:
        service.mark_changed(record)  # Lambda invokes again


def _finish(service: InMemoryDurableService, record: ExecutionRecord, error: ErrorObject) -> None:
    service.fail(record.arn, error, termination_reason_for(error.type).value)


def _apply(
    service: InMemoryDurableService,
    record: ExecutionRecord,
    output: DurableExecutionInvocationOutput,
    retries: int,
) -> None:
    if record.is_terminal or record.cut_by_pause:
        # Stopped or timed out while the handler ran, or paused (it runs again once
        # resumed, replaying to the same outcome): its output is ignored.
        return
    checkpointed = record.checkpointed_outcome
    if output.status is InvocationStatus.SUCCEEDED:
        result = output.result
        if checkpointed is not None and checkpointed.payload is not None:
            result = checkpointed.payload
        service.succeed(record.arn, result)
    elif output.status is InvocationStatus.FAILED:
        error = output.error
        if error is None and checkpointed is not None:
            error = checkpointed.error
        _finish(
            service, record, error or ErrorObject("the handler reported FAILED without an error")
        )
    elif output.status is InvocationStatus.PENDING and has_pending_work(record):
        record.failed_invocations = 0
    else:
        reason = (
            "the handler returned PENDING but no operation is pending"
            if output.status is InvocationStatus.PENDING
            else f"invalid invocation status {output.status}"
        )
        _count_failure(service, record, ErrorObject(reason, "InvalidOutput"), retries)


def has_pending_work(record: ExecutionRecord) -> bool:
    return any(_pending(op.operation_type, op.status) for op in record.operations.values())


def _pending(kind: OperationType, status: OperationStatus) -> bool:
    if status in (OperationStatus.PENDING, OperationStatus.READY):
        return True
    return status is OperationStatus.STARTED and kind in (
        OperationType.WAIT,
        OperationType.CALLBACK,
        OperationType.CHAINED_INVOKE,
    )


def iter_waiting(record: ExecutionRecord) -> Iterator[str]:
    """What a stuck execution waits for, each with the call that would resolve it."""
    for op in record.operations.values():
        if op.status is not OperationStatus.STARTED:
            continue
        label = f"{op.name!r}" if op.name else f"id {op.operation_id}"
        if op.operation_type is OperationType.CALLBACK:
            callback_id = op.callback_details.callback_id if op.callback_details else "?"
            yield (
                f"callback {label} (callback_id {callback_id!r}): answer it with "
                "runner.send_callback_success/failure(callback_id, ...) after run_async(), "
                "or declare run(callbacks={name: value})"
            )
        elif op.operation_type is OperationType.CHAINED_INVOKE:
            yield f"chained invoke {label}: its target execution has not finished"
