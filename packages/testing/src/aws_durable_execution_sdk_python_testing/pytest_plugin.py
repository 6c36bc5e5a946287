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

``--durable-timeline=DIR``: when a test that uses the fixture or the marker fails, the HTML
timeline of each execution it ran is written into ``DIR`` (named after the test's node id,
numbered when there are several) and the failure report names the files.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing._faults import check_crash_after, check_faults
from aws_durable_execution_sdk_python_testing._run_watch import Watch, watch
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._timeline_report import write_timelines
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["durable_runner"]

_MARKER = "durable_execution"
_TIMELINE_OPTION = "--durable-timeline"
_WATCH = pytest.StashKey[Watch]()
_WRITTEN = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("durable").addoption(
        _TIMELINE_OPTION,
        metavar="DIR",
        default=None,
        help="write the HTML timeline of each execution of a failing durable test into DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(handler, lambda_function_name=None, **runner_options): the durable "
        "handler the durable_runner fixture runs",
    )


def _timeline_dir(config: pytest.Config) -> Path | None:
    value = config.getoption(_TIMELINE_OPTION)
    return None if not value else config.invocation_params.dir / value


def _is_durable(item: pytest.Item) -> bool:
    return item.get_closest_marker(_MARKER) is not None or "durable_runner" in getattr(
        item, "fixturenames", ()
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    """Watch the runners a durable test creates, only when timelines were asked for."""
    if _timeline_dir(item.config) is None or not _is_durable(item):
        return (yield)
    with watch() as watched:
        item.stash[_WATCH] = watched
        try:
            return (yield)
        finally:
            del item.stash[_WATCH]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    watched = item.stash.get(_WATCH, None)
    directory = _timeline_dir(item.config)
    if not report.failed or watched is None or directory is None or item.stash.get(_WRITTEN, False):
        return report
    item.stash[_WRITTEN] = True
    try:
        paths = write_timelines(watched.records(), directory, item.nodeid)
    except OSError as error:
        report.sections.append(("durable timeline", f"cannot write the durable timeline: {error}"))
        return report
    if paths:
        report.sections.append(("durable timeline", "\n".join(str(p) for p in paths)))
    return report


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
