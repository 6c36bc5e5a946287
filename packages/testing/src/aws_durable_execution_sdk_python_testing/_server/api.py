"""Each served operation as a function of its parameters: one table, one line per operation.

The parameters arrive typed and named as botocore's model has them (``wire``); each function
checks what the service does not, calls the service under the backend's lock, and returns
the response members by name. Errors are the service's own ``ServiceApiError`` classes.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationUpdate
from aws_durable_execution_sdk_python_testing._arguments import function_key, qualifier
from aws_durable_execution_sdk_python_testing._describe import describe_execution
from aws_durable_execution_sdk_python_testing._server.backend import Backend
from aws_durable_execution_sdk_python_testing._server.errors import (
    DurableExecutionAlreadyStartedException,
    InvalidRequestContentException,
    RequestTooLargeException,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)

__all__ = ["HANDLERS"]

_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_DEFAULT_PAGE = 100  # botocore: "The default is 100 ... A value of 0 uses the default."
# Invoke's payload quotas: 6 MB synchronous, 1 MB asynchronous.
_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
_ASYNC_PAYLOAD_BYTES = 1024 * 1024


Params = Mapping[str, Any]
Handler = Callable[[Backend, Params], dict[str, Any]]


def _required(params: Params, *members: str) -> None:
    for member in members:
        if params.get(member) in (None, ""):
            raise InvalidParameterValueException(f"{member} is required")


def _page_size(params: Params) -> int:
    size = int(params.get("MaxItems") or 0)
    if not 0 <= size <= 1000:
        raise InvalidParameterValueException(f"MaxItems must be between 0 and 1000, got {size}")
    return size or _DEFAULT_PAGE


def _error(value: Any, member: str) -> ErrorObject | None:
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise InvalidParameterValueException(f"{member} must be an ErrorObject structure")
    return ErrorObject.from_dict(value)


# -- the durable-execution API the SDK calls ----------------------------------------------


def checkpoint(backend: Backend, params: Params) -> dict[str, Any]:
    _required(params, "DurableExecutionArn", "CheckpointToken")
    raw = params.get("Updates") or []
    if not isinstance(raw, list):
        raise InvalidParameterValueException("Updates must be a list of OperationUpdate")
    try:
        updates = [OperationUpdate.from_dict(update) for update in raw]
    except (KeyError, ValueError, TypeError, AttributeError) as error:
        raise InvalidParameterValueException(f"Invalid OperationUpdate: {error!r}") from None
    with backend.locked() as service:
        output = service.checkpoint(
            params["DurableExecutionArn"],
            params["CheckpointToken"],
            updates,
            params.get("ClientToken"),
        )
    state = output.new_execution_state
    return {
        "CheckpointToken": output.checkpoint_token,
        "NewExecutionState": {
            "Operations": [op.to_dict() for op in state.operations],
            "NextMarker": state.next_marker,
        },
    }


def get_state(backend: Backend, params: Params) -> dict[str, Any]:
    _required(params, "DurableExecutionArn", "CheckpointToken")
    with backend.locked() as service:
        output = service.get_execution_state(
            params["DurableExecutionArn"],
            params["CheckpointToken"],
            params.get("Marker") or "",
            _page_size(params),
        )
    return {
        "Operations": [op.to_dict() for op in output.operations],
        "NextMarker": output.next_marker,
    }


# -- reading and managing executions --------------------------------------------------------


def get_execution(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        record = service.get(params["DurableExecutionArn"])
        return describe_execution(record, bool(params.get("IncludeExecutionData", True)))


def get_history(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        return service.get_execution_history(
            params["DurableExecutionArn"],
            bool(params.get("IncludeExecutionData", True)),
            _page_size(params),
            params.get("Marker"),
            bool(params.get("ReverseOrder", False)),
        )


def list_by_function(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        return service.list_executions(
            params["FunctionName"],
            qualifier=params.get("Qualifier"),
            execution_name=params.get("DurableExecutionName"),
            statuses=params.get("Statuses"),
            started_after=params.get("StartedAfter"),
            started_before=params.get("StartedBefore"),
            reverse_order=bool(params.get("ReverseOrder", False)),
            marker=params.get("Marker"),
            max_items=_page_size(params),
        )


def stop(backend: Backend, params: Params) -> dict[str, Any]:
    error = _error(params.get("Error"), "Error")
    with backend.locked() as service:
        service.stop(params["DurableExecutionArn"], error)
        return {"StopTimestamp": backend.clock.now_datetime()}


def pause(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        service.pause_execution(
            params["DurableExecutionArn"],
            reason=params.get("Reason"),
            execution_timeout_paused=bool(params.get("ExecutionTimeoutPaused", True)),
            client_token=params.get("ClientToken"),
        )
    return {}


def resume(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        service.resume_execution(
            params["DurableExecutionArn"],
            reason=params.get("Reason"),
            client_token=params.get("ClientToken"),
        )
    return {}


def delete(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        when = service.delete_execution(params["DurableExecutionArn"])
    return {"DeletionRequestTimestamp": when}


# -- callbacks -----------------------------------------------------------------------------


def callback_success(backend: Backend, params: Params) -> dict[str, Any]:
    raw = params.get("Result") or b""
    limit = backend.service.limits.max_operation_payload_bytes
    if len(raw) > limit:
        raise InvalidParameterValueException(
            f"Result is {len(raw)} bytes; a callback result may be at most {limit} bytes"
        )
    try:
        result = raw.decode() if raw else None
    except UnicodeDecodeError:
        raise InvalidParameterValueException("Result must be UTF-8 text") from None
    with backend.locked() as service:
        service.send_callback_success(params["CallbackId"], result)
    return {}


def callback_failure(backend: Backend, params: Params) -> dict[str, Any]:
    error = _error(params.get("Error"), "Error")
    with backend.locked() as service:
        service.send_callback_failure(params["CallbackId"], error)
    return {}


def callback_heartbeat(backend: Backend, params: Params) -> dict[str, Any]:
    with backend.locked() as service:
        service.send_callback_heartbeat(params["CallbackId"])
    return {}


# -- Invoke: what starts a durable execution -----------------------------------------------


def invoke(backend: Backend, params: Params) -> dict[str, Any]:
    """Start (or find, by name) an execution of a durable function; ``RequestResponse``
    waits for its end, ``Event`` answers 202 at once (docs/decisions.md, "The local server")."""
    name = params["FunctionName"]
    kind = params.get("InvocationType") or "RequestResponse"
    if kind not in ("RequestResponse", "Event", "DryRun"):
        raise InvalidParameterValueException(
            f"InvocationType must be RequestResponse, Event or DryRun, got {kind!r}"
        )
    if not backend.knows(name):
        raise ResourceNotFoundException(
            f"Function not found: {name}; this server serves "
            f"{', '.join(sorted(backend.functions)) or 'no function'}"
        )
    payload: bytes = params.get("Payload") or b""
    limit = _SYNC_PAYLOAD_BYTES if kind == "RequestResponse" else _ASYNC_PAYLOAD_BYTES
    if len(payload) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the {kind} invocation type"
        )
    text = _json_text(payload)
    if kind == "DryRun":
        return {"StatusCode": 204}
    execution_name = params.get("DurableExecutionName") or str(uuid.uuid4())
    if not _NAME.fullmatch(execution_name):
        raise InvalidParameterValueException(
            f"DurableExecutionName {execution_name!r} must match [a-zA-Z0-9-_]{{1,64}}"
        )
    key = function_key(name)
    with backend.locked() as service:
        record = _named(backend, key, execution_name)
        if record is None:
            record = service.start_execution(
                key,
                execution_name,
                text,
                backend.execution_timeout,
                qualifier=params.get("Qualifier") or qualifier(name),
            )
        elif record.input_payload != (text or ""):
            raise DurableExecutionAlreadyStartedException(
                f"Durable execution {execution_name} of {key} has already been started "
                "with a different payload"
            )
    if kind == "Event":
        return {"StatusCode": 202, "DurableExecutionArn": record.arn, "Payload": b""}
    backend.wait_until(lambda: record.is_terminal, backend.sync_invoke_timeout)
    return _sync_response(record)


def _json_text(payload: bytes) -> str | None:
    if not payload.strip():
        return None
    try:
        text = payload.decode()
        json.loads(text)
    except ValueError:
        raise InvalidRequestContentException(
            "Could not parse request body into json: the payload must be JSON"
        ) from None
    return text


def _named(backend: Backend, function: str, execution_name: str) -> ExecutionRecord | None:
    for record in backend.service.executions.values():
        if record.function_name == function and record.execution_name == execution_name:
            return record
    return None


def _sync_response(record: ExecutionRecord) -> dict[str, Any]:
    response: dict[str, Any] = {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "DurableExecutionArn": record.arn,
    }
    if record.status is ExecutionStatus.SUCCEEDED:
        response["Payload"] = (record.result or "null").encode()
    elif record.is_terminal:
        error = record.error or ErrorObject(f"Execution {record.status.value}")
        response["FunctionError"] = "Unhandled"
        response["Payload"] = json.dumps(
            {"errorMessage": error.message, "errorType": error.type}
        ).encode()
    else:  # still running past the synchronous wait: the execution goes on
        response["Payload"] = b"null"
    return response


HANDLERS: dict[str, Handler] = {
    "CheckpointDurableExecution": checkpoint,
    "GetDurableExecutionState": get_state,
    "GetDurableExecution": get_execution,
    "GetDurableExecutionHistory": get_history,
    "ListDurableExecutionsByFunction": list_by_function,
    "StopDurableExecution": stop,
    "PauseDurableExecution": pause,
    "ResumeDurableExecution": resume,
    "DeleteDurableExecution": delete,
    "SendDurableExecutionCallbackSuccess": callback_success,
    "SendDurableExecutionCallbackFailure": callback_failure,
    "SendDurableExecutionCallbackHeartbeat": callback_heartbeat,
    "Invoke": invoke,
}
