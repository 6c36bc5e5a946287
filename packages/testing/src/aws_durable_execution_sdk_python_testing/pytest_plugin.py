"""The pytest plugin: the ``durable_execution`` marker and the ``durable_runner`` fixture.

Registered through the ``pytest11`` entry point, so no conftest is needed::

    @pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
    def test_success(durable_runner):
        with durable_runner:
            result = durable_runner.run(input={"data": "test"}, timeout=10)
        assert result.status is InvocationStatus.SUCCEEDED

Marker keywords: ``handler`` (required), ``lambda_function_name``, and any keyword of
``DurableFunctionTestRunner`` (``freeze_time``, ``seed``, ``invocation_retries``,
``durable_execution_timeout``, ``limits``, ``invocation_mode="subprocess"`` with
``invocation_timeout``, ``faults``, ``always_replay``...), and ``crash_after=N`` for
``faults=[CrashAfterCheckpoint(N)]`` in each run of the test. ``skip_time`` is accepted;
time is always virtual here. The fixture is a ``DurableFunctionTestRunner`` whose ``mode``
is ``"local"``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing._faults import check_crash_after, check_faults
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["durable_runner"]

_MARKER = "durable_execution"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(handler, lambda_function_name=None, **runner_options): the durable "
        "handler the durable_runner fixture runs",
    )


def _function_name(name: Any) -> str:
    text = re.sub(r"[^a-zA-Z0-9_-]", "-", str(name))
    return text or "test-function"


@pytest.fixture
def durable_runner(request: pytest.FixtureRequest) -> Iterator[DurableFunctionTestRunner]:
    """A ``DurableFunctionTestRunner`` for the handler named by the ``durable_execution`` marker."""
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        pytest.fail(
            "durable_runner needs @pytest.mark.durable_execution(handler=..., "
            "lambda_function_name=...) on the test"
        )
    options = dict(marker.kwargs)
    handler = options.pop("handler", None) or (marker.args[0] if marker.args else None)
    if handler is None:
        pytest.fail("@pytest.mark.durable_execution needs handler=<your durable handler>")
    name = options.pop("lambda_function_name", None)
    options.pop("skip_time", None)
    if name is not None:
        options.setdefault("function_name", _function_name(name))
    try:
        crash = check_crash_after(options.pop("crash_after", None), "durable_execution")
        if crash:
            options["faults"] = check_faults(options.get("faults"), "durable_execution") + crash
        runner = DurableFunctionTestRunner(handler, **options)
    except DurableFunctionsTestError as error:
        pytest.fail(f"@pytest.mark.durable_execution: {error}", pytrace=False)
    try:
        yield runner
    finally:
        runner.close()
