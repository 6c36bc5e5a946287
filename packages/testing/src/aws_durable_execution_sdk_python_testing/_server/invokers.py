"""How the server calls a function: in its own process, in a child, or at a Lambda endpoint.

In every mode the function's durable calls come back over HTTP through the SDK's own boto3
``LambdaClient``, so what the server serves is what a deployed function would use. At a
Lambda endpoint (``sam local start-lambda``) the function lives elsewhere and finds this
server through ``AWS_ENDPOINT_URL_LAMBDA``.
"""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationOutput,
    LambdaClient,
)
from aws_durable_execution_sdk_python.lambda_service import DurableServiceClient, ErrorObject
from aws_durable_execution_sdk_python_testing._boto import lambda_client as shared_lambda_client
from aws_durable_execution_sdk_python_testing._invocation import (
    Begun,
    Ended,
    Function,
    call_in_process,
    call_in_sandbox,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._subprocess.sandbox import Sandbox

__all__ = ["InProcessInvoker", "LambdaEndpointInvoker", "SandboxInvoker", "lambda_client"]

_DUMMY = "local"  # boto3 signs every request; this server does not check signatures


def lambda_client(endpoint_url: str, region: str = "us-east-1", read_timeout: float = 60) -> Any:
    """A boto3 ``lambda`` client pointed at ``endpoint_url``, with placeholder credentials
    and no retries (a retry would hide the very errors a test looks for)."""
    from botocore.config import Config

    return shared_lambda_client(
        region=region,
        endpoint_url=endpoint_url,
        credentials=(_DUMMY, _DUMMY),
        config=Config(
            retries={"total_max_attempts": 1},
            read_timeout=read_timeout,
            connect_timeout=5,
            max_pool_connections=32,
        ),
    )


class _ServerClient:
    """The SDK's ``LambdaClient`` over boto3, made once the server knows its own URL."""

    def __init__(self) -> None:
        self.endpoint_url = ""
        self._client: DurableServiceClient | None = None

    def get(self) -> DurableServiceClient:
        if self._client is None:
            self._client = LambdaClient(lambda_client(self.endpoint_url))
        return self._client


class InProcessInvoker:
    """Calls the handler on the invocation's thread in this process."""

    accepts_any_function = False

    def __init__(self) -> None:
        self.server_client = _ServerClient()

    def call(self, function: Function | None, record: ExecutionRecord, begun: Begun) -> Ended:
        assert function is not None
        return call_in_process(
            function, record, begun, self.server_client.get(), contextlib.nullcontext
        )

    def close(self) -> None:
        pass


class SandboxInvoker:
    """Calls a durable handler in a forked child (one at a time), which can crash for real
    or be killed at ``invocation_timeout``; plain functions stay in this process."""

    accepts_any_function = False

    def __init__(self, invocation_timeout: float) -> None:
        self.server_client = _ServerClient()
        self._sandbox = Sandbox(invocation_timeout, freeze_time=False)
        self._one_at_a_time = threading.Lock()

    def call(self, function: Function | None, record: ExecutionRecord, begun: Begun) -> Ended:
        assert function is not None
        client = self.server_client.get()
        if not function.durable:
            return call_in_process(function, record, begun, client, contextlib.nullcontext)
        with self._one_at_a_time:
            return call_in_sandbox(self._sandbox, function, begun, client)

    def close(self) -> None:
        with self._one_at_a_time:
            self._sandbox.stop()


class LambdaEndpointInvoker:
    """``Invoke``s the function at a Lambda endpoint (``sam local start-lambda``) with the
    durable invocation event, as the service does; any function name is accepted."""

    accepts_any_function = True

    def __init__(self, endpoint_url: str, region: str, invocation_timeout: float) -> None:
        self.endpoint_url = endpoint_url
        self._client = lambda_client(endpoint_url, region, read_timeout=invocation_timeout + 60)

    def call(self, function: Function | None, record: ExecutionRecord, begun: Begun) -> Ended:
        event = begun.invocation.to_json_dict()
        try:
            response = self._client.invoke(
                FunctionName=record.function_name,
                InvocationType="RequestResponse",
                Payload=json.dumps(event).encode(),
            )
            payload = response["Payload"].read()
        except Exception as error:  # unreachable endpoint, throttling...: the invocation failed
            return Ended(
                error=ErrorObject(
                    f"Invoke of {record.function_name} at {self.endpoint_url} failed: {error}",
                    "Lambda.InvokeError",
                )
            )
        try:
            document = json.loads(payload or b"null")
        except ValueError:
            document = None
        if response.get("FunctionError"):
            detail = document if isinstance(document, dict) else {}
            return Ended(
                error=ErrorObject(
                    str(detail.get("errorMessage") or payload.decode(errors="replace")),
                    str(detail.get("errorType") or response["FunctionError"]),
                )
            )
        if not isinstance(document, dict):
            return Ended(
                error=ErrorObject(
                    f"{record.function_name} returned {payload[:200]!r}, not a durable "
                    "invocation output; is it wrapped with @durable_execution?",
                    "InvalidOutput",
                )
            )
        try:
            return Ended(output=DurableExecutionInvocationOutput.from_dict(document))
        except (KeyError, ValueError) as error:
            return Ended(error=ErrorObject(f"invalid invocation output: {error}", "InvalidOutput"))

    def close(self) -> None:
        self._client.close()
