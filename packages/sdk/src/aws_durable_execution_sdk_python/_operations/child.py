"""``run_in_child_context``: a named group of operations with its own id space.

START is queued (it needs no answer); the body runs with a child context whose operations
carry this operation's id as ``ParentId`` and as their id prefix; SUCCEED stores the result,
FAIL the error. A result over the per-operation limit is not stored: the context is marked
``ReplayChildren`` and replays re-run the body, whose operations return their own
checkpoints. Replay of a completed context returns the stored result without running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.update import ContextOptions, OperationUpdate
from aws_durable_execution_sdk_python._operations.failures import operation_error
from aws_durable_execution_sdk_python._operations.replay import (
    checkpointed,
    load_payload,
    update_for,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import ChildConfig
from aws_durable_execution_sdk_python.exceptions import (
    ChildContextError,
    DurableOperationError,
    ExecutionError,
    InvocationError,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.serdes import serialize
from aws_durable_execution_sdk_python.types import DurableContext

__all__ = ["CHILD_RESULT_LIMIT", "run_child"]

T = TypeVar("T")

# Results longer than this (characters of the serialised payload) are not checkpointed.
CHILD_RESULT_LIMIT = 256 * 1024

_DEFAULT: ChildConfig[Any] = ChildConfig()


def run_child(
    state: ExecutionState,
    identifier: OperationIdentifier,
    func: Callable[[Any], T],
    config: ChildConfig[Any] | None,
    make_context: Callable[[str], DurableContext],
    error_class: type[DurableOperationError] = ChildContextError,
    *,
    record: Callable[[OperationUpdate], None] | None = None,
) -> T:
    """Run ``func`` in a child context; ``record`` takes the SUCCEED/FAIL instead of a
    commit that waits for it (map items: the batch queues it, or not, as it counts the item,
    and its own completion sends it)."""
    config = config or _DEFAULT
    complete = record or state.commit
    op = checkpointed(state, identifier)
    replaying_children = False
    if op is not None:
        details = op.context_details
        if op.status is OperationStatus.SUCCEEDED:
            if details is None or not details.replay_children:
                payload = details.result if details else None
                loaded: T = load_payload(state, identifier, config.serdes, payload)
                return loaded
            replaying_children = True
        elif op.status is OperationStatus.FAILED:
            raise operation_error(
                error_class, details.error if details else None, identifier.operation_id
            )
    elif not config.is_virtual:
        state.enqueue(update_for(identifier, OperationAction.START))
    child = make_context(identifier.operation_id)
    # Attempt 1 for a context that starts now; None when an existing one runs again.
    state.reporter.user_function_started(identifier, 1 if op is None else None)
    try:
        result = func(child)
    except Exception as error:
        state.reporter.user_function_ended(identifier, error)
        if state.fatal_error is not None:
            raise state.fatal_error from error
        if isinstance(error, InvocationError) and not isinstance(error, DurableOperationError):
            raise  # the invocation fails and is retried; nothing is recorded
        if replaying_children or config.is_virtual:
            if config.is_virtual and not isinstance(error, ExecutionError):
                state.reporter.checkpointless_ended(identifier, error, replayed=False)
            failure = operation_error(
                error_class, ErrorObject.from_exception(error), identifier.operation_id, cause=error
            )
            # The builder's cause (the user's exception), the same rule as on replay.
            raise failure from failure.__cause__
        recorded = ErrorObject.from_exception(error).fitted()
        complete(update_for(identifier, OperationAction.FAIL, error=recorded))
        failure = operation_error(error_class, recorded, identifier.operation_id, cause=error)
        raise failure from failure.__cause__
    except BaseException as error:  # cut short: the execution suspends
        state.reporter.user_function_ended(identifier, error)
        raise
    state.reporter.user_function_ended(identifier, None)
    if replaying_children or config.is_virtual:
        state.reporter.checkpointless_ended(identifier, None, replayed=replaying_children)
        return result
    payload = serialize(
        config.serdes, result, identifier.operation_id, state.durable_execution_arn, identifier.name
    )
    # None: a custom serdes stored a None result as no payload.
    replay_children = payload is not None and len(payload) > CHILD_RESULT_LIMIT
    if replay_children:
        payload = config.summary_generator(result) if config.summary_generator else ""
    complete(
        update_for(
            identifier,
            OperationAction.SUCCEED,
            payload=payload,
            context_options=ContextOptions(replay_children=replay_children),
        )
    )
    if replay_children or config.serdes is None:
        # The default serdes gives back an equal value, so the function's own result is
        # returned (no copy); a custom serdes may transform it, and the first run must
        # return what replays will (conformance 3-14).
        return result
    stored: T = load_payload(state, identifier, config.serdes, payload)
    return stored
