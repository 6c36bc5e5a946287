"""Real botocore ``lambda`` clients for the ``LambdaClient`` tests, and the ids and times they use.

``StubbedLambda`` runs under botocore's ``Stubber``, which checks every request against the
service model (types, required members, minimum lengths and values) and every stubbed response
against the output shape; a hook adds what botocore leaves out: string patterns and every
maximum. ``WireLambda`` goes one layer lower: a fake HTTP layer answers with real JSON bodies,
so botocore's own serializer and parser run exactly as they do against Lambda.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.config import Config
from botocore.model import Shape
from botocore.stub import Stubber
from dateutil.tz import tzutc  # type: ignore[import-untyped]

EXEC_ID = "0f1e2d3c-4b5a-4978-8796-a5b4c3d2e1f0"
ARN = (
    f"arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/exec-1/{EXEC_ID}"
)
TOKEN = "dG9rZW4tMQ=="  # base64, as CheckpointToken's pattern requires
TOKEN_2 = "dG9rZW4tMg=="
TOKEN_3 = "dG9rZW4tMw=="
UTC = tzutc()  # what botocore attaches to parsed timestamps


def op_id(raw: str) -> str:
    return hashlib.blake2b(raw.encode()).hexdigest()[:64]


STEP_1 = op_id("1")
STEP_2 = op_id("2")
STEP_3 = op_id("3")
WAIT_4 = op_id("4")
CALLBACK_5 = op_id("5")
CONTEXT_6 = op_id("6")
CHILD_6_1 = op_id(f"{CONTEXT_6}-1")
INVOKE_7 = op_id("7")

T0 = datetime.datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
T0_MS = 1767268800000


def at(seconds: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=seconds)


# -- the real client, stubbed, with the model's patterns checked too --------------------------


def model_violations(shape: Shape, value: Any, path: str) -> list[str]:
    """What botocore lets through: string patterns and every ``max`` (it checks only ``min``)."""
    if shape.type_name == "structure" and isinstance(value, dict):
        found: list[str] = []
        for name, member in shape.members.items():
            if name in value:
                found += model_violations(member, value[name], f"{path}.{name}")
        return found
    found = []
    if shape.type_name == "list" and isinstance(value, list):
        member = shape.member
        for i, item in enumerate(value):
            found += model_violations(member, item, f"{path}[{i}]")
    limit = shape.metadata.get("max")
    size = len(value) if isinstance(value, str | list) else value
    if limit is not None and isinstance(size, int) and size > limit:
        found.append(f"{path}: {size} is over the model's max {limit}")
    pattern = shape.metadata.get("pattern")
    if pattern and isinstance(value, str) and not re.fullmatch(pattern, value):
        found.append(f"{path}={value[:80]!r} does not match {pattern}")
    return found


class StubbedLambda:
    """A real ``lambda`` client under ``Stubber``; requests and responses are checked."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "lambda",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        self.stubber = Stubber(self.client)
        self.violations: list[str] = []
        self.client.meta.events.register("before-parameter-build.lambda", self._check_request)

    def _check_request(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        # Recorded, not raised: LambdaClient would turn an exception here into a CheckpointError.
        self.violations += model_violations(model.input_shape, params, model.name)

    def _check_response(self, operation: str, response: dict[str, Any]) -> None:
        model = self.client.meta.service_model.operation_model(operation)
        assert model_violations(model.output_shape, response, operation) == []

    def checkpoint(self, expected: dict[str, Any], response: dict[str, Any]) -> None:
        self._check_response("CheckpointDurableExecution", response)
        self.stubber.add_response("checkpoint_durable_execution", response, expected)

    def state(self, expected: dict[str, Any], response: dict[str, Any]) -> None:
        self._check_response("GetDurableExecutionState", response)
        self.stubber.add_response("get_durable_execution_state", response, expected)

    def error(self, method: str, code: str, status: int, message: str) -> None:
        self.stubber.add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=status
        )


# -- GetDurableExecutionState requests -------------------------------------------------------------


def state_request(marker: str | None, max_items: int = 1000) -> dict[str, Any]:
    request: dict[str, Any] = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": TOKEN,
        "MaxItems": max_items,
    }
    if marker is not None:
        request["Marker"] = marker
    return request


# -- real serializer and parser: a fake HTTP layer answers with JSON bodies -------------------


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class WireLambda:
    """A real client whose HTTP layer is a queue of canned responses; no retries in botocore."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "lambda",
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1}),
        )
        self.sent: list[AWSPreparedRequest] = []
        self.replies: list[tuple[int, dict[str, str], Any]] = []
        self.client.meta.events.register("before-send.lambda", self._send)

    def reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.replies.append((status, {"Content-Type": "application/json", **(headers or {})}, body))

    def _send(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.sent.append(request)
        status, headers, body = self.replies.pop(0)
        return AWSResponse(request.url, status, headers, _Body(json.dumps(body).encode()))
