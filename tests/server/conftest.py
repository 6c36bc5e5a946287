"""A ``DurableLocalServer`` on a free loopback port, and a real boto3 client for it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import server_workflows

from aws_durable_execution_sdk_python_testing.server import DurableLocalServer


def _server_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("durable-local")]


@pytest.fixture
def server() -> Iterator[DurableLocalServer]:
    with DurableLocalServer(
        server_workflows.FUNCTIONS, skip_time=True, callback_hold=30
    ) as running:
        yield running
    assert not _server_threads(), "a server thread outlived the server"


@pytest.fixture
def client(server: DurableLocalServer) -> Any:
    lambda_client = server.client()
    yield lambda_client
    lambda_client.close()


@pytest.fixture
def raw_client(server: DurableLocalServer) -> Any:
    """A client that sends what botocore's own validation would refuse (the server's checks)."""
    import boto3
    from botocore.config import Config

    lambda_client = boto3.session.Session().client(
        "lambda",
        endpoint_url=server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    yield lambda_client
    lambda_client.close()
