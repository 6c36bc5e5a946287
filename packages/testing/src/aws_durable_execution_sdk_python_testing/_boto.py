"""One boto3 session per process, for every ``lambda`` client this package makes.

Making a session loads botocore's models and costs about a tenth of a second; a client from
an existing session costs about ten milliseconds. Sessions are not thread-safe, clients are:
clients are made under a lock and then used freely.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["lambda_client"]

_LOCK = threading.Lock()
_SESSIONS: list[Any] = []


def lambda_client(
    *,
    region: str | None,
    endpoint_url: str | None,
    config: Any,
    credentials: tuple[str, str] | None = None,
    default_region: str = "us-east-1",
) -> Any:
    """A boto3 ``lambda`` client from the process's session; ``endpoint_url=None`` leaves
    boto3 to read ``AWS_ENDPOINT_URL_LAMBDA`` (or its config), as the SDK inside a function
    does, and ``credentials=None`` to its usual chain."""
    # boto3 is imported here, not at module level: most test sessions never make a client,
    # and importing it costs a quarter of a second.
    import boto3

    keys: dict[str, str] = {}
    if credentials is not None:
        keys = {"aws_access_key_id": credentials[0], "aws_secret_access_key": credentials[1]}
    with _LOCK:
        if not _SESSIONS:
            _SESSIONS.append(boto3.session.Session())
        session = _SESSIONS[0]
        return session.client(
            "lambda",
            region_name=region or session.region_name or default_region,
            endpoint_url=endpoint_url,
            config=config,
            **keys,
        )
