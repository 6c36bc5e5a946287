"""A pytest plugin that stands a ``DurableLocalServer`` in for AWS in a cloud-mode run.

Loaded with ``-p cloud_examples_server`` next to ``--runner-mode=cloud`` and a
``--function-name-map`` (see ``test_examples_cloud.py``): once the tests are collected it
deploys, under its mapped name, the handler each ``durable_execution`` marker names, starts
one server for all of them in this process, and points ``--lambda-endpoint`` at it. Two
different handlers under one ``lambda_function_name`` cannot both be deployed (a name is
one function), so the later ones are skipped, saying so. At the end it writes how many
executions each deployed function had (``ListDurableExecutionsByFunction``) to the JSON
file named by ``CLOUD_EXAMPLES_REPORT``, so the caller can tell the tests really ran here.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing.pytest_plugin import parse_function_name_map
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

_SERVERS: list[DurableLocalServer] = []
_DEPLOYED: dict[str, Any] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    names = parse_function_name_map(config.getoption("--function-name-map") or "")
    for item in items:
        marker = item.get_closest_marker("durable_execution")
        if marker is None:
            continue
        name = marker.kwargs.get("lambda_function_name")
        handler = marker.kwargs.get("handler")
        deployed = names.get(str(name).lower()) if name else None
        if deployed is None or handler is None:
            continue
        first = _DEPLOYED.setdefault(deployed, handler)
        if first is not handler:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"cloud mode: another handler is lambda_function_name={name!r} "
                    "too; one name deploys one function"
                )
            )
    # callback_hold: with time skipped, an open callback holds the clock this long (real
    # seconds) so that the cloud runner can send a declared answer before timers move on.
    server = DurableLocalServer(_DEPLOYED, skip_time=True, callback_hold=2.0)
    server.start()
    _SERVERS.append(server)
    config.option.lambda_endpoint = server.endpoint_url


def pytest_unconfigure(config: pytest.Config) -> None:
    report = os.environ.get("CLOUD_EXAMPLES_REPORT")
    for server in _SERVERS:
        if report:
            client = server.client()
            counts = {
                name: len(
                    client.list_durable_executions_by_function(FunctionName=name)[
                        "DurableExecutions"
                    ]
                )
                for name in _DEPLOYED
            }
            client.close()
            with open(report, "w", encoding="utf-8") as out:
                json.dump(counts, out)
        server.stop()
