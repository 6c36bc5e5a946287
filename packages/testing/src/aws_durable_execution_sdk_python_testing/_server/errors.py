"""The errors only the HTTP side raises, as botocore's model names them (the service's own
are in ``_service.errors``)."""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing._service.errors import ServiceApiError

__all__ = [
    "DurableExecutionAlreadyStartedException",
    "InvalidRequestContentException",
    "RequestTooLargeException",
    "UnknownOperationException",
]


class InvalidRequestContentException(ServiceApiError):
    """The body is not the JSON the operation takes."""

    code = "InvalidRequestContentException"
    http_status = 400


class UnknownOperationException(ServiceApiError):
    """No operation has this method and path: what Lambda answers an unknown route."""

    code = "UnknownOperationException"
    http_status = 404


class DurableExecutionAlreadyStartedException(ServiceApiError):
    """``Invoke`` reused an execution name with a different payload."""

    code = "DurableExecutionAlreadyStartedException"
    http_status = 409


class RequestTooLargeException(ServiceApiError):
    """A request body over the service's quota."""

    code = "RequestTooLargeException"
    http_status = 413
