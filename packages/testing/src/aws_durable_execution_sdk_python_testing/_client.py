"""The SDK's ``DurableServiceClient`` over the in-memory service.

Service errors become the SDK's ``CheckpointError`` / ``GetExecutionStateError``, classified
by the SDK's own rule, exactly as the boto3 client turns botocore errors into them. Injected
faults (``faults`` module) are asked before each call and after each checkpoint call, so a
faulted call fails with the same errors, and a crash ends the invocation from the very place
a real one would: inside a service call.
"""

from __future__ import annotations

from aws_durable_execution_sdk_python.exceptions import CheckpointError, GetExecutionStateError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python_testing._faults import FaultRegistry
from aws_durable_execution_sdk_python_testing._service.errors import ServiceApiError
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing.faults import ServiceApi

__all__ = ["InMemoryServiceClient"]


class InMemoryServiceClient:
    """Implements ``DurableServiceClient`` by calling the service in-process."""

    def __init__(
        self, service: InMemoryDurableService, faults: FaultRegistry | None = None
    ) -> None:
        self.service = service
        self.faults = faults
        self.checkpoint_calls = 0

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        self.checkpoint_calls += 1
        faults = self.faults
        try:
            call = 0
            if faults is not None:
                call = faults.before_call(ServiceApi.CHECKPOINT, durable_execution_arn)
            output = self.service.checkpoint(
                durable_execution_arn, checkpoint_token, updates, client_token
            )
        except ServiceApiError as error:
            raise _convert(CheckpointError, "CheckpointDurableExecution", error) from error
        if faults is not None:
            faults.after_checkpoint(durable_execution_arn, call, updates)
        return output

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput:
        try:
            if self.faults is not None:
                self.faults.before_call(ServiceApi.GET_EXECUTION_STATE, durable_execution_arn)
            return self.service.get_execution_state(
                durable_execution_arn, checkpoint_token, next_marker, max_items
            )
        except ServiceApiError as error:
            raise _convert(GetExecutionStateError, "GetDurableExecutionState", error) from error


def _convert(
    kind: type[CheckpointError] | type[GetExecutionStateError],
    operation: str,
    error: ServiceApiError,
) -> CheckpointError | GetExecutionStateError:
    return kind(
        f"{operation} failed: {error.code}: {error.message}",
        error_category=kind.classify(error.code, error.message, error.http_status),
        error={"Code": error.code, "Message": error.message},
        response_metadata={"HTTPStatusCode": error.http_status},
    )
