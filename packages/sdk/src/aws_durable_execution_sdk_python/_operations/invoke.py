"""``invoke``: call another durable function and wait for its result (chained invoke).

START carries the payload and the target; the service runs the target as its own
execution and completes this operation with its result or error. No timer, no retries:
the invocation suspends until then.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
)
from aws_durable_execution_sdk_python._model.update import ChainedInvokeOptions
from aws_durable_execution_sdk_python._operations.failures import operation_error
from aws_durable_execution_sdk_python._operations.replay import (
    checkpointed,
    suspend_until,
    update_for,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import InvokeConfig
from aws_durable_execution_sdk_python.exceptions import InvokeError
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.serdes import DEFAULT_JSON_SERDES, deserialize, serialize

__all__ = ["run_invoke"]

_DEFAULT: InvokeConfig[Any] = InvokeConfig()
_FAILED = (OperationStatus.FAILED, OperationStatus.TIMED_OUT, OperationStatus.STOPPED)


def run_invoke(
    state: ExecutionState,
    identifier: OperationIdentifier,
    function_name: str,
    payload: Any,
    config: InvokeConfig[Any] | None,
) -> Any:
    config = config or _DEFAULT
    op = checkpointed(state, identifier)
    named = f"{identifier.name!r} " if identifier.name else ""
    invoke = f"invoke {named}(id {identifier.operation_id})"
    if op is None:
        # A failure here is about what the caller sends, not about a result: say so.
        text = serialize(
            config.serdes_payload or DEFAULT_JSON_SERDES,
            payload,
            identifier.operation_id,
            state.durable_execution_arn,
            identifier.name,
            subject=f"the payload of {invoke} to function {function_name!r}",
        )
        trace = state.reporter.chained_invoke_trace(identifier, function_name)
        options = ChainedInvokeOptions(function_name, config.tenant_id, trace)
        state.commit(
            update_for(
                identifier, OperationAction.START, payload=text, chained_invoke_options=options
            )
        )
        op = state.get(identifier.operation_id)
    details = op.chained_invoke_details if op is not None else None
    if op is not None and op.status is OperationStatus.SUCCEEDED:
        result = details.result if details else None
        if result is None:
            return None
        return deserialize(
            config.serdes_result or DEFAULT_JSON_SERDES,
            result,
            identifier.operation_id,
            state.durable_execution_arn,
            identifier.name,
            subject=f"the result of {invoke} from function {function_name!r}",
        )
    if op is not None and op.status in _FAILED:
        raise operation_error(
            InvokeError, details.error if details else None, identifier.operation_id
        )
    raise suspend_until(f"invoke of {function_name} has not finished", None)
