"""``wait_for_condition``: poll a check function with durable waits between attempts.

A STEP operation of subtype WaitForCondition: each attempt runs ``check(state)``, asks the
wait strategy, then SUCCEEDs with the final state or RETRYs with the new state as payload
and the strategy's delay; the next attempt resumes from that checkpointed state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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
from aws_durable_execution_sdk_python.config import MAX_WAIT_SECONDS
from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    InvocationError,
    WaitForConditionError,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.logger import Logger, never_replaying
from aws_durable_execution_sdk_python.serdes import deserialize, serialize
from aws_durable_execution_sdk_python.types import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig

__all__ = ["run_wait_for_condition"]

T = TypeVar("T")


def run_wait_for_condition(
    state: ExecutionState,
    identifier: OperationIdentifier,
    check: Callable[[T, WaitForConditionCheckContext], T],
    config: WaitForConditionConfig[T],
    logger: Logger,
) -> T:
    op = checkpointed(state, identifier)
    details = op.step_details if op is not None else None
    attempt = (details.attempt if details else 0) + 1
    arn = state.durable_execution_arn
    if op is not None:
        if op.status is OperationStatus.SUCCEEDED:
            result = details.result if details else None
            if result is None:
                return None  # type: ignore[return-value]
            value: T = deserialize(
                config.serdes, result, identifier.operation_id, arn, identifier.name
            )
            return value
        if op.status is OperationStatus.FAILED:
            raise operation_error(
                WaitForConditionError, details.error if details else None, identifier.operation_id
            )
        if op.status is OperationStatus.PENDING:
            raise suspend_until(
                f"wait_for_condition {identifier.operation_id} polls again later",
                details.next_attempt_timestamp if details else None,
            )
    if op is None or op.status is not OperationStatus.STARTED:
        state.enqueue(update_for(identifier, OperationAction.START))
    check_logger = logger.derive(
        never_replaying,
        operationId=identifier.operation_id,
        operationName=identifier.name,
        attempt=attempt,
    )
    state.reporter.user_function_started(identifier, attempt)
    try:
        current = config.initial_state
        if details is not None and details.attempt >= 1:
            # A RETRY stored the state the next attempt starts from; no payload is a state
            # of None (a custom serdes may store None so).
            current = load_payload(state, identifier, config.serdes, details.result)
        inside = ENCLOSING_STEP.set(identifier)
        try:
            new_state = check(
                current, WaitForConditionCheckContext(logger=check_logger, attempt=attempt)
            )
        finally:
            ENCLOSING_STEP.reset(inside)
        decision = config.wait_strategy(new_state, attempt)
        payload = serialize(config.serdes, new_state, identifier.operation_id, arn, identifier.name)
    except Exception as error:
        state.reporter.user_function_ended(identifier, error)
        if state.fatal_error is not None:
            raise state.fatal_error from error
        if isinstance(error, InvocationError) and not isinstance(error, DurableOperationError):
            raise
        recorded = ErrorObject.from_exception(error).fitted()
        state.commit(update_for(identifier, OperationAction.FAIL, error=recorded))
        failure = operation_error(
            WaitForConditionError, recorded, identifier.operation_id, cause=error
        )
        # The builder's cause (the user's exception), the same rule as on replay.
        raise failure from failure.__cause__
    except BaseException as error:  # cut short: the execution suspends
        state.reporter.user_function_ended(identifier, error)
        raise
    state.reporter.user_function_ended(identifier, None)
    if not decision.should_continue:
        state.commit(update_for(identifier, OperationAction.SUCCEED, payload=payload))
        return new_state
    delay = min(max(1, int(decision.delay_seconds)), MAX_WAIT_SECONDS)
    state.commit(
        update_for(
            identifier,
            OperationAction.RETRY,
            payload=payload,
            step_options=StepOptions(next_attempt_delay_seconds=delay),
        )
    )
    op = state.get(identifier.operation_id)
    when = op.step_details.next_attempt_timestamp if op and op.step_details else None
    raise suspend_until(f"wait_for_condition {identifier.operation_id} polls in {delay}s", when)
