"""``LambdaClient``: the service client for the real Lambda API, over boto3.

The only module that knows botocore. Every botocore failure becomes a ``BotoClientError``
subclass classified as in docs/decisions.md, "Which checkpoint errors are retryable": 5xx,
throttling and a stale token retry the invocation; other 4xx fail the execution.
"""

from __future__ import annotations

import threading
from typing import Any

from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._service.client import CheckpointOutput, StateOutput
from aws_durable_execution_sdk_python.exceptions import (
    BotoClientError,
    CheckpointError,
    DurableApiErrorCategory,
    GetExecutionStateError,
)

__all__ = ["LambdaClient"]

_USER_AGENT = "aws-durable-execution-sdk-python"


def _rejected_by_model(error: Exception) -> bool:
    # Imported only here: botocore is loaded once one of its errors exists, and this keeps
    # it off the SDK's import path.
    from botocore.exceptions import ParamValidationError

    return isinstance(error, ParamValidationError)


def _as_error(kind: type[BotoClientError], operation: str, error: Exception) -> BotoClientError:
    response: dict[str, Any] | None = getattr(error, "response", None)
    if _rejected_by_model(error):
        # botocore refused to send it (a missing member, a wrong type, a value under the
        # model's minimum): every replay rebuilds the same request, so retrying the
        # invocation would loop. The service answers such requests with a 400, which fails
        # the execution too, like any other 4xx.
        return kind(
            f"{operation} failed: the request breaks the Lambda API model, so botocore "
            f"did not send it: {error}",
            error_category=DurableApiErrorCategory.EXECUTION,
        )
    if not isinstance(response, dict):
        # No response at all (network, timeouts, credentials): retry the invocation.
        return kind(f"{operation} failed: {error}")
    err = response.get("Error") or {}
    metadata = response.get("ResponseMetadata") or {}
    status = metadata.get("HTTPStatusCode")
    code = err.get("Code")
    message = str(err.get("Message") or err.get("message") or error)
    category = BotoClientError.classify(code, message, status)
    # A 4xx without an error body cannot be told apart from a transient failure.
    if not err:
        category = BotoClientError.classify(None, message, None)
    return kind(
        f"{operation} failed: {code or 'Error'}: {message}",
        error_category=category,
        error=err or None,
        response_metadata=metadata or None,
    )


class LambdaClient:
    """Calls ``CheckpointDurableExecution`` and ``GetDurableExecutionState`` through boto3."""

    _default: Any = None
    _default_lock = threading.Lock()

    def __init__(self, client: Any) -> None:
        self._client = client

    @classmethod
    def initialize_client(cls) -> LambdaClient:
        """One boto3 ``lambda`` client per process, made on first use."""
        with cls._default_lock:
            if cls._default is None:
                import boto3
                from botocore.config import Config

                cls._default = boto3.client(
                    "lambda",
                    config=Config(connect_timeout=5, read_timeout=50, user_agent_extra=_USER_AGENT),
                )
            return cls(cls._default)

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        request: dict[str, Any] = {
            "DurableExecutionArn": durable_execution_arn,
            "CheckpointToken": checkpoint_token,
            "Updates": [update.to_dict() for update in updates],
        }
        if client_token is not None:
            request["ClientToken"] = client_token
        try:
            response = self._client.checkpoint_durable_execution(**request)
        except Exception as error:  # botocore raises many unrelated classes
            raise _as_error(CheckpointError, "CheckpointDurableExecution", error) from error
        return CheckpointOutput.from_dict(response)

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput:
        request: dict[str, Any] = {
            "DurableExecutionArn": durable_execution_arn,
            "CheckpointToken": checkpoint_token,
            "MaxItems": max_items,
        }
        if next_marker:
            request["Marker"] = next_marker
        try:
            response = self._client.get_durable_execution_state(**request)
        except Exception as error:
            raise _as_error(GetExecutionStateError, "GetDurableExecutionState", error) from error
        return StateOutput.from_dict(response)
