"""A boto3-like ``lambda`` client over the local runner, for the cloud runner's unit tests.

It answers the seven calls the cloud runner makes with the responses and the botocore
``ClientError``s boto3 would give, so the runner's polling, paging, callbacks and error
mapping are tested without a network. The end-to-end tests use the HTTP server instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError, ReadTimeoutError

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
)


def client_error(operation: str, code: str, message: str, status: int = 400) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        operation,
    )


class LocalLambda:
    """``invoke``, ``get_durable_execution``... answered by a ``DurableFunctionTestRunner``.

    ``hidden_polls`` makes the first that many ``GetDurableExecution`` calls answer
    ``ResourceNotFoundException`` (an execution not visible yet); ``page_size`` caps each
    history page so that paging is exercised; ``calls`` records every call.
    """

    def __init__(
        self, handler: Callable[..., Any], *, hidden_polls: int = 0, page_size: int = 1000
    ) -> None:
        self.runner = DurableFunctionTestRunner(handler, function_name="deployed")
        self.hidden_polls = hidden_polls
        self.page_size = page_size
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.omit_arn = False
        self.sync_read_timeout = False  # a synchronous Invoke outlasts the client's wait
        self.started: dict[str, str] = {}

    def _known(self, operation: str, arn: str) -> None:
        try:
            self.runner.get_execution(arn)
        except DurableFunctionsTestError:
            raise client_error(
                operation, "ResourceNotFoundException", f"Execution not found: {arn}", 404
            ) from None

    def invoke(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("Invoke", request))
        name = request["DurableExecutionName"]
        arn = self.started.get(name)  # a name is idempotent, as in the service
        if arn is None:
            arn = self.started[name] = self.runner.run_async(
                request["Payload"].decode(), execution_name=name
            )
        if request["InvocationType"] == "RequestResponse" and self.sync_read_timeout:
            raise ReadTimeoutError(endpoint_url="http://lambda.local")
        status = 202 if request["InvocationType"] == "Event" else 200
        response: dict[str, Any] = {"StatusCode": status, "ResponseMetadata": {}}
        if not self.omit_arn:
            response["DurableExecutionArn"] = arn
        return response

    def get_durable_execution(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetDurableExecution", request))
        arn = request["DurableExecutionArn"]
        if self.hidden_polls > 0:
            self.hidden_polls -= 1
            raise client_error("GetDurableExecution", "ResourceNotFoundException", "not yet", 404)
        self._known("GetDurableExecution", arn)
        response = self.runner.get_execution(arn, request.get("IncludeExecutionData", False))
        return {**response, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def get_durable_execution_history(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("GetDurableExecutionHistory", request))
        arn = request["DurableExecutionArn"]
        self._known("GetDurableExecutionHistory", arn)
        return self.runner.get_execution_history(
            arn,
            request.get("IncludeExecutionData", False),
            min(request.get("MaxItems", 1000), self.page_size),
            request.get("Marker"),
            request.get("ReverseOrder", False),
        )

    def stop_durable_execution(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("StopDurableExecution", request))
        arn = request["DurableExecutionArn"]
        self._known("StopDurableExecution", arn)
        error = request.get("Error")
        self.runner.stop_execution(arn, ErrorObject.from_dict(error) if error else None)
        return {}

    def _callback(self, operation: str, send: Callable[[], None]) -> dict[str, Any]:
        try:
            send()
        except DurableFunctionsTestError as error:
            raise client_error(operation, "InvalidParameterValueException", str(error)) from None
        except Exception as error:  # the in-memory service's own API errors
            code = type(error).__name__
            raise client_error(operation, code, str(error)) from None
        return {}

    def send_durable_execution_callback_success(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("SendDurableExecutionCallbackSuccess", request))
        result = request.get("Result")
        return self._callback(
            "SendDurableExecutionCallbackSuccess",
            lambda: self.runner.send_callback_success(
                request["CallbackId"], None if result is None else result.decode()
            ),
        )

    def send_durable_execution_callback_failure(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("SendDurableExecutionCallbackFailure", request))
        return self._callback(
            "SendDurableExecutionCallbackFailure",
            lambda: self.runner.send_callback_failure(
                request["CallbackId"], ErrorObject.from_dict(request.get("Error") or {})
            ),
        )

    def send_durable_execution_callback_heartbeat(self, **request: Any) -> dict[str, Any]:
        self.calls.append(("SendDurableExecutionCallbackHeartbeat", request))
        return self._callback(
            "SendDurableExecutionCallbackHeartbeat",
            lambda: self.runner.send_callback_heartbeat(request["CallbackId"]),
        )

    def names(self) -> list[str]:
        return [name for name, _request in self.calls]

    def close(self) -> None:
        self.runner.close()
