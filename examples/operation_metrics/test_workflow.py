"""Tests of the metrics plugin: its figures match the execution, and a broken plugin beside it
changes nothing but the log."""

from __future__ import annotations

import datetime
import logging
import re
from collections import Counter
from typing import Any

import pytest

from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)
from examples.operation_metrics.workflow import (
    OperationMetrics,
    OperationMetricsFactory,
    handler,
    make_handler,
    metrics,
)

HOOKS = (
    "on_invocation_start",
    "on_invocation_end",
    "on_operation_start",
    "on_operation_end",
    "on_operation_change",
    "on_user_function_start",
    "on_user_function_end",
)
PLUGIN_LOGGER = "aws_durable_execution_sdk_python.plugin"
SHIPMENT = {"shipment_id": "s-1"}
EXPECTED_RESULT = {
    "shipment_id": "s-1",
    "booking": "booking-s-1",
    "labels": ["label-booking-s-1-0", "label-booking-s-1-1"],
}
# name -> (type, status, attempts), in the order the operations start
EXPECTED_OPERATIONS = {
    "load_shipment": ("STEP", "SUCCEEDED", 1),
    "book_carrier": ("STEP", "SUCCEEDED", 3),
    "settle": ("WAIT", "SUCCEEDED", None),
    "print_labels": ("CONTEXT", "SUCCEEDED", 1),
    "label 0": ("STEP", "SUCCEEDED", 1),
    "label 1": ("STEP", "SUCCEEDED", 1),
}

factory = OperationMetricsFactory()
factory_handler = make_handler(factory)


def _shape(summary: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        name: (entry["type"], entry["status"], entry["attempts"]) for name, entry in summary.items()
    }


def check_summary(summary: dict[str, dict[str, Any]], result: DurableFunctionTestResult) -> None:
    assert _shape(summary) == EXPECTED_OPERATIONS
    # Timestamps are the service's, on the virtual clock: the backoff (10 s + 20 s) and the
    # 5-minute wait take their virtual time, not the milliseconds the test takes.
    assert summary["book_carrier"]["duration_seconds"] == pytest.approx(30, abs=1)
    assert summary["settle"]["duration_seconds"] == pytest.approx(300, abs=1)
    for name in ("load_shipment", "label 0", "label 1", "print_labels"):
        assert 0 <= summary[name]["duration_seconds"] < 1, name
    # The same figures the execution's own record shows.
    for op in result.get_all_operations():
        entry = summary[op.name]
        assert entry["status"] == op.status.value
        assert entry["duration_seconds"] == (op.end_timestamp - op.start_timestamp).total_seconds()
    assert summary["book_carrier"]["attempts"] == result.get_step("book_carrier").attempt


@pytest.mark.durable_execution(handler=handler, lambda_function_name="operation_metrics")
def test_metrics_match_the_execution(durable_runner):
    metrics.reset()
    with durable_runner:
        result = durable_runner.run(input=SHIPMENT, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == EXPECTED_RESULT
    # Two retries and the wait each suspend the execution: every later invocation replays
    # the operations before it, and none of them is reported again.
    assert len(result.invocations) == 4
    check_summary(metrics.summary(), result)
    assert [record.end_reports for record in metrics.records()] == [1] * len(EXPECTED_OPERATIONS)


@pytest.mark.durable_execution(handler=factory_handler, lambda_function_name="operation_metrics")
def test_the_factory_makes_a_plugin_per_invocation_and_files_by_execution(durable_runner):
    before = len(factory.plugins)
    with durable_runner:
        first = durable_runner.run(input=SHIPMENT, timeout=10)
        second = durable_runner.run(input=SHIPMENT, timeout=10)

    assert first.result == second.result == EXPECTED_RESULT
    assert first.execution_arn != second.execution_arn
    infos = factory.invocations[before:]
    assert [info.execution_arn for info in infos] == [first.execution_arn] * 4 + [
        second.execution_arn
    ] * 4
    assert [info.is_first_invocation for info in infos] == [True, False, False, False] * 2
    plugins = factory.plugins[before:]
    assert len({id(plugin) for plugin in plugins}) == len(infos) == 8
    # Both executions use the same operation ids, yet their attempts do not add up.
    check_summary(factory.summary(first.execution_arn), first)
    check_summary(factory.summary(second.execution_arn), second)


# -- a faulty plugin next to a healthy one -----------------------------------------------


class FaultyPlugin(DurableInstrumentationPlugin):
    """Raises in every hook (after noting that it was called)."""

    def __init__(self) -> None:
        super().__init__()
        self.called: Counter[str] = Counter()

    def _fail(self, hook: str) -> None:
        self.called[hook] += 1
        raise ValueError(f"faulty plugin broke in {hook}")

    def on_invocation_start(self, info: Any) -> None:
        self._fail("on_invocation_start")

    def on_invocation_end(self, info: Any) -> None:
        self._fail("on_invocation_end")

    def on_operation_start(self, info: Any) -> None:
        self._fail("on_operation_start")

    def on_operation_end(self, info: Any) -> None:
        self._fail("on_operation_end")

    def on_operation_change(self, info: Any) -> None:
        self._fail("on_operation_change")

    def on_user_function_start(self, info: Any) -> None:
        self._fail("on_user_function_start")

    def on_user_function_end(self, info: Any) -> None:
        self._fail("on_user_function_end")


def _run(lambda_handler: Any) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(lambda_handler) as runner:
        return runner.run(input=SHIPMENT, timeout=10)


def _comparable(history: list[dict[str, Any]]) -> list[Any]:
    """The history without what differs between any two runs: the execution's random id,
    request ids, and absolute times (kept as whole virtual seconds since the start)."""
    start, execution_id = history[0]["EventTimestamp"], history[0]["Id"]

    def clean(value: Any) -> Any:
        if value == execution_id:
            return "<execution id>"
        if isinstance(value, datetime.datetime):
            return round((value - start).total_seconds())
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "RequestId"}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return [clean(event) for event in history]


def _plugin_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == PLUGIN_LOGGER]


def _hook_of(record: logging.LogRecord) -> str:
    match = re.search(r"\b(on_[a-z_]+)\b", record.getMessage())
    assert match, record.getMessage()
    return match.group(1)


@pytest.fixture
def faulty_run(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    """The workflow without plugins, with the healthy plugin alone, and with a faulty plugin
    registered before the healthy one."""
    plain = _run(make_handler())
    alone = OperationMetrics()
    alone_result = _run(make_handler(alone))
    caplog.clear()
    caplog.set_level(logging.ERROR, logger=PLUGIN_LOGGER)
    faulty, healthy = FaultyPlugin(), OperationMetrics()
    result = _run(make_handler(faulty, healthy))
    return {
        "plain": plain,
        "alone": alone,
        "alone_result": alone_result,
        "faulty": faulty,
        "healthy": healthy,
        "result": result,
        "log": _plugin_failures(caplog),
    }


def test_a_faulty_plugin_changes_neither_the_result_nor_the_history(faulty_run):
    plain, result = faulty_run["plain"], faulty_run["result"]
    assert plain.status is result.status is InvocationStatus.SUCCEEDED
    assert plain.result == result.result == EXPECTED_RESULT
    assert result.raw_result == plain.raw_result
    assert len(result.invocations) == len(plain.invocations) == 4
    assert _comparable(result.history) == _comparable(plain.history)
    # The faulty plugin was really called, in every hook.
    assert set(faulty_run["faulty"].called) == set(HOOKS)


def test_the_healthy_plugin_still_sees_everything(faulty_run):
    healthy, alone = faulty_run["healthy"], faulty_run["alone"]
    check_summary(healthy.summary(), faulty_run["result"])
    assert _shape(healthy.summary()) == _shape(alone.summary())
    assert [r.end_reports for r in healthy.records()] == [1] * len(EXPECTED_OPERATIONS)
    # The runner records every hook call when the handler has plugins: the same calls, in
    # the same order, as with the healthy plugin alone.
    hooks = [event.hook for event in faulty_run["result"].hook_events]
    assert hooks == [event.hook for event in faulty_run["alone_result"].hook_events]
    assert set(hooks) == set(HOOKS)


def test_each_failure_is_logged_once_per_hook_at_error_with_its_traceback(faulty_run):
    log = faulty_run["log"]
    # Once per hook for the whole execution, although the faulty plugin raises at every
    # call, in each of the four invocations.
    assert Counter(_hook_of(record) for record in log) == dict.fromkeys(HOOKS, 1)
    calls = faulty_run["faulty"].called
    assert all(calls[hook] >= 2 for hook in HOOKS), calls
    for record in log:
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], ValueError)
        assert "faulty plugin broke in" in str(record.exc_info[1])


def test_failures_are_logged_again_for_another_execution(caplog):
    """Once per execution: a second execution's failures are news."""
    faulty = FaultyPlugin()
    caplog.set_level(logging.ERROR, logger=PLUGIN_LOGGER)
    with DurableFunctionTestRunner(make_handler(faulty)) as runner:
        first = runner.run(input=SHIPMENT, timeout=10)
        second = runner.run(input=SHIPMENT, timeout=10)
    assert first.result == second.result == EXPECTED_RESULT
    counts = Counter(_hook_of(record) for record in _plugin_failures(caplog))
    assert counts == dict.fromkeys(HOOKS, 2)
