"""``--durable-timeline=DIR``: a failing durable test leaves its timelines behind, named in
the failure report (tested in a fresh pytest run, with pytester)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

HANDLER_MODULE = """
from aws_durable_execution_sdk_python import DurableContext, durable_execution

@durable_execution
def handler(event, context: DurableContext):
    return context.step(lambda _: 41 + 1, name="answer")
"""

TESTS = """
import pytest
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from timeline_demo_function import handler

@pytest.mark.durable_execution(handler=handler)
def test_fails_after_a_run(durable_runner):
    with durable_runner:
        result = durable_runner.run(input=1)
    assert result.result == 43

@pytest.mark.durable_execution(handler=handler)
def test_passes(durable_runner):
    with durable_runner:
        assert durable_runner.run(input=1).result == 42

@pytest.mark.durable_execution(handler=handler)
def test_fails_after_two_runs(durable_runner):
    with durable_runner:
        durable_runner.run(input=1, execution_name="first")
        durable_runner.run(input=2, execution_name="second")
    assert False, "on purpose"

@pytest.mark.durable_execution(handler=handler)
def test_marker_only_with_its_own_runner():
    with DurableFunctionTestRunner(handler) as runner:
        runner.run(input=3)
    assert False, "on purpose"

@pytest.mark.parametrize("n", ["a/b"])
@pytest.mark.durable_execution(handler=handler)
def test_odd_node_id(durable_runner, n):
    with durable_runner:
        durable_runner.run(input=n)
    assert False

def test_not_durable():
    assert False
"""


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(timeline_demo_function=HANDLER_MODULE)
    pytester.makepyfile(test_timeline_demo=TESTS)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)


def test_each_failing_durable_test_writes_its_timelines_and_names_them(
    pytester: pytest.Pytester, tmp_path: Path
):
    out = tmp_path / "timelines"
    result = _run(pytester, f"--durable-timeline={out}")
    result.assert_outcomes(passed=1, failed=5)
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "test_timeline_demo.py__test_fails_after_a_run.html",
        "test_timeline_demo.py__test_fails_after_two_runs-1.html",
        "test_timeline_demo.py__test_fails_after_two_runs-2.html",
        "test_timeline_demo.py__test_marker_only_with_its_own_runner.html",
        "test_timeline_demo.py__test_odd_node_id_a_b_.html",
    ]
    for path in out.iterdir():
        page = path.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert 'data-operation-id="' in page
    text = result.stdout.str()
    assert text.count("- durable timeline -") == 4  # one section per failing durable test
    for name in names:
        assert str(out / name) in text
    # several executions: one section, one line per file
    assert re.search(r"- durable timeline -+\n\S*runs-1\.html\n\S*runs-2\.html\n", text)


def test_without_the_option_nothing_is_written(pytester: pytest.Pytester):
    result = _run(pytester)
    result.assert_outcomes(passed=1, failed=5)
    assert not list(Path(pytester.path).rglob("*.html"))
    assert "durable timeline" not in result.stdout.str()


def test_an_unwritable_directory_is_reported_not_raised(pytester: pytest.Pytester):
    blocker = Path(pytester.path) / "blocker"
    blocker.write_text("a file where the directory should be")
    result = _run(pytester, f"--durable-timeline={blocker / 'sub'}")
    result.assert_outcomes(passed=1, failed=5)
    assert "cannot write the durable timeline" in result.stdout.str()
