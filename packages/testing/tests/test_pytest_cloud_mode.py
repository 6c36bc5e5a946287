"""The pytest plugin's cloud mode, in fresh pytest runs (pytester) against a local server.

``--runner-mode=cloud`` makes ``durable_runner`` a ``DurableFunctionCloudTestRunner`` for
the deployed name the function-name map gives the marker's ``lambda_function_name``; the
``DurableLocalServer`` stands in for AWS. Tests that need the handler in this process, or
whose function is not mapped, are skipped with a reason that names the option.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing.pytest_plugin import parse_function_name_map
from aws_durable_execution_sdk_python_testing.server import DurableLocalServer

pytest_plugins = ["pytester"]


@durable_execution
def echo(event: dict, context: DurableContext) -> dict:
    return {"echo": event, "step": context.step(lambda _: 41 + 1, name="answer")}


HANDLER_MODULE = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    return {"echo": event, "step": context.step(lambda _: 41 + 1, name="answer")}
"""

CLOUD_TEST = """
import pytest
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionCloudTestRunner, InvocationStatus,
)
from cloud_demo_function import handler

@pytest.mark.durable_execution(handler=handler, lambda_function_name="My_Function")
def test_success(durable_runner):
    assert durable_runner.mode == "cloud"
    assert isinstance(durable_runner, DurableFunctionCloudTestRunner)
    assert durable_runner.function_name == "deployed-echo"
    with durable_runner:
        result = durable_runner.run(input={"data": "test"}, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"echo": {"data": "test"}, "step": 42}
    assert result.get_step("answer").result == 42
    assert ":function:deployed-echo" in result.execution_arn
"""


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[DurableLocalServer]:
    # The cloud runner makes its own boto3 client: it needs credentials, any will do here.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.delenv("DURABLE_FUNCTION_NAME_MAP", raising=False)
    with DurableLocalServer({"deployed-echo": echo}, skip_time=True) as running:
        yield running


def cloud_args(server: DurableLocalServer, *extra: str) -> list[str]:
    return [
        "-p",
        "no:cacheprovider",
        "-rs",
        "--runner-mode=cloud",
        f"--lambda-endpoint={server.endpoint_url}",
        "--lambda-region=us-east-1",
        *extra,
    ]


def test_cloud_mode_runs_the_deployed_function(pytester, server):
    pytester.makepyfile(cloud_demo_function=HANDLER_MODULE, test_it=CLOUD_TEST)
    outcome = pytester.runpytest_inprocess(
        *cloud_args(server, '--function-name-map={"my_function": "deployed-echo"}')
    )
    outcome.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("ini", "env", "cli"),
    [
        ("", "", "my_function=deployed-echo"),
        ("", "my_function=deployed-echo,other=x", ""),
        ("durable_function_name_map = my_function=deployed-echo", "", ""),
        # The command line beats the environment, which beats the ini file.
        (
            "durable_function_name_map = my_function=wrong",
            "my_function=wrong",
            "MY_FUNCTION=deployed-echo",
        ),
        ("durable_function_name_map = my_function=wrong", '{"my_function": "deployed-echo"}', ""),
    ],
)
def test_the_map_comes_from_the_option_the_environment_or_the_ini_file(
    pytester, server, monkeypatch, ini, env, cli
):
    pytester.makepyfile(cloud_demo_function=HANDLER_MODULE, test_it=CLOUD_TEST)
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    if env:
        monkeypatch.setenv("DURABLE_FUNCTION_NAME_MAP", env)
    extra = [f"--function-name-map={cli}"] if cli else []
    outcome = pytester.runpytest_inprocess(*cloud_args(server, *extra))
    outcome.assert_outcomes(passed=1)


def test_the_mode_and_endpoint_can_come_from_the_ini_file(pytester, server):
    pytester.makepyfile(cloud_demo_function=HANDLER_MODULE, test_it=CLOUD_TEST)
    pytester.makeini(
        "[pytest]\n"
        "durable_runner_mode = cloud\n"
        "durable_function_name_map = my_function=deployed-echo\n"
        f"durable_lambda_endpoint = {server.endpoint_url}\n"
        "durable_lambda_region = us-east-1\n"
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)


def test_local_mode_is_unchanged(pytester):
    pytester.makepyfile(
        cloud_demo_function=HANDLER_MODULE,
        test_it="""
import pytest
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from cloud_demo_function import handler

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_local(durable_runner):
    assert durable_runner.mode == "local"
    assert isinstance(durable_runner, DurableFunctionTestRunner)
    assert durable_runner.run(input={}).result["step"] == 42
""",
    )
    outcome = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "--runner-mode=local", "--function-name-map=my_function=x"
    )
    outcome.assert_outcomes(passed=1)


SKIPPED = """
import logging
import pytest
from aws_durable_execution_sdk_python_testing.faults import CrashAfterCheckpoint
from cloud_demo_function import handler

@pytest.mark.durable_execution(handler=handler, lambda_function_name="unmapped")
def test_unmapped(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(handler=handler)
def test_unnamed(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function", crash_after=1)
def test_crash_after(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(
    handler=handler, lambda_function_name="my_function",
    faults=[CrashAfterCheckpoint(1)], always_replay=True,
)
def test_faults(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(
    handler=handler, lambda_function_name="my_function", invocation_mode="subprocess"
)
def test_subprocess(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(
    handler=handler, lambda_function_name="my_function", freeze_time=True
)
def test_frozen(durable_runner):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_logs(durable_runner, caplog):
    raise AssertionError("never runs")

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_registers_a_target(durable_runner):
    durable_runner.register_function("payments", lambda event, context: event)
    raise AssertionError("never reached")

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_moves_the_clock(durable_runner):
    durable_runner.advance_time(60)

# Options left at the local runner's defaults do not skip.
@pytest.mark.durable_execution(
    handler=handler, lambda_function_name="my_function", always_replay=False, skip_time=False,
    invocation_mode="in-process",
)
def test_defaults(durable_runner):
    assert durable_runner.run(input={}).result["step"] == 42
"""


def test_what_needs_the_local_runner_is_skipped_with_the_reason(pytester, server):
    pytester.makepyfile(cloud_demo_function=HANDLER_MODULE, test_it=SKIPPED)
    outcome = pytester.runpytest_inprocess(
        *cloud_args(server, "--function-name-map=my_function=deployed-echo")
    )
    outcome.assert_outcomes(passed=1, skipped=9)
    outcome.stdout.fnmatch_lines_random(
        [
            "*'unmapped' is not in --function-name-map*",
            "*has no lambda_function_name=*",
            "*durable_execution(crash_after=...) needs the local runner*",
            "*durable_execution(always_replay=..., faults=...) needs the local runner*",
            "*durable_execution(invocation_mode=...) needs the local runner*",
            "*durable_execution(freeze_time=...) needs the local runner*",
            "*captures logs (caplog)*",
            "*cloud mode: register_function('payments', ...)*deploy it instead*",
            "*cloud mode: advance_time(60)*",
        ]
    )


def test_an_unsupported_call_fails_as_usual_in_local_mode(pytester):
    """The skip is cloud mode's: locally the same error is a failure like any other."""
    pytester.makepyfile(
        test_it="""
from aws_durable_execution_sdk_python_testing import UnsupportedInCloudError

def test_it():
    raise UnsupportedInCloudError("not here")
"""
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(failed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--function-name-map={not json"], "--function-name-map: not a JSON object"),
        (
            ["--function-name-map=[1, 2]"],
            "expected a JSON object or name=deployed,*got a JSON list",
        ),
        (['--function-name-map={"a": 1}'], "'a' -> 1 is not name=deployed"),
        (["--function-name-map=a"], "'a' has no deployed function name"),
        (["--function-name-map==x"], "'' -> 'x' is not name=deployed"),
    ],
)
def test_a_malformed_map_is_a_usage_error(pytester, args, message):
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--runner-mode=cloud", *args)
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines([f"*{message}*"])


def test_a_bad_mode_in_the_ini_file_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\ndurable_runner_mode = aws\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*durable_runner_mode = 'aws': use 'local' or 'cloud'*"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"Human_Approval": "approval-prod"}', {"human_approval": "approval-prod"}),
        ("a=x, b = y ,", {"a": "x", "b": "y"}),
        (
            "a=arn:aws:lambda:us-east-1:123456789012:function:f",
            {"a": "arn:aws:lambda:us-east-1:123456789012:function:f"},
        ),
    ],
)
def test_both_forms_of_the_map_parse(text, expected):
    assert parse_function_name_map(text) == expected


FAILING_CLOUD_TEST = """
import pytest
from cloud_demo_function import handler

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_wrong_expectation(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"data": "test"}, timeout=10)
    assert result.result == "something else"
"""


def test_a_failing_cloud_test_gets_its_timeline_too(pytester, server):
    pytester.makepyfile(cloud_demo_function=HANDLER_MODULE, test_it=FAILING_CLOUD_TEST)
    outcome = pytester.runpytest_inprocess(
        *cloud_args(
            server, "--function-name-map=my_function=deployed-echo", "--durable-timeline=out"
        )
    )
    outcome.assert_outcomes(failed=1)
    [page] = (pytester.path / "out").glob("*.html")
    assert "test_wrong_expectation" in page.name
    html = page.read_text()
    assert "answer" in html and ":function:deployed-echo" in html  # the step, the execution
    assert str(page.relative_to(pytester.path)) in outcome.stdout.str()
