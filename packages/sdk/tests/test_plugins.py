"""Plugins: registration (list, ``@hookimpl`` objects, factories, entry points, ``instrument``),
when each hook fires across invocations and replays, what it receives, and that an
execution without plugins builds nothing for them."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ExecutionError,
    InvocationError,
    StepContext,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python._plugins import emit as emit_module
from aws_durable_execution_sdk_python._plugins import info as info_module
from aws_durable_execution_sdk_python._plugins import manager as manager_module
from aws_durable_execution_sdk_python._plugins.manager import _reset_installed_plugins
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.lambda_service import (
    InvocationStatus as OutputStatus,
)
from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationType
from aws_durable_execution_sdk_python.plugin import (
    ENTRY_POINT_GROUP,
    DurableInstrumentationPlugin,
    InvocationEndInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
    hookimpl,
    instrument,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)

RETRY_TWICE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay_seconds=10,
            backoff_rate=2,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
)


def run(handler: Callable[..., Any], **runner_options: Any) -> DurableFunctionTestResult:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


class Recorder(DurableInstrumentationPlugin):
    """Appends ``(label, hook, info)`` for every hook call to a shared list."""

    def __init__(self, calls: list[tuple[str, str, Any]], label: str = "recorder") -> None:
        self.calls = calls
        self.label = label

    def _note(self, hook: str, info: Any) -> None:
        self.calls.append((self.label, hook, info))

    def on_invocation_start(self, info: Any) -> None:
        self._note("on_invocation_start", info)

    def on_invocation_end(self, info: Any) -> None:
        self._note("on_invocation_end", info)

    def on_operation_start(self, info: Any) -> None:
        self._note("on_operation_start", info)

    def on_operation_end(self, info: Any) -> None:
        self._note("on_operation_end", info)

    def on_operation_change(self, info: Any) -> None:
        self._note("on_operation_change", info)

    def on_user_function_start(self, info: Any) -> None:
        self._note("on_user_function_start", info)

    def on_user_function_end(self, info: Any) -> None:
        self._note("on_user_function_end", info)


def by_invocation(result: DurableFunctionTestResult) -> list[list[tuple[str, Any]]]:
    """The runner's recorded hook calls, one list per invocation."""
    invocations: list[list[tuple[str, Any]]] = []
    for event in result.hook_events:
        if event.hook == "on_invocation_start":
            invocations.append([])
        invocations[-1].append((event.hook, event.info))
    return invocations


def names(calls: list[tuple[str, Any]], hook: str) -> list[str | None]:
    return [info.name for h, info in calls if h == hook]


def _one(event: Any, context: DurableContext) -> int:
    return context.step(lambda step_context: 1, name="one")


# -- registration ----------------------------------------------------------------------------


def test_plugins_are_called_in_list_order() -> None:
    """pluggy alone calls the newest plugin first; registration order must win (ruling 18),
    whatever the plugins' names or kinds."""
    calls: list[tuple[str, str, Any]] = []

    class Marked:
        @hookimpl
        def on_operation_start(self, info: Any) -> None:
            calls.append(("marked", "on_operation_start", info))

        @hookimpl
        def on_user_function_end(self, info: Any) -> None:
            calls.append(("marked", "on_user_function_end", info))

    plugins = [Recorder(calls, "zulu"), Marked(), Recorder(calls, "alpha")]

    @durable_execution(plugins=plugins)
    def handler(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="a")
        return context.step(lambda s: 2, name="b")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    for hook in ("on_operation_start", "on_user_function_end"):
        labels = [label for label, h, _info in calls if h == hook]
        assert labels == ["zulu", "marked", "alpha"] * 2, hook
    for hook in ("on_invocation_start", "on_operation_end", "on_invocation_end"):
        labels = [label for label, h, _info in calls if h == hook]
        assert labels == ["zulu", "alpha"] * (len(labels) // 2), hook
        assert labels, hook
    # Each hook call reaches all plugins with the same info, before the next call starts.
    starts = [(label, info) for label, h, info in calls if h == "on_operation_start"]
    assert [info.name for _label, info in starts] == ["a"] * 3 + ["b"] * 3
    assert starts[0][1] is starts[1][1] is starts[2][1]


def test_hookimpl_marked_plain_objects_are_plugins() -> None:
    seen: list[tuple[str, str | None]] = []

    class PlainPlugin:
        @hookimpl
        def on_operation_end(self, info: OperationEndInfo) -> None:
            seen.append(("end", info.name))

        @hookimpl
        def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
            seen.append(("user start", info.name))

        def on_operation_start(self, info: Any) -> None:  # not marked: not a hook
            seen.append(("unmarked", info.name))

    result = run(durable_execution(plugins=[PlainPlugin()])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    assert seen == [("user start", "one"), ("end", "one")]


def test_hookimpl_may_declare_fewer_arguments_than_the_spec() -> None:
    """pluggy lets an implementation take a subset of the spec's arguments: here, none."""
    seen: list[str] = []

    class NoInfo:
        @hookimpl
        def on_invocation_start(self) -> None:
            seen.append("start")

    result = run(durable_execution(plugins=[NoInfo()])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    assert seen == ["start"]


# pluggy validates implementations against the specs when a plugin registers: plugins given
# to ``durable_execution`` are checked when the handler is decorated, so a mistake shows at
# import time, before any invocation.


def test_a_hookimpl_with_a_misspelled_hook_name_is_rejected_at_decoration() -> None:
    ran: list[str] = []

    class Misspelled:
        @hookimpl
        def on_operation_ended(self, info: Any) -> None:  # no such hook
            ran.append("hook")

    with pytest.raises(ValidationError, match="on_operation_ended") as caught:
        durable_execution(plugins=[Misspelled()])(_one)

    assert "on_operation_end," in str(caught.value)  # the message lists the real hooks
    assert ran == []


def test_a_hookimpl_whose_arguments_do_not_match_the_spec_is_rejected_at_decoration() -> None:
    class WrongArgument:
        @hookimpl
        def on_operation_end(self, operation: Any) -> None:
            pass

    with pytest.raises(ValidationError, match="on_operation_end") as caught:
        durable_execution(plugins=[WrongArgument()])(_one)

    assert "operation" in str(caught.value)
    assert "info" in str(caught.value)


def test_hookwrappers_are_rejected_at_decoration() -> None:
    class Wrapper:
        @hookimpl(hookwrapper=True)
        def on_operation_start(self, info: Any) -> Iterator[None]:
            yield

    with pytest.raises(ValidationError, match="wrapper"):
        durable_execution(plugins=[Wrapper()])(_one)


def test_an_invalid_plugin_made_by_a_factory_fails_the_invocation() -> None:
    """What a factory makes is only known per invocation: the invocation fails (and is
    retried) with the same error, before any user code runs."""
    ran: list[str] = []

    class Misspelled:
        @hookimpl
        def on_operation_ended(self, info: Any) -> None:
            ran.append("hook")

    class Factory:
        def create_plugin(self, info: InvocationStartInfo) -> Misspelled:
            return Misspelled()

    @durable_execution(plugins=[Factory()])
    def handler(event: Any, context: DurableContext) -> int:
        ran.append("handler")
        return 1

    result = run(handler, invocation_retries=1)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "ValidationError"
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    assert "on_operation_ended" in result.error["message"]
    assert result.invocation_count == 2
    assert ran == []


def test_factories_make_a_fresh_plugin_per_invocation() -> None:
    class Factory:
        def __init__(self) -> None:
            self.infos: list[InvocationStartInfo] = []
            self.plugins: list[Recorder] = []

        def create_plugin(self, info: InvocationStartInfo) -> Recorder:
            self.infos.append(info)
            plugin = Recorder([], f"invocation {len(self.plugins) + 1}")
            self.plugins.append(plugin)
            return plugin

    factory = Factory()

    @durable_execution(plugins=[factory])
    def handler(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="before")
        context.wait(Duration.from_seconds(30), name="pause")
        return context.step(lambda s: 2, name="after")

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.invocation_count == 2
    assert len(factory.plugins) == 2
    assert factory.plugins[0] is not factory.plugins[1]
    assert all(type(info) is InvocationStartInfo for info in factory.infos)
    assert [info.execution_arn for info in factory.infos] == [result.execution_arn] * 2
    assert [info.is_first_invocation for info in factory.infos] == [True, False]
    first, second = (plugin.calls for plugin in factory.plugins)
    # Each plugin sees only its own invocation, from start to end.
    for calls in (first, second):
        hooks = [hook for _label, hook, _info in calls]
        assert (hooks[0], hooks[-1]) == ("on_invocation_start", "on_invocation_end")
        assert hooks.count("on_invocation_start") == hooks.count("on_invocation_end") == 1
    assert [info.status for _l, hook, info in first if hook == "on_invocation_end"] == [
        OutputStatus.PENDING
    ]
    assert [info.status for _l, hook, info in second if hook == "on_invocation_end"] == [
        OutputStatus.SUCCEEDED
    ]
    assert [info.name for _l, hook, info in first if hook == "on_operation_end"] == ["before"]
    assert [info.name for _l, hook, info in second if hook == "on_operation_end"] == [
        "pause",
        "after",
    ]
    # The info a factory gets is the invocation's: the same the start hook receives.
    start = next(info for _l, hook, info in second if hook == "on_invocation_start")
    assert factory.infos[1].updated_operation_ids == start.updated_operation_ids
    assert len(factory.infos[1].updated_operation_ids) == 1


# -- entry points ----------------------------------------------------------------------------

FAKE_PLUGIN_MODULE = "fake_durable_metrics_plugin"


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A package installed in a temporary directory that declares two plugins (an instance
    and a factory) and a broken one in the entry-point group."""
    dist_info = tmp_path / "fake_durable_metrics_plugin-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-durable-metrics-plugin\nVersion: 1.0\n"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        f"recorder = {FAKE_PLUGIN_MODULE}:PLUGIN\n"
        f"per_invocation = {FAKE_PLUGIN_MODULE}:FACTORY\n"
        f"broken = {FAKE_PLUGIN_MODULE}_missing:PLUGIN\n"
    )
    (tmp_path / f"{FAKE_PLUGIN_MODULE}.py").write_text(
        textwrap.dedent(
            """
            from aws_durable_execution_sdk_python.plugin import (
                DurableInstrumentationPlugin,
                hookimpl,
            )

            CALLS = []


            class Plugin(DurableInstrumentationPlugin):
                def on_operation_end(self, info):
                    CALLS.append(("plugin", info.name))


            class Made:
                @hookimpl
                def on_invocation_start(self, info):
                    CALLS.append(("made", info.is_first_invocation))


            class Factory:
                def create_plugin(self, info):
                    return Made()


            PLUGIN = Plugin()
            FACTORY = Factory()
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, FAKE_PLUGIN_MODULE, raising=False)
    _reset_installed_plugins()
    try:
        yield tmp_path
    finally:
        _reset_installed_plugins()
        sys.modules.pop(FAKE_PLUGIN_MODULE, None)


def test_installed_entry_point_plugins_receive_hooks(
    installed_plugin: Path, caplog: pytest.LogCaptureFixture
) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="first")
        context.wait(Duration.from_seconds(5), name="pause")
        return context.step(lambda s: 2, name="second")

    caplog.set_level(logging.ERROR, logger="aws_durable_execution_sdk_python.plugins")
    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 2
    calls = sys.modules[FAKE_PLUGIN_MODULE].CALLS
    assert calls == [
        ("made", True),
        ("plugin", "first"),
        ("made", False),
        ("plugin", "pause"),
        ("plugin", "second"),
    ]
    # The entry point that cannot be loaded is logged (once: loading happens once per
    # process) and skipped.
    broken = [r for r in caplog.records if "could not load" in r.getMessage()]
    assert len(broken) == 1
    assert "broken" in broken[0].getMessage()


def test_entry_point_plugins_are_loaded_once_per_process(installed_plugin: Path) -> None:
    result = run(durable_execution(_one))
    assert result.status is InvocationStatus.SUCCEEDED
    module = sys.modules[FAKE_PLUGIN_MODULE]
    assert ("plugin", "one") in module.CALLS
    # Removing the package does not unload what was loaded, until the cache is reset.
    (installed_plugin / "fake_durable_metrics_plugin-1.0.dist-info" / "entry_points.txt").unlink()
    module.CALLS.clear()
    run(durable_execution(_one))
    assert ("plugin", "one") in module.CALLS
    _reset_installed_plugins()
    module.CALLS.clear()
    run(durable_execution(_one))
    assert module.CALLS == []


def test_instrument_adds_plugins_around_invocations() -> None:
    calls: list[tuple[str, str, Any]] = []
    handler_calls: list[tuple[str, str, Any]] = []
    handler = durable_execution(plugins=[Recorder(handler_calls, "handler")])(_one)

    with instrument(Recorder(calls, "outer")), instrument(Recorder(calls, "inner")):
        result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED
    ends = [(label, info.name) for label, hook, info in calls if hook == "on_operation_end"]
    assert ends == [("outer", "one"), ("inner", "one")]
    assert [info.name for _l, h, info in handler_calls if h == "on_operation_end"] == ["one"]

    calls.clear()
    run(handler)
    assert calls == []  # outside the block: only the handler's own plugin
    assert len([h for _l, h, _i in handler_calls if h == "on_operation_end"]) == 2


# -- when hooks fire --------------------------------------------------------------------------


def test_no_hooks_for_replayed_terminal_operations_but_one_end_for_a_wait() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        context.step(lambda s: "done", name="early")
        context.wait(Duration.from_seconds(60), name="pause")
        return context.step(lambda s: "late", name="late")

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.SUCCEEDED
    first, second = by_invocation(result)
    assert names(first, "on_operation_start") == ["early", "pause"]
    assert names(first, "on_operation_end") == ["early"]
    # The step completed in invocation 1 is replayed without any hook; the wait that
    # completed while the function was suspended ends once, reported as new.
    assert names(second, "on_operation_start") == ["late"]
    assert names(second, "on_operation_end") == ["pause", "late"]
    assert names(second, "on_user_function_start") == ["late"]
    [pause] = [info for hook, info in second if hook == "on_operation_end" and info.name == "pause"]
    assert type(pause) is OperationEndInfo
    assert pause.is_replayed is False
    assert pause.operation_type is OperationType.WAIT
    assert pause.status is OperationStatus.SUCCEEDED
    assert (pause.end_time - pause.start_time).total_seconds() == pytest.approx(60, abs=1)
    start = second[0][1]
    assert pause.operation_id in start.updated_operation_ids
    assert result.get_wait("pause").operation_id == pause.operation_id


def test_user_function_hooks_fire_for_every_attempt() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        def flaky(step_context: StepContext) -> int:
            if step_context.attempt < 3:
                raise RuntimeError(f"attempt {step_context.attempt}")
            return step_context.attempt

        return context.step(flaky, name="flaky", config=RETRY_TWICE)

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 3
    invocations = by_invocation(result)
    assert len(invocations) == 3  # each retry waits its backoff while suspended
    starts = [
        (index, info)
        for index, calls in enumerate(invocations)
        for hook, info in calls
        if hook == "on_user_function_start"
    ]
    ends = [
        (index, info)
        for index, calls in enumerate(invocations)
        for hook, info in calls
        if hook == "on_user_function_end"
    ]
    assert [(index, info.attempt) for index, info in starts] == [(0, 1), (1, 2), (2, 3)]
    assert [(index, info.attempt, info.outcome) for index, info in ends] == [
        (0, 1, UserFunctionOutcome.FAILED),
        (1, 2, UserFunctionOutcome.FAILED),
        (2, 3, UserFunctionOutcome.SUCCEEDED),
    ]
    assert all(type(info) is UserFunctionStartInfo for _i, info in starts)
    assert all(type(info) is UserFunctionEndInfo for _i, info in ends)
    assert all(info.name == "flaky" and info.end_time is not None for _i, info in ends)
    [end] = result.hooks("on_operation_end")
    assert (end.name, end.attempt, end.status) == ("flaky", 3, OperationStatus.SUCCEEDED)


def test_invocation_end_reports_pending_then_succeeded() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        context.wait(Duration.from_seconds(5), name="w1")
        context.wait(Duration.from_seconds(5), name="w2")
        return "ok"

    result = run(handler, record_hooks=True)

    ends = result.hooks("on_invocation_end")
    assert all(type(info) is InvocationEndInfo for info in ends)
    assert [info.status for info in ends] == [
        OutputStatus.PENDING,
        OutputStatus.PENDING,
        OutputStatus.SUCCEEDED,
    ]
    assert [info.error for info in ends] == [None, None, None]
    starts = result.hooks("on_invocation_start")
    assert [info.is_first_invocation for info in starts] == [True, False, False]
    assert {info.execution_arn for info in starts + ends} == {result.execution_arn}


def test_invocation_end_reports_failed_with_the_error() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        raise ExecutionError("cannot go on")

    result = run(handler, record_hooks=True)

    assert result.status is InvocationStatus.FAILED
    [end] = result.hooks("on_invocation_end")
    assert end.status is OutputStatus.FAILED
    assert end.error is not None
    assert end.error.type == "ExecutionError"
    assert "cannot go on" in end.error.message


def test_invocation_end_reports_retry_when_the_invocation_raised() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        def body(step_context: StepContext) -> None:
            raise InvocationError("throttled, try the invocation again")

        context.step(body, name="call")

    result = run(handler, record_hooks=True, invocation_retries=2)

    assert result.status is InvocationStatus.FAILED
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    ends = result.hooks("on_invocation_end")
    assert [info.status for info in ends] == [OutputStatus.RETRY] * 3
    for info in ends:
        assert info.error is not None
        assert info.error.type == "InvocationError"
        assert "throttled" in info.error.message
    outcomes = [info.outcome for info in result.hooks("on_user_function_end")]
    assert outcomes == [UserFunctionOutcome.FAILED] * 3


def _three_steps(event: Any, context: DurableContext) -> int:
    total = 0
    for index in range(3):
        total += context.step(lambda s, i=index: i, name=f"step {index}")
    return total


def test_operation_change_lists_the_changed_operations_and_all_of_them() -> None:
    seen: list[tuple[dict[str, OperationInfo], int, set[str | None], list[Any]]] = []

    class Changes(DurableInstrumentationPlugin):
        def on_operation_change(self, info: OperationChangeInfo) -> None:
            everything = dict(info.operations)  # read while the hook runs
            seen.append(
                (
                    dict(info.updated_operations),
                    len(info.operations),
                    {op.name for op in everything.values()},
                    [op.operation_type for op in everything.values()],
                )
            )

    result = run(durable_execution(plugins=[Changes()])(_three_steps))

    assert result.status is InvocationStatus.SUCCEEDED
    changes = result.hooks("on_operation_change")
    assert all(type(info) is OperationChangeInfo for info in changes)
    assert {info.execution_arn for info in changes} == {result.execution_arn}
    assert len(changes) == len(seen)
    steps = {op.name: op.operation_id for op in result.operations}
    for index, name in enumerate(["step 0", "step 1", "step 2"]):
        [(updated, count, names_then, kinds)] = [
            entry
            for entry in seen
            if steps[name] in entry[0] and entry[0][steps[name]].status is OperationStatus.SUCCEEDED
        ]
        changed = updated[steps[name]]
        assert isinstance(changed, OperationInfo)
        assert (changed.name, changed.status) == (name, OperationStatus.SUCCEEDED)
        assert changed.result == str(index)
        # Every operation so far, the EXECUTION operation included.
        assert count == index + 2
        assert names_then >= {f"step {i}" for i in range(index + 1)}
        assert kinds.count(OperationType.EXECUTION) == 1
    assert seen[-1][1] == len(result.get_all_operations()) + 1


def test_an_info_kept_after_its_hook_still_describes_its_moment() -> None:
    result = run(durable_execution(_three_steps), record_hooks=True)

    """Infos are frozen values: ``operations`` is what existed when the hook ran."""
    first_change = result.hooks("on_operation_change")[0]
    assert len(first_change.operations) == 2  # the EXECUTION operation and "step 0"
    [start] = result.hooks("on_invocation_start")
    assert len(start.operations) == 1  # only the EXECUTION operation existed


def test_operation_start_info_for_a_live_start() -> None:
    result = run(durable_execution(_one), record_hooks=True)

    [start] = result.hooks("on_operation_start")
    assert type(start) is OperationStartInfo
    assert (start.name, start.operation_type, start.is_replayed) == (
        "one",
        OperationType.STEP,
        False,
    )
    assert start.operation_id == result.get_step("one").operation_id
    [end] = result.hooks("on_operation_end")
    assert (end.result, end.attempt, end.error) == ("1", 1, None)
    assert end.start_time is not None and end.end_time >= end.start_time


# -- the structured logger ----------------------------------------------------------------------


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def log_handler() -> Iterator[ListHandler]:
    handler = ListHandler()
    handler.setFormatter(logging.Formatter("%(executionArn)s|%(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_context_logger_records_carry_the_durable_fields(log_handler: ListHandler) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        context.logger.info("starting")

        def flaky(step_context: StepContext) -> int:
            step_context.logger.info("attempt %d", step_context.attempt)
            if step_context.attempt < 2:
                raise RuntimeError("not yet")
            return step_context.attempt

        return context.step(flaky, name="flaky", config=RETRY_TWICE)

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    records = [r for r in log_handler.records if hasattr(r, "executionArn")]
    assert [r.getMessage() for r in records] == ["starting", "attempt 1", "attempt 2"]
    assert {r.executionArn for r in records} == {result.execution_arn}
    step = result.get_step("flaky")
    for record, attempt in zip(records[1:], [1, 2], strict=True):
        assert record.operationId == step.operation_id
        assert record.operationName == "flaky"
        assert record.attempt == attempt
    assert not hasattr(records[0], "operationId")
    assert not hasattr(records[0], "attempt")
    # Plain ``logging`` formatters can use the fields.
    assert f"{result.execution_arn}|starting" in log_handler.lines


# -- zero cost -------------------------------------------------------------------------------


@pytest.fixture
def no_info_objects(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make building any hook info (or a dispatcher) fail loudly; return what was tried."""
    built: list[str] = []

    def forbid(name: str) -> Callable[..., None]:
        def constructor(self: Any, *args: Any, **kwargs: Any) -> None:
            built.append(name)
            raise AssertionError(f"{name} built with no plugin registered")

        return constructor

    classes = [
        value
        for value in vars(info_module).values()
        if isinstance(value, type) and value.__module__ == info_module.__name__
    ]
    assert {cls.__name__ for cls in classes} >= {
        "InvocationStartInfo",
        "InvocationEndInfo",
        "OperationInfo",
        "OperationStartInfo",
        "OperationEndInfo",
        "OperationChangeInfo",
        "UserFunctionStartInfo",
        "UserFunctionEndInfo",
    }
    for cls in classes:
        if issubclass(cls, Exception) or cls is info_module.UserFunctionOutcome:
            continue
        monkeypatch.setattr(cls, "__init__", forbid(cls.__name__))
    monkeypatch.setattr(manager_module.PluginDispatcher, "__init__", forbid("PluginDispatcher"))
    from aws_durable_execution_sdk_python._plugins import snapshots

    monkeypatch.setattr(snapshots.OperationsSnapshot, "__init__", forbid("OperationsSnapshot"))
    # The emit module's names are the same classes.
    assert emit_module.OperationEndInfo is info_module.OperationEndInfo
    _reset_installed_plugins()
    return built


def _busy_handler() -> Callable[..., Any]:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        def flaky(step_context: StepContext) -> int:
            if step_context.attempt < 3:
                raise RuntimeError("again")
            return 1

        total = context.step(lambda s: 1, name="plain")
        total += context.step(flaky, name="flaky", config=RETRY_TWICE)
        context.wait(Duration.from_seconds(10), name="pause")
        total += context.run_in_child_context(
            lambda child: child.step(lambda s: 1, name="inner"), name="child"
        )
        context.logger.info("total %d", total)
        return total

    return handler


def test_nothing_is_built_for_plugins_when_none_is_registered(
    no_info_objects: list[str],
) -> None:
    result = run(_busy_handler(), record_hooks=False)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 3
    assert result.invocation_count == 4
    assert no_info_objects == []
    assert result.hook_events == []


def test_the_zero_cost_check_would_catch_an_info_being_built(
    no_info_objects: list[str],
) -> None:
    """The same run with one plugin does try to build infos: the patch is effective."""
    run(_busy_handler(), record_hooks=True)
    assert "PluginDispatcher" in no_info_objects
    with pytest.raises(AssertionError, match="OperationEndInfo built"):
        OperationEndInfo(operation_id="x", operation_type=OperationType.STEP)


def test_plugins_may_ask_for_replay_events_of_finished_operations() -> None:
    """By default a step finished in an earlier invocation is not reported again; a plugin
    with ``receive_replay_events = True`` hears about it, marked ``is_replayed``."""
    seen: dict[str, list[tuple[str, str | None, bool]]] = {"live": [], "replay": []}

    class Live(DurableInstrumentationPlugin):
        def on_operation_end(self, info: Any) -> None:
            seen["live"].append(("end", info.name, info.is_replayed))

    class Replaying(DurableInstrumentationPlugin):
        receive_replay_events = True

        def on_operation_start(self, info: Any) -> None:
            seen["replay"].append(("start", info.name, info.is_replayed))

        def on_operation_end(self, info: Any) -> None:
            seen["replay"].append(("end", info.name, info.is_replayed))

    @durable_execution(plugins=[Live(), Replaying()])
    def handler(event: Any, context: DurableContext) -> int:
        value = context.step(lambda _: 1, name="first")
        context.wait(Duration.from_seconds(5), name="pause")
        return value

    result = run(handler, record_hooks=False)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert seen["live"] == [("end", "first", False), ("end", "pause", False)]
    # The second invocation replays "first": only the plugin that asked hears about it.
    assert ("start", "first", True) in seen["replay"]
    assert ("end", "first", True) in seen["replay"]
    assert seen["replay"].count(("end", "first", False)) == 1
