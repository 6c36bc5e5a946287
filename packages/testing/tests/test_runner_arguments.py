"""Runner arguments refused at once: undecorated handlers, bad ``advance_time`` values; the
runner's ``mode``."""

from __future__ import annotations

import math

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    RunnerMode,
)

pytest_plugins = ["pytester"]


def plain_handler(event: dict, context: object) -> dict:
    """A Lambda handler someone forgot to decorate."""
    return {"ok": True}


@durable_execution
def durable_handler(event: dict, context: DurableContext) -> str:
    context.wait(10, name="ten seconds")
    return "done"


# --- a handler without @durable_execution -------------------------------------------------


def test_an_undecorated_handler_is_refused_when_the_runner_is_made():
    with pytest.raises(DurableFunctionsTestError, match=r"@durable_execution") as caught:
        DurableFunctionTestRunner(plain_handler)
    assert "plain_handler" in str(caught.value)


def test_an_undecorated_durable_target_is_refused_when_registered():
    with DurableFunctionTestRunner(durable_handler) as runner:
        with pytest.raises(DurableFunctionsTestError, match=r"@durable_execution"):
            runner.register_durable_function("target", plain_handler)
        # A plain Lambda target is meant to be undecorated.
        runner.register_function("plain", plain_handler)


def test_the_marker_refuses_an_undecorated_handler(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        def handler(event, context):
            return {"ok": True}

        @pytest.mark.durable_execution(handler=handler, lambda_function_name="f")
        def test_it(durable_runner):
            durable_runner.run(input={})
        """
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(errors=1)
    outcome.stdout.fnmatch_lines(["*@durable_execution*"])
    assert "KeyError" not in outcome.stdout.str()


# --- advance_time -------------------------------------------------------------------------

BAD_SECONDS = [
    pytest.param(-1, id="negative"),
    pytest.param(-0.001, id="slightly-negative"),
    pytest.param(math.nan, id="nan"),
    pytest.param(math.inf, id="infinity"),
    pytest.param(-math.inf, id="minus-infinity"),
    pytest.param("10", id="text"),
    pytest.param(None, id="none"),
    pytest.param(True, id="bool"),
]


@pytest.mark.parametrize("seconds", BAD_SECONDS)
def test_advance_time_refuses(seconds: object):
    with DurableFunctionTestRunner(durable_handler) as runner:
        before = runner.clock.now()
        with pytest.raises(DurableFunctionsTestError, match=r"advance_time\(seconds="):
            runner.advance_time(seconds)  # type: ignore[arg-type]
        assert runner.clock.now() - before < 60  # the clock did not jump


@pytest.mark.parametrize("seconds", [0, 0.5, 10])
def test_advance_time_accepts_finite_non_negative_seconds(seconds: float):
    with DurableFunctionTestRunner(durable_handler) as runner:
        runner.advance_time(seconds)


# --- mode ---------------------------------------------------------------------------------


def test_the_runner_is_in_local_mode():
    with DurableFunctionTestRunner(durable_handler) as runner:
        assert runner.mode == "local"
        assert runner.mode is RunnerMode.LOCAL


def test_the_fixture_runner_reports_local_mode(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest
        from aws_durable_execution_sdk_python import durable_execution

        @durable_execution
        def handler(event, context):
            return "ok"

        @pytest.mark.durable_execution(handler=handler, lambda_function_name="f")
        def test_it(durable_runner):
            assert durable_runner.mode == "local"
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
