"""``step``: run a function once (per retry attempt), checkpoint its result, replay it after.

First run: START (queued for at-least-once, and sent on its own if the body is still
running after the checkpointer's start flush window; sent and confirmed for at-most-once),
run the body, then SUCCEED with the serialised result, RETRY with a delay, or FAIL. Replay
by the checkpointed status: SUCCEEDED returns the stored result without running anything,
FAILED raises the stored error, PENDING suspends until the retry is due, STARTED re-runs the
body (at-least-once) or counts as an interrupted attempt (at-most-once; docs/decisions.md,
"Interrupted at-most-once steps").

A batched step (``StepDurability.BATCHED``, at-least-once only) holds its START and SUCCEED
in the checkpointer instead: the result is returned before it is durable, and a crash before
the batch is sent runs the body again in the next invocation. Its RETRY and FAIL are
committed as for any step: they suspend the invocation or raise into user code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_durable_execution_sdk_python._durability import StepDurability
from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.update import StepOptions
from aws_durable_execution_sdk_python._operations.enclosing import ENCLOSING_STEP
from aws_durable_execution_sdk_python._operations.failures import operation_error
from aws_durable_execution_sdk_python._operations.replay import (
    checkpointed,
    load_payload,
    suspend_until,
    update_for,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import MAX_WAIT_SECONDS, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    InvocationError,
    SerDesError,
    StepError,
    StepInterruptedError,
    UnrecoverableError,
    ValidationError,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.logger import Logger, never_replaying
from aws_durable_execution_sdk_python.retries import RetryDecision, RetryPresets
from aws_durable_execution_sdk_python.serdes import SerDes, serialize
from aws_durable_execution_sdk_python.types import StepContext

__all__ = ["run_step"]

T = TypeVar("T")

_DEFAULT_CONFIG = StepConfig()

# Raised in a step body, these fail the step at once (InvocationError, also unrecoverable,
# is caught before them: it fails the invocation instead).
_NOT_RETRYABLE = (UnrecoverableError, ValidationError, SerDesError)


def run_step(
    state: ExecutionState,
    identifier: OperationIdentifier,
    func: Callable[[StepContext], T],
    config: StepConfig | None,
    logger: Logger,
) -> T:
    config = config or _DEFAULT_CONFIG
    op = checkpointed(state, identifier)
    attempt = 1
    if op is not None:
        details = op.step_details
        attempt = (details.attempt if details else 0) + 1
        status = op.status
        if status is OperationStatus.SUCCEEDED:
            result = details.result if details else None
            loaded: T = load_payload(state, identifier, config.serdes, result)
            return loaded
        if status is OperationStatus.FAILED:
            raise operation_error(
                StepError, details.error if details else None, identifier.operation_id
            )
        if status is OperationStatus.PENDING:
            raise suspend_until(
                f"step {identifier.operation_id} waits for its next attempt",
                details.next_attempt_timestamp if details else None,
            )
        if status is OperationStatus.STARTED:
            if config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY:
                interrupted = StepInterruptedError(
                    f"step {identifier.name or identifier.operation_id} was interrupted before "
                    "its result was checkpointed; at-most-once semantics forbid running it "
                    "again in the same attempt",
                    step_id=identifier.operation_id,
                )
                _retry_or_fail(state, identifier, config, interrupted, attempt)
            return _execute(state, identifier, func, config, logger, attempt, started=True)
    return _execute(state, identifier, func, config, logger, attempt, started=False)


def _execute(
    state: ExecutionState,
    identifier: OperationIdentifier,
    func: Callable[[StepContext], T],
    config: StepConfig,
    logger: Logger,
    attempt: int,
    *,
    started: bool,
) -> T:
    batched = _is_batched(state, config)
    if not started:
        start = update_for(identifier, OperationAction.START)
        if config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY:
            state.commit(start)  # the START must be durable before the body may run
        elif batched:
            state.hold(start)  # no window: it travels with the batch
        else:
            state.enqueue(start)
    step_logger = logger.derive(
        never_replaying,
        operationId=identifier.operation_id,
        operationName=identifier.name,
        attempt=attempt,
    )
    state.reporter.user_function_started(identifier, attempt)
    try:
        inside = ENCLOSING_STEP.set(identifier)
        try:
            injected = (
                state.step_faults.step_fault(identifier.name, identifier.operation_id, attempt)
                if state.step_faults is not None
                else None
            )
            if injected is not None:
                raise injected  # as if the body raised it; the body does not run
            result = func(StepContext(logger=step_logger, attempt=attempt))
        finally:
            ENCLOSING_STEP.reset(inside)
    except InvocationError as error:
        # docs/decisions.md, "SDK exceptions inside steps keep their meaning": the
        # invocation fails and Lambda invokes again; nothing is recorded.
        state.reporter.user_function_ended(identifier, error)
        raise
    except _NOT_RETRYABLE as error:
        state.reporter.user_function_ended(identifier, error)
        # docs/decisions.md, "Non-retryable SDK exceptions inside steps": permanent by
        # definition; recorded, and no retry strategy is asked.
        _fail(state, identifier, error)
    except Exception as error:
        state.reporter.user_function_ended(identifier, error)
        _retry_or_fail(state, identifier, config, error, attempt)
    except BaseException as error:  # cut short: the execution suspends
        state.reporter.user_function_ended(identifier, error)
        raise
    state.reporter.user_function_ended(identifier, None)
    payload = serialize(
        config.serdes, result, identifier.operation_id, state.durable_execution_arn, identifier.name
    )
    succeed = update_for(identifier, OperationAction.SUCCEED, payload=payload)
    if batched:
        state.hold(succeed)
    else:
        state.commit(succeed)
    if config.serdes is None and SerDes.is_primitive(result):
        return result  # JSON primitives come back from the default serdes unchanged
    # Round-trip, so the first run returns exactly what every replay will.
    loaded: T = load_payload(state, identifier, config.serdes, payload)
    return loaded


def _is_batched(state: ExecutionState, config: StepConfig) -> bool:
    # An at-most-once step is never batched, whatever the function's default says:
    # StepConfig refuses the explicit combination, the default simply does not apply.
    durability = config.durability or state.step_durability
    return (
        durability is StepDurability.BATCHED
        and config.step_semantics is StepSemantics.AT_LEAST_ONCE_PER_RETRY
    )


def _fail(state: ExecutionState, identifier: OperationIdentifier, error: Exception) -> None:
    recorded = ErrorObject.from_exception(error).fitted()
    state.commit(update_for(identifier, OperationAction.FAIL, error=recorded))
    raise operation_error(StepError, recorded, identifier.operation_id, cause=error)


def _retry_or_fail(
    state: ExecutionState,
    identifier: OperationIdentifier,
    config: StepConfig,
    error: Exception,
    attempt: int,
) -> None:
    strategy = config.retry_strategy or RetryPresets.default()
    if isinstance(error, DurableOperationError):
        decision = RetryDecision.no_retry()  # an already-recorded failure: retrying can't help
    else:
        decision = strategy(error, attempt)
    if not decision.should_retry:
        _fail(state, identifier, error)
    delay = min(max(1, int(decision.delay_seconds)), MAX_WAIT_SECONDS)
    state.commit(
        update_for(
            identifier,
            OperationAction.RETRY,
            error=ErrorObject.from_exception(error).fitted(),
            step_options=StepOptions(next_attempt_delay_seconds=delay),
        )
    )
    op = state.get(identifier.operation_id)
    when = op.step_details.next_attempt_timestamp if op and op.step_details else None
    raise suspend_until(f"step {identifier.operation_id} retries in {delay}s", when)
