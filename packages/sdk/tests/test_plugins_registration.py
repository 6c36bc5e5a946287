"""Plugin registration: lists, ``@hookimpl`` objects, factories, entry points, ``instrument``.

Includes what pluggy checks when a plugin registers: plugins given to ``durable_execution``
fail at decoration; an invalid plugin made by a factory is logged and left out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from plugin_support import Recorder, _one, run

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.lambda_service import InvocationStatus as OutputStatus
from aws_durable_execution_sdk_python.plugin import (
    InvocationStartInfo,
    OperationEndInfo,
    UserFunctionStartInfo,
    hookimpl,
    instrument,
)
from aws_durable_execution_sdk_python_testing import InvocationStatus

# -- registration ----------------------------------------------------------------------------


def test_plugins_are_called_in_list_order() -> None:
    """pluggy alone calls the newest plugin first; registration order must win
    (docs/decisions.md, "Plugins run in list order, isolated"), whatever the plugins' names
    or kinds."""
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


def test_a_hookimpl_that_needs_more_than_the_info_is_rejected_at_decoration() -> None:
    """The one parameter may have any name (test_plugins_compat); a second one is refused."""

    class WrongArguments:
        @hookimpl
        def on_operation_end(self, info: Any, operation: Any) -> None:
            pass

    with pytest.raises(ValidationError, match="on_operation_end") as caught:
        durable_execution(plugins=[WrongArguments()])(_one)

    assert "(info, operation)" in str(caught.value)
    assert "one argument" in str(caught.value)


def test_hookwrappers_are_rejected_at_decoration() -> None:
    class Wrapper:
        @hookimpl(hookwrapper=True)
        def on_operation_start(self, info: Any) -> Iterator[None]:
            yield

    with pytest.raises(ValidationError, match="wrapper"):
        durable_execution(plugins=[Wrapper()])(_one)


def test_an_invalid_plugin_made_by_a_factory_is_logged_and_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What a factory makes is only known per invocation. An invalid plugin is a plugin
    failure like any other: logged, left out, and the workflow's outcome is unchanged
    (docs/decisions.md, "Plugins run in list order, isolated"); the other plugins run."""
    ran: list[str] = []
    calls: list[tuple[str, str, Any]] = []

    class Misspelled:
        @hookimpl
        def on_operation_ended(self, info: Any) -> None:
            ran.append("hook")

    class Factory:
        def create_plugin(self, info: InvocationStartInfo) -> Misspelled:
            return Misspelled()

    @durable_execution(plugins=[Factory(), Recorder(calls)])
    def handler(event: Any, context: DurableContext) -> int:
        ran.append("handler")
        return 1

    caplog.set_level(logging.ERROR, logger="aws_durable_execution_sdk_python.plugin")
    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.invocation_count == 1
    assert ran == ["handler"]
    assert [hook for _l, hook, _i in calls] == ["on_invocation_start", "on_invocation_end"]
    [record] = [r for r in caplog.records if "Factory" in r.getMessage()]
    assert "on_operation_ended" in record.getMessage()
    assert "plugin ignored" in record.getMessage()


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
