"""Test durable functions locally, in milliseconds, on a virtual clock."""

from aws_durable_execution_sdk_python.lambda_service import InvocationStatus
from aws_durable_execution_sdk_python_testing._arguments import RunnerMode
from aws_durable_execution_sdk_python_testing._child_runner import DurableChildContextTestRunner
from aws_durable_execution_sdk_python_testing._cloud_api import (
    LambdaApiError,
    UnsupportedInCloudError,
)
from aws_durable_execution_sdk_python_testing._cloud_runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing._result import (
    DurableFunctionTestResult,
    ExecutionErrorDetails,
)
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._service.execution import Limits
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._views import decode_payload
from aws_durable_execution_sdk_python_testing.callbacks import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    CallbackTimeout,
    CreatedCallback,
)
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
    StuckExecutionError,
)
from aws_durable_execution_sdk_python_testing.hooks import HookEvent, HookRecorder

__version__ = "0.1.0"

# The existing examples' helper name, for tests ported from there.
deserialize_operation_payload = decode_payload

__all__ = [
    "CallbackFailure",
    "CallbackHeartbeat",
    "CallbackSuccess",
    "CallbackTimeout",
    "CreatedCallback",
    "DurableChildContextTestRunner",
    "DurableFunctionCloudTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "DurableFunctionsLocalRunnerError",
    "DurableFunctionsTestError",
    "ExecutionErrorDetails",
    "HookEvent",
    "HookRecorder",
    "InMemoryDurableService",
    "InvocationStatus",
    "LambdaApiError",
    "Limits",
    "RunnerMode",
    "StuckExecutionError",
    "UnsupportedInCloudError",
    "__version__",
    "decode_payload",
    "deserialize_operation_payload",
]
