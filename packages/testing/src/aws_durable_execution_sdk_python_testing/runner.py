"""The runner and the operation views (the existing library's import path)."""

from aws_durable_execution_sdk_python_testing._cloud_runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._views import (
    CallbackOperation,
    ContextOperation,
    ExecutionOperation,
    InvokeOperation,
    Operation,
    StepOperation,
    WaitOperation,
)

__all__ = [
    "CallbackOperation",
    "ContextOperation",
    "DurableFunctionCloudTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "ExecutionOperation",
    "InvokeOperation",
    "Operation",
    "StepOperation",
    "WaitOperation",
]
