"""``@durable_execution``: the Lambda entry point of a durable function.

One invocation: parse the event, page in the checkpointed operations, run the handler from
the top (operations replay from their checkpoints), flush pending checkpoints, and turn the
outcome into the invocation output:

- returned value → ``SUCCEEDED`` with its JSON (checkpointed instead when over the 6 MB
  response limit);
- a suspension → ``PENDING``;
- ``InvocationError`` (not a recorded operation failure) and retryable ``CheckpointError`` →
  raised, so Lambda fails the invocation and invokes again (docs/decisions.md, "SDK
  exceptions inside steps keep their meaning" and "Which checkpoint errors are retryable");
- any other exception, and any sticky failure (non-determinism, fatal checkpoint error) →
  ``FAILED`` with its ``ErrorObject``.
"""

from __future__ import annotations

import contextvars
import functools
import json
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, overload

import attrs

from aws_durable_execution_sdk_python._context import DurableContext
from aws_durable_execution_sdk_python._durability import (
    StepDurability,
    check_batch_size,
    check_step_durability,
)
from aws_durable_execution_sdk_python._model.enums import (
    InvocationStatus,
    OperationAction,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.invocation import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
)
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.loading import load_configured_plugins
from aws_durable_execution_sdk_python._plugins.manager import validate_plugins
from aws_durable_execution_sdk_python._plugins.registration import attach_plugins
from aws_durable_execution_sdk_python._plugins.reporter import reporter_for
from aws_durable_execution_sdk_python._service.client import DurableServiceClient
from aws_durable_execution_sdk_python._service.lambda_client import LambdaClient
from aws_durable_execution_sdk_python._state.checkpointer import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_START_FLUSH_WINDOW,
    check_start_flush_window,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python._state.reporting import SILENT, ExecutionReporter
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    DurableOperationError,
    InvocationError,
    SerDesError,
    SuspendExecution,
    ValidationError,
)
from aws_durable_execution_sdk_python.serdes import DEFAULT_JSON_SERDES, SerDesContext

__all__ = ["LAMBDA_RESPONSE_SIZE_LIMIT", "durable_execution"]

# Lambda's synchronous response limit (6 MiB) less room for the envelope around Result.
LAMBDA_RESPONSE_SIZE_LIMIT = 6 * 1024 * 1024 - 50

T = TypeVar("T")
Handler = Callable[[Any, DurableContext], Any]
LambdaHandler = Callable[..., dict[str, Any]]


@overload
def durable_execution(func: Handler, /) -> LambdaHandler: ...
@overload
def durable_execution(
    func: None = None,
    /,
    *,
    boto3_client: Any = None,
    plugins: Any = None,
    start_flush_window: float = DEFAULT_START_FLUSH_WINDOW,
    step_durability: StepDurability = StepDurability.IMMEDIATE,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> Callable[[Handler], LambdaHandler]: ...


def durable_execution(
    func: Handler | None = None,
    /,
    *,
    boto3_client: Any = None,
    plugins: Any = None,
    start_flush_window: float = DEFAULT_START_FLUSH_WINDOW,
    step_durability: StepDurability = StepDurability.IMMEDIATE,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> LambdaHandler | Callable[[Handler], LambdaHandler]:
    """Make ``handler(event, context: DurableContext)`` a durable Lambda handler.

    Use bare (``@durable_execution``) or with options (``@durable_execution(boto3_client=c)``).
    ``plugins`` is a list of plugins and plugin factories, called in list order (see
    :mod:`aws_durable_execution_sdk_python.plugin`). ``start_flush_window`` (seconds, default
    0.05) is how long an at-least-once step's START may wait to travel with the step's
    completion before it is sent on its own, so that a running step shows as started
    (``math.inf``: only with the completion); an invocation input that brings its own client
    may override it.

    ``step_durability=StepDurability.BATCHED`` makes batched durability the default of every
    at-least-once step whose ``StepConfig`` leaves ``durability`` unset: completions are held
    and sent together, at most ``batch_size`` per call (default 50; 1 to 732, what one
    checkpoint call can carry), earlier when an update that needs the service's answer, a
    suspension or the end of the invocation comes first. A step's result is then returned
    before it is durable; a crash repeats the steps completed since the last send.
    At-most-once steps are never batched.

    Raises:
        ValidationError: at decoration, when ``plugins`` is not a list of plugins (a plugin
            class, a lone plugin, a function) or a plugin's hook cannot be called with one
            info; when ``start_flush_window`` is not a number >= 0; when
            ``step_durability`` is not a ``StepDurability`` or ``batch_size`` not an int
            from 1 to 732; when invoked with an
            event that is not a durable invocation (docs/decisions.md, "Malformed
            invocation events").
    """
    window = check_start_flush_window(start_flush_window, "durable_execution")
    durability = _Durability(
        check_step_durability(step_durability, "durable_execution", "step_durability"),
        check_batch_size(batch_size, "durable_execution"),
    )
    if func is None:
        return functools.partial(
            _wrap,
            boto3_client=boto3_client,
            plugins=plugins,
            start_flush_window=window,
            durability=durability,
        )
    return _wrap(
        func,
        boto3_client=boto3_client,
        plugins=plugins,
        start_flush_window=window,
        durability=durability,
    )


@attrs.frozen
class _Durability:
    """A function's default step durability and its batch size, checked at decoration."""

    step_durability: StepDurability = StepDurability.IMMEDIATE
    batch_size: int = DEFAULT_BATCH_SIZE


def _wrap(
    func: Handler,
    *,
    boto3_client: Any,
    plugins: Any,
    start_flush_window: float,
    durability: _Durability,
) -> LambdaHandler:
    if not callable(func):
        raise ValidationError(f"durable_execution({func!r}): expected a handler function")
    plugins = tuple(load_configured_plugins(plugins))
    if plugins:
        validate_plugins(plugins)

    @functools.wraps(func)
    def lambda_handler(event: Any, lambda_context: Any = None) -> dict[str, Any]:
        window = start_flush_window
        if isinstance(event, DurableExecutionInvocationInputWithClient) and event.service_client:
            invocation: DurableExecutionInvocationInput = event
            client: DurableServiceClient = event.service_client
            if event.start_flush_window is not None:
                window = check_start_flush_window(
                    event.start_flush_window, "DurableExecutionInvocationInputWithClient"
                )
        else:
            invocation = DurableExecutionInvocationInput.from_dict(event)
            client = (
                LambdaClient(boto3_client)
                if boto3_client is not None
                else LambdaClient.initialize_client()
            )
        return run_invocation(
            func,
            invocation,
            client,
            lambda_context,
            plugins,
            start_flush_window=window,
            step_durability=durability.step_durability,
            batch_size=durability.batch_size,
        ).to_dict()

    lambda_handler._durable_handler = func  # type: ignore[attr-defined]
    attach_plugins(lambda_handler, plugins)
    return lambda_handler


def _input_event(state: ExecutionState) -> Any:
    details = state.execution_operation.execution_details
    payload = details.input_payload if details else None
    if payload is None or not payload.strip():
        return {}
    return json.loads(payload)


def run_invocation(
    func: Handler,
    invocation: DurableExecutionInvocationInput,
    client: DurableServiceClient,
    lambda_context: Any = None,
    plugins: Sequence[Any] = (),
    *,
    start_flush_window: float = DEFAULT_START_FLUSH_WINDOW,
    step_durability: StepDurability = StepDurability.IMMEDIATE,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> DurableExecutionInvocationOutput:
    try:
        state = ExecutionState.load(
            invocation,
            client,
            start_flush_window,
            step_durability=step_durability,
            batch_size=batch_size,
        )
    except BotoClientError as error:
        if error.is_retryable():
            raise
        return _failed(error)

    execution = state.operations.get(state.execution_operation_id)
    details = execution.execution_details if execution is not None else None
    reporter = reporter_for(
        plugins,
        execution_arn=state.durable_execution_arn,
        request_id=getattr(lambda_context, "aws_request_id", None),
        is_first_invocation=not state.has_prior_operations(),
        execution_start_time=execution.start_timestamp if execution is not None else None,
        execution_input=details.input_payload if details is not None else None,
        operations=state.operations,
        updated_operation_ids=state.updated_operation_ids,
    )
    if reporter is SILENT:
        return _reported_run(func, state, lambda_context, reporter)
    # The start hook, the handler and the end hook share one context of their own: what a
    # plugin binds at the start (an active span) is seen by the handler and gone after.
    return contextvars.copy_context().run(_reported_run, func, state, lambda_context, reporter)


def _reported_run(
    func: Handler, state: ExecutionState, lambda_context: Any, reporter: ExecutionReporter
) -> DurableExecutionInvocationOutput:
    state.reporter = reporter
    try:
        reporter.invocation_started()
        output = _run(func, state, lambda_context)
    except BaseException as error:
        reporter.invocation_raised(error)
        raise
    finally:
        state.close()  # no thread of this invocation outlives it
    reporter.invocation_ended(output.status, output.error, output.result)
    return output


def _run(
    func: Handler, state: ExecutionState, lambda_context: Any
) -> DurableExecutionInvocationOutput:
    context = DurableContext(state, lambda_context)
    try:
        try:
            result = func(_input_event(state), context)
        finally:
            state.flush()
    except SuspendExecution:
        if state.fatal_error is not None:
            return _failure_outcome(state, state.fatal_error)
        return DurableExecutionInvocationOutput(InvocationStatus.PENDING)
    except Exception as error:
        return _failure_outcome(state, state.fatal_error or error)
    if state.fatal_error is not None:
        return _failure_outcome(state, state.fatal_error)
    return _succeeded(state, result)


def _failure_outcome(
    state: ExecutionState, error: BaseException
) -> DurableExecutionInvocationOutput:
    if (
        isinstance(error, InvocationError)
        and not isinstance(error, DurableOperationError)
        and error.is_retryable()
    ):
        raise error  # Lambda fails this invocation and invokes the function again
    output = _failed(error)
    return _checkpoint_if_too_large(state, output)


def stack_trace(error: BaseException) -> list[str]:
    """Frames of the error and of its causes, where it was first raised first.

    One entry for each ``File ...`` line and one for each source line, as the seed's error
    response shows them. A failed operation's cause is the exception the user code raised.
    """
    chain = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__
    lines: list[str] = []
    for exc in reversed(chain):
        for frame in traceback.extract_tb(exc.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
            if frame.line:
                lines.append(f"    {frame.line}")
    return lines


def _failed(error: BaseException) -> DurableExecutionInvocationOutput:
    recorded = ErrorObject.from_exception(error)
    if recorded.stack_trace is None:
        recorded = attrs.evolve(recorded, stack_trace=stack_trace(error))
    return DurableExecutionInvocationOutput(InvocationStatus.FAILED, error=recorded)


def _succeeded(state: ExecutionState, value: Any) -> DurableExecutionInvocationOutput:
    # Plain JSON, as Lambda returns it; NaN and infinity are refused like everywhere a value
    # is serialised (docs/decisions.md, "Serialisation errors surface at the call site").
    try:
        payload = DEFAULT_JSON_SERDES.serialize(
            value, SerDesContext("", state.durable_execution_arn)
        )
    except (TypeError, ValueError, RecursionError) as error:
        failure = SerDesError(
            f"Cannot serialize the handler result: the handler returned a "
            f"{type(value).__name__}, which is not JSON ({error}). Return JSON data (dict, "
            "list, str, int, finite float, bool or None)"
        )
        failure.__cause__ = error
        return _failed(failure)
    output = DurableExecutionInvocationOutput(InvocationStatus.SUCCEEDED, result=payload)
    return _checkpoint_if_too_large(state, output)


def _checkpoint_if_too_large(
    state: ExecutionState, output: DurableExecutionInvocationOutput
) -> DurableExecutionInvocationOutput:
    """Over Lambda's response limit, the outcome goes through a checkpoint instead."""
    size = len(json.dumps(output.to_dict()))
    if size <= LAMBDA_RESPONSE_SIZE_LIMIT:
        return output
    succeeded = output.status is InvocationStatus.SUCCEEDED
    update = OperationUpdate(
        operation_id=f"execution-result-{int(time.time() * 1000)}",
        operation_type=OperationType.EXECUTION,
        action=OperationAction.SUCCEED if succeeded else OperationAction.FAIL,
        payload=output.result if succeeded else None,
        error=None if succeeded else output.error,
    )
    try:
        state.commit(update)
    except BotoClientError as error:
        if error.is_retryable():
            raise
        return _failed(error)
    return DurableExecutionInvocationOutput(output.status, result="" if succeeded else None)
