"""The service's errors, with the codes and HTTP statuses the real API uses."""

from __future__ import annotations

from typing import Any

__all__ = [
    "CallbackTimeoutException",
    "InvalidParameterValueException",
    "ResourceConflictException",
    "ResourceNotFoundException",
    "ServiceApiError",
    "ServiceException",
    "TooManyRequestsException",
]


class ServiceApiError(Exception):
    """An error response of the durable-execution API."""

    code = "ServiceException"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        return {"Type": self.code, "message": self.message}


class InvalidParameterValueException(ServiceApiError):
    code = "InvalidParameterValueException"
    http_status = 400


class ResourceNotFoundException(ServiceApiError):
    code = "ResourceNotFoundException"
    http_status = 404


class ResourceConflictException(ServiceApiError):
    """The execution's state forbids the request (pause an ended one, delete a running one)."""

    code = "ResourceConflictException"
    http_status = 409


class CallbackTimeoutException(ServiceApiError):
    code = "CallbackTimeoutException"
    http_status = 400


class TooManyRequestsException(ServiceApiError):
    code = "TooManyRequestsException"
    http_status = 429


class ServiceException(ServiceApiError):
    code = "ServiceException"
    http_status = 500
