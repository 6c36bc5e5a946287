"""The wire model of the Lambda durable-execution API and the service-client protocol."""

from aws_durable_execution_sdk_python._model.enums import (
    CallbackTimeoutType,
    InvocationStatus,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.invocation import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
    InitialExecutionState,
)
from aws_durable_execution_sdk_python._model.operation import (
    CallbackDetails,
    ChainedInvokeDetails,
    ContextDetails,
    ExecutionDetails,
    Operation,
    StepDetails,
    WaitDetails,
)
from aws_durable_execution_sdk_python._model.update import (
    CallbackOptions,
    ChainedInvokeOptions,
    ContextOptions,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from aws_durable_execution_sdk_python._service.client import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableServiceClient,
    StateOutput,
)
from aws_durable_execution_sdk_python._service.lambda_client import LambdaClient

__all__ = [
    "CallbackDetails",
    "CallbackOptions",
    "CallbackTimeoutType",
    "ChainedInvokeDetails",
    "ChainedInvokeOptions",
    "CheckpointOutput",
    "CheckpointUpdatedExecutionState",
    "ContextDetails",
    "ContextOptions",
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "DurableExecutionInvocationOutput",
    "DurableServiceClient",
    "ErrorObject",
    "ExecutionDetails",
    "InitialExecutionState",
    "InvocationStatus",
    "LambdaClient",
    "Operation",
    "OperationAction",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
    "OperationUpdate",
    "StateOutput",
    "StepDetails",
    "StepOptions",
    "WaitDetails",
    "WaitOptions",
]
