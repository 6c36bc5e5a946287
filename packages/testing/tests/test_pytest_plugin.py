"""The pytest plugin, tested the way pytest tests plugins: in a fresh pytest run (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

HANDLER_MODULE = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    return {"echo": event, "step": context.step(lambda _: 41 + 1, name="answer")}
"""


def test_marker_and_fixture_work_without_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(plugin_demo_function=HANDLER_MODULE)
    pytester.makepyfile(
        test_it="""
import pytest
from aws_durable_execution_sdk_python_testing import InvocationStatus
from plugin_demo_function import handler

@pytest.mark.durable_execution(handler=handler, lambda_function_name="my_function")
def test_success(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"data": "test"}, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"echo": {"data": "test"}, "step": 42}
    assert result.get_step("answer").result == 42
    assert ":function:my_function:" in result.execution_arn
"""
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider", "--strict-markers")
    outcome.assert_outcomes(passed=1)


def test_missing_marker_is_a_clear_failure(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_it="""
def test_no_marker(durable_runner):
    pass
"""
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(errors=1)
    outcome.stdout.fnmatch_lines(["*durable_runner needs @pytest.mark.durable_execution*"])


def test_marker_passes_runner_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_it="""
import datetime
import pytest
from aws_durable_execution_sdk_python import DurableContext, Duration, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    before = context.step(lambda _: datetime.datetime.now().timestamp(), name="before")
    context.wait(Duration.from_days(1))
    after = context.step(lambda _: datetime.datetime.now().timestamp(), name="after")
    return after - before

@pytest.mark.durable_execution(handler=handler, freeze_time=True)
def test_frozen(durable_runner):
    result = durable_runner.run(timeout=10)
    assert 86400 <= result.result < 86400 + 60
"""
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)
