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

``--runner-mode=cloud`` (ini ``durable_runner_mode``) runs the same tests against deployed
functions: the fixture is a ``DurableFunctionCloudTestRunner`` (``mode == "cloud"``) for the
deployed name that ``--function-name-map`` (ini ``durable_function_name_map``, environment
``DURABLE_FUNCTION_NAME_MAP``; a JSON object or ``name=deployed,...``) gives the marker's
``lambda_function_name``, at ``--lambda-endpoint`` (ini ``durable_lambda_endpoint``; boto3
also reads ``AWS_ENDPOINT_URL_LAMBDA``) in ``--lambda-region`` (ini
``durable_lambda_region``; else boto3's own). A test is skipped there, with the reason, when
its function is not in the map, when its marker sets an option only the local runner has
(``faults``, ``crash_after``, ``always_replay``, ``invocation_mode``, ``freeze_time``...),
when it captures logs (``caplog``: the function's logs are not in this process), or when it
calls something only the local runner can do (``UnsupportedInCloudError``).
"""

from __future__ import annotations

import inspect
import json
import os
import re
from collections.abc import Generator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python_testing._arguments import RunnerMode
from aws_durable_execution_sdk_python_testing._cloud_api import UnsupportedInCloudError
from aws_durable_execution_sdk_python_testing._cloud_runner import DurableFunctionCloudTestRunner
from aws_durable_execution_sdk_python_testing._faults import check_crash_after, check_faults
from aws_durable_execution_sdk_python_testing._run_watch import Watch, watch
from aws_durable_execution_sdk_python_testing._runner import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._timeline_report import write_timelines
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["durable_runner", "parse_function_name_map"]

_MARKER = "durable_execution"
_TIMELINE_OPTION = "--durable-timeline"
_MODE_OPTION = "--runner-mode"
_MAP_OPTION = "--function-name-map"
_MAP_VARIABLE = "DURABLE_FUNCTION_NAME_MAP"
_NAME_MAP = pytest.StashKey[dict[str, str]]()
_WATCH = pytest.StashKey[Watch]()
_WRITTEN = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("durable")
    group.addoption(
        _TIMELINE_OPTION,
        metavar="DIR",
        default=None,
        help="write the HTML timeline of each execution of a failing durable test into DIR",
    )
    group.addoption(
        _MODE_OPTION,
        choices=[mode.value for mode in RunnerMode],
        default=None,
        help="local (the default): run handlers in this process; cloud: run the deployed "
        "functions named by --function-name-map through the Lambda API",
    )
    group.addoption(
        _MAP_OPTION,
        metavar="MAP",
        default=None,
        help="cloud mode: marker lambda_function_name -> deployed function, as a JSON object "
        f"or name=deployed,... (also ini durable_function_name_map, env {_MAP_VARIABLE})",
    )
    group.addoption(
        "--lambda-endpoint",
        metavar="URL",
        default=None,
        help="cloud mode: the Lambda endpoint (default: boto3's, e.g. AWS_ENDPOINT_URL_LAMBDA)",
    )
    group.addoption(
        "--lambda-region",
        metavar="REGION",
        default=None,
        help="cloud mode: the region of the deployed functions (default: boto3's)",
    )
    parser.addini("durable_runner_mode", "local or cloud (see --runner-mode)", default="local")
    parser.addini("durable_function_name_map", "see --function-name-map", default="")
    parser.addini("durable_lambda_endpoint", "see --lambda-endpoint", default="")
    parser.addini("durable_lambda_region", "see --lambda-region", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(handler, lambda_function_name=None, **runner_options): the durable "
        "handler the durable_runner fixture runs",
    )
    mode = _runner_mode(config)
    if mode is RunnerMode.CLOUD:
        # A malformed map is a usage error of the whole session, not of each test.
        config.stash[_NAME_MAP] = _name_map(config)


def _runner_mode(config: pytest.Config) -> RunnerMode:
    value = config.getoption(_MODE_OPTION) or str(config.getini("durable_runner_mode")) or "local"
    try:
        return RunnerMode(value.strip().lower())
    except ValueError:
        raise pytest.UsageError(
            f"durable_runner_mode = {value!r}: use 'local' or 'cloud'"
        ) from None


def _name_map(config: pytest.Config) -> dict[str, str]:
    for source, text in (
        (_MAP_OPTION, config.getoption(_MAP_OPTION)),
        (_MAP_VARIABLE, os.environ.get(_MAP_VARIABLE)),
        ("durable_function_name_map", str(config.getini("durable_function_name_map"))),
    ):
        if text and text.strip():
            return parse_function_name_map(text, source)
    return {}


def parse_function_name_map(text: str, source: str = _MAP_OPTION) -> dict[str, str]:
    """``{"name": "deployed"}`` or ``name=deployed,other=deployed-2``; keys lowercased
    (marker names are matched ignoring case, as the existing conftest did).

    Raises:
        pytest.UsageError: neither form, or an empty name.
    """
    text = text.strip()
    pairs: list[tuple[Any, Any]]
    if text.startswith(("{", "[", '"')):
        try:
            loaded = json.loads(text)
        except ValueError as error:
            raise pytest.UsageError(f"{source}: not a JSON object: {error}") from None
        if not isinstance(loaded, Mapping):
            raise pytest.UsageError(
                f"{source}: expected a JSON object or name=deployed,..., "
                f"got a JSON {type(loaded).__name__}"
            )
        pairs = list(loaded.items())
    else:
        pairs = [(*p.partition("=")[::2],) for p in text.split(",") if p.strip()]
    found: dict[str, str] = {}
    for key, value in pairs:
        if not isinstance(key, str) or not isinstance(value, str) or not key.strip():
            raise pytest.UsageError(f"{source}: {key!r} -> {value!r} is not name=deployed")
        if not value.strip():
            raise pytest.UsageError(f"{source}: {key.strip()!r} has no deployed function name")
        found[key.strip().lower()] = value.strip()
    return found


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, object]:
    """In cloud mode, a test that asks for what only the local runner can do is skipped."""
    try:
        return (yield)
    except UnsupportedInCloudError as error:
        if _NAME_MAP not in pyfuncitem.config.stash:
            raise
        pytest.skip(f"cloud mode: {error}")


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
        paths = write_timelines(watched.results(), directory, item.nodeid)
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
def durable_runner(
    request: pytest.FixtureRequest,
) -> Iterator[DurableFunctionTestRunner | DurableFunctionCloudTestRunner]:
    """A ``DurableFunctionTestRunner`` for the handler named by the ``durable_execution``
    marker; in cloud mode a ``DurableFunctionCloudTestRunner`` for its deployed function."""
    marker = request.node.get_closest_marker(_MARKER)
    if marker is None:
        pytest.fail(
            "durable_runner needs @pytest.mark.durable_execution(handler=..., "
            "lambda_function_name=...) on the test"
        )
    if _NAME_MAP in request.config.stash:
        cloud = _cloud_runner(request, marker)
        try:
            yield cloud
        finally:
            cloud.close()
        return
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


# Marker options the cloud runner can honour or may ignore: the rest configure what happens
# inside this process (the in-memory service, the handler's invocations) and skip the test.
_CLOUD_NEUTRAL = frozenset(
    {"handler", "lambda_function_name", "skip_time", "function_name", "poll_interval"}
)


def _local_only_options(options: Mapping[str, Any]) -> list[str]:
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(DurableFunctionTestRunner).parameters.items()
    }
    defaults["crash_after"] = None
    return sorted(
        name
        for name, value in options.items()
        if name not in _CLOUD_NEUTRAL and value != defaults.get(name, inspect.Parameter.empty)
    )


def _cloud_runner(
    request: pytest.FixtureRequest, marker: pytest.Mark
) -> DurableFunctionCloudTestRunner:
    """The cloud runner for a test's marker, or a skip saying why there is none."""
    config = request.config
    options = dict(marker.kwargs)
    name = options.get("lambda_function_name")
    if not name:
        pytest.skip(
            "cloud mode: the durable_execution marker has no lambda_function_name= naming "
            "the deployed function"
        )
    local_only = _local_only_options(options)
    if local_only:
        pytest.skip(
            f"cloud mode: durable_execution({', '.join(f'{o}=...' for o in local_only)}) "
            "needs the local runner (the handler in this process)"
        )
    if "caplog" in request.fixturenames:
        pytest.skip(
            "cloud mode: the test captures logs (caplog); the deployed function's logs "
            "are not in this process"
        )
    deployed = config.stash[_NAME_MAP].get(str(name).lower())
    if deployed is None:
        pytest.skip(
            f"cloud mode: {name!r} is not in {_MAP_OPTION} (or durable_function_name_map, "
            f"{_MAP_VARIABLE}): no deployed function to run"
        )
    endpoint = config.getoption("--lambda-endpoint") or str(
        config.getini("durable_lambda_endpoint")
    )
    region = config.getoption("--lambda-region") or str(config.getini("durable_lambda_region"))
    extra = {"poll_interval": options["poll_interval"]} if "poll_interval" in options else {}
    return DurableFunctionCloudTestRunner(
        deployed, region=region or None, endpoint_url=endpoint or None, **extra
    )
