"""The Lambda entry point (``durable_execution``) and the invocation's input and output."""

from aws_durable_execution_sdk_python._execution import (
    LAMBDA_RESPONSE_SIZE_LIMIT,
    durable_execution,
)
from aws_durable_execution_sdk_python._model.enums import InvocationStatus
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.invocation import (
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
    InitialExecutionState,
)
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._service.lambda_client import LambdaClient
from aws_durable_execution_sdk_python._state.step_faults import (
    StepFaultSource,
    inject_step_faults,
)

__all__ = [
    "LAMBDA_RESPONSE_SIZE_LIMIT",
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "DurableExecutionInvocationOutput",
    "ErrorObject",
    "InitialExecutionState",
    "InvocationStatus",
    "LambdaClient",
    "Operation",
    "OperationUpdate",
    "StepFaultSource",
    "durable_execution",
    "inject_step_faults",
]
