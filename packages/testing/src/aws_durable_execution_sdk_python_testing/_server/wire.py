"""The HTTP shapes of the Lambda durable-execution API, read from botocore's own model.

botocore's ``lambda`` service model is the wire format's final word, so the server does not
restate it: each route's method, path, status, and where each member travels (path, query
string, header, body or raw payload) come from the model that boto3 itself serialises
with. This module turns an HTTP request into an operation's parameters and a result into
the HTTP response boto3 parses; it knows nothing of executions.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing._server.errors import (
    InvalidRequestContentException,
    UnknownOperationException,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ServiceApiError,
)

__all__ = [
    "OPERATIONS",
    "HttpResponse",
    "Route",
    "decode_request",
    "encode_error",
    "encode_result",
    "find_route",
]

# The operations this server answers: the durable-execution API and Invoke.
OPERATIONS = (
    "CheckpointDurableExecution",
    "DeleteDurableExecution",
    "GetDurableExecution",
    "GetDurableExecutionHistory",
    "GetDurableExecutionState",
    "Invoke",
    "ListDurableExecutionsByFunction",
    "PauseDurableExecution",
    "ResumeDurableExecution",
    "SendDurableExecutionCallbackFailure",
    "SendDurableExecutionCallbackHeartbeat",
    "SendDurableExecutionCallbackSuccess",
    "StopDurableExecution",
)


@attrs.frozen
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@attrs.frozen
class Route:
    """One operation's method and path template, split into literal and ``{Member}`` parts."""

    operation: str
    method: str
    parts: tuple[str, ...]
    status: int

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        if method != self.method or len(parts) != len(self.parts):
            return None
        found: dict[str, str] = {}
        for template, part in zip(self.parts, parts, strict=True):
            if template.startswith("{"):
                if not part:
                    return None
                found[template.strip("{}+")] = urllib.parse.unquote(part)
            elif template != part:
                return None
        return found


@functools.cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("lambda")


@functools.cache
def _routes() -> tuple[Route, ...]:
    routes = []
    for name in OPERATIONS:
        http = _model().operation_model(name).http
        path = http["requestUri"].split("?", 1)[0]
        routes.append(
            Route(name, http["method"], tuple(path.strip("/").split("/")), http["responseCode"])
        )
    return tuple(routes)


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route of ``method path`` and its path members (URL-decoded, so ARNs keep ``/``).

    Raises:
        UnknownOperationException: no operation is served there.
    """
    # Split before decoding: an ARN's "/" arrives as %2F inside one segment.
    parts = path.split("?", 1)[0].strip("/").split("/")
    for route in _routes():
        found = route.match(method, parts)
        if found is not None:
            return route, found
    raise UnknownOperationException(f"No operation is served at {method} {path}")


def decode_request(
    route: Route,
    path_members: Mapping[str, str],
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> dict[str, Any]:
    """The operation's parameters, by member name, typed as the model declares them.

    Raises:
        InvalidParameterValueException: a query or header value of the wrong type.
        InvalidRequestContentException: the body is not a JSON object.
    """
    shape = _model().operation_model(route.operation).input_shape
    params: dict[str, Any] = dict(path_members)
    if shape is None:
        return params
    values = urllib.parse.parse_qs(query, keep_blank_values=True)
    payload = shape.serialization.get("payload")
    document: dict[str, Any] | None = None
    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        wire_name = member_shape.serialization.get("name", member)
        if location == "querystring" and wire_name in values:
            params[member] = _typed(member, member_shape, values[wire_name])
        elif location == "header" and (value := _header(headers, wire_name)) is not None:
            params[member] = _typed(member, member_shape, [value])
        elif location is None and member == payload:
            params[member] = body if member_shape.type_name == "blob" else _object(body)
        elif location is None:
            if document is None:
                document = _object(body) if payload is None else {}
            if member in document:
                params[member] = document[member]
    return params


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def _object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        document = json.loads(body)
    except ValueError as error:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {error}"
        ) from None
    if not isinstance(document, dict):
        raise InvalidRequestContentException("The request body must be a JSON object")
    return document


def _typed(member: str, shape: Any, raw: list[str]) -> Any:
    kind = shape.type_name
    if kind == "list":
        return list(raw)
    value = raw[-1]
    if kind in {"integer", "long"}:
        try:
            return int(value)
        except ValueError:
            raise InvalidParameterValueException(
                f"{member}: expected an integer, got {value!r}"
            ) from None
    if kind == "boolean":
        if value.lower() not in ("true", "false"):
            raise InvalidParameterValueException(f"{member}: expected true or false, got {value!r}")
        return value.lower() == "true"
    if kind == "timestamp":
        return _timestamp(member, value)
    return value


def _timestamp(member: str, value: str) -> datetime.datetime:
    try:
        if re.fullmatch(r"-?\d+(\.\d+)?", value):
            return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValueException(
            f"{member}: expected an ISO 8601 timestamp, got {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def encode_result(route: Route, result: Mapping[str, Any], request_id: str) -> HttpResponse:
    """The response boto3 parses into ``result``: headers, status and payload members placed
    where the model says, the rest as a JSON document (timestamps as epoch seconds)."""
    shape = _model().operation_model(route.operation).output_shape
    status = route.status
    headers = [("x-amzn-RequestId", request_id)]
    document: dict[str, Any] = {}
    body: bytes | None = None
    payload = shape.serialization.get("payload") if shape is not None else None
    members = shape.members if shape is not None else {}
    for member, value in result.items():
        if value is None:
            continue
        member_shape = members.get(member)
        location = member_shape.serialization.get("location") if member_shape else None
        if location == "statusCode":
            status = int(value)
        elif location == "header" and member_shape is not None:
            headers.append((member_shape.serialization.get("name", member), str(value)))
        elif member == payload:
            body = value if isinstance(value, bytes) else _json(value)
        else:
            document[member] = value
    if body is None:
        # An operation whose output is a raw payload sends nothing when there is none.
        body = b"" if payload is not None or status == 204 else _json(document)
    headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, tuple(headers), body)


def encode_error(error: ServiceApiError, operation: str | None, request_id: str) -> HttpResponse:
    """An error as Lambda sends it: ``x-amzn-ErrorType`` names the modelled exception (botocore
    reads the code from there), the body carries its members (``Type`` and the message under
    the member name its shape uses)."""
    message_member = "message"
    sender = error.http_status < 500
    if operation is not None:
        shape = _error_shape(error.code)
        if shape is not None:
            message_member = next(
                (m for m in shape.members if m.lower() == "message"), message_member
            )
            sender = bool(shape.metadata.get("error", {}).get("senderFault", False))
    document: dict[str, Any] = {
        "Type": "User" if sender else "Service",
        message_member: error.message,
    }
    document.update(getattr(error, "extra_members", {}))
    headers = (
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", error.code),
        ("Content-Type", "application/json"),
    )
    return HttpResponse(error.http_status, headers, _json(document))


@functools.cache
def _error_shape(code: str) -> Any:
    try:
        return _model().shape_for(code)
    except Exception:  # botocore raises NoShapeFoundError for codes it does not model
        return None


def _json(value: Any) -> bytes:
    return json.dumps(value, default=_plain, separators=(",", ":")).encode()


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    raise TypeError(f"{type(value).__name__} is not part of the wire format")
