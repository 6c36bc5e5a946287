"""Plugins as published code writes them: what ``plugins=`` accepts, and hook signatures.

``plugins=`` takes a list of plugins or factories; a plugin class, a lone plugin or a bare
function is refused at decoration with the fix in the message. A hook implementation may
name its one parameter anything (docs/decisions.md, "Lenient where existing code has one
obvious meaning"); pluggy options that would change the call order or the call shape are
refused, since plugins run in list order (docs/decisions.md, "Plugins run in list order,
isolated").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from plugin_support import Recorder, _one, run

from aws_durable_execution_sdk_python import (
    DurableContext,
    PluginLoadError,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
    OperationEndInfo,
    hookimpl,
    plugins_of,
)
from aws_durable_execution_sdk_python_testing import InvocationStatus


class MyPlugin(DurableInstrumentationPlugin):
    def on_operation_end(self, info: Any) -> None:
        pass


class MarkedPlugin:
    @hookimpl
    def on_operation_end(self, info: Any) -> None:
        pass


class FactoryWithInstanceMethod:
    def create_plugin(self, info: InvocationStartInfo) -> MyPlugin:
        return MyPlugin()


def _make_plugin() -> MyPlugin:
    return MyPlugin()


# -- what plugins= accepts -------------------------------------------------------------------

REFUSED = [
    pytest.param(MyPlugin, r"plugins=\[MyPlugin\(\)\]", id="a plugin class, not in a list"),
    pytest.param(MyPlugin(), r"plugins=\[MyPlugin\(\)\]", id="one plugin, not in a list"),
    pytest.param([MyPlugin], r"plugins\[0\] is the class MyPlugin.*plugins=\[MyPlugin\(\)\]"),
    pytest.param(
        [MyPlugin(), MarkedPlugin],
        r"plugins\[1\] is the class MarkedPlugin.*plugins=\[MarkedPlugin\(\)\]",
        id="a class with @hookimpl methods, second in the list",
    ),
    pytest.param(
        [FactoryWithInstanceMethod],
        r"plugins\[0\] is the class FactoryWithInstanceMethod.*"
        r"plugins=\[FactoryWithInstanceMethod\(\)\]",
        id="a factory class whose create_plugin needs an instance",
    ),
    pytest.param(
        [_make_plugin],
        r"plugins\[0\] is the function _make_plugin.*create_plugin.*plugins=\[MyPlugin\(\)\]",
        id="a bare function",
    ),
    pytest.param("my_plugin", r"a list", id="a string"),
    pytest.param({MyPlugin()}, r"a list.*set has no order", id="a set"),
    pytest.param(iter([MyPlugin()]), r"a list", id="an iterator"),
]


@pytest.mark.parametrize(("plugins", "message"), REFUSED)
def test_plugins_that_are_not_a_list_of_plugins_are_refused_with_the_fix(
    plugins: Any, message: str
) -> None:
    with pytest.raises(PluginLoadError, match=message):
        durable_execution(plugins=plugins)(_one)


class ClassFactory:
    """A factory that is a class: ``create_plugin`` is a classmethod."""

    made: list[Recorder] = []

    @classmethod
    def create_plugin(cls, info: InvocationStartInfo) -> Recorder:
        plugin = Recorder([], "made by a class")
        cls.made.append(plugin)
        return plugin


class StaticFactory:
    made: list[Recorder] = []

    @staticmethod
    def create_plugin(info: InvocationStartInfo) -> Recorder:
        plugin = Recorder([], "made by a staticmethod")
        StaticFactory.made.append(plugin)
        return plugin


ACCEPTED = [
    pytest.param(None, id="None"),
    pytest.param([], id="an empty list"),
    pytest.param((), id="an empty tuple"),
    pytest.param([MyPlugin(), MarkedPlugin()], id="a list of plugins"),
    pytest.param((MyPlugin(),), id="a tuple of plugins"),
    pytest.param([FactoryWithInstanceMethod()], id="a factory object"),
    pytest.param([ClassFactory], id="a class whose create_plugin is a classmethod"),
    pytest.param([StaticFactory], id="a class whose create_plugin is a staticmethod"),
]


@pytest.mark.parametrize("plugins", ACCEPTED)
def test_lists_of_plugins_and_factories_are_accepted(plugins: Any) -> None:
    result = run(durable_execution(plugins=plugins)(_one))
    assert result.status is InvocationStatus.SUCCEEDED
    assert plugins_of(durable_execution(plugins=plugins)(_one)) == tuple(plugins or ())


@pytest.mark.parametrize("factory", [ClassFactory, StaticFactory])
def test_a_class_with_a_class_level_create_plugin_is_a_factory(factory: Any) -> None:
    factory.made.clear()

    result = run(durable_execution(plugins=[factory])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    [plugin] = factory.made
    assert [info.name for _l, hook, info in plugin.calls if hook == "on_operation_end"] == ["one"]


# -- hook signatures ---------------------------------------------------------------------------


class AnyParameterName(DurableInstrumentationPlugin):
    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    def on_invocation_start(self, _info: Any) -> None:
        self.seen.append(("on_invocation_start", _info))

    def on_operation_end(self, operation: Any) -> None:
        self.seen.append(("on_operation_end", operation))


class MarkedAnyShape:
    """``@hookimpl`` methods in every shape that can take one info."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Any]] = []

    @hookimpl
    def on_operation_start(self, op_info: Any) -> None:
        self.seen.append(("on_operation_start", op_info))

    @hookimpl
    def on_operation_end(self, *, info: Any) -> None:
        self.seen.append(("on_operation_end", info))

    @hookimpl
    def on_user_function_start(self, *args: Any) -> None:
        self.seen.append(("on_user_function_start", args[0]))

    @hookimpl
    def on_user_function_end(self, data: Any, extra: int = 0) -> None:
        self.seen.append(("on_user_function_end", data))

    @hookimpl(specname="on_invocation_end")
    def finished(self, whatever: Any) -> None:
        self.seen.append(("on_invocation_end", whatever))

    @hookimpl
    def on_invocation_start(self) -> None:
        self.seen.append(("on_invocation_start", None))


def test_a_hook_may_name_its_one_parameter_anything() -> None:
    plugin = AnyParameterName()

    result = run(durable_execution(plugins=[plugin])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    assert [hook for hook, _info in plugin.seen] == ["on_invocation_start", "on_operation_end"]
    assert type(plugin.seen[0][1]) is InvocationStartInfo
    assert type(plugin.seen[1][1]) is OperationEndInfo
    assert plugin.seen[1][1].name == "one"


def test_marked_hooks_of_any_one_argument_shape_receive_the_info() -> None:
    plugin = MarkedAnyShape()

    result = run(durable_execution(plugins=[plugin])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    assert [hook for hook, _info in plugin.seen] == [
        "on_invocation_start",
        "on_operation_start",
        "on_user_function_start",
        "on_user_function_end",
        "on_operation_end",
        "on_invocation_end",
    ]
    for hook, info in plugin.seen[1:-1]:
        assert info.name == "one", hook
    assert plugin.seen[-1][1].status is not None


def test_a_plugin_made_by_a_factory_may_name_its_parameter_anything() -> None:
    made: list[AnyParameterName] = []

    class Factory:
        def create_plugin(self, info: InvocationStartInfo) -> AnyParameterName:
            made.append(AnyParameterName())
            return made[-1]

    result = run(durable_execution(plugins=[Factory()])(_one))

    assert result.status is InvocationStatus.SUCCEEDED
    assert [hook for hook, _info in made[0].seen] == ["on_invocation_start", "on_operation_end"]


class TwoArguments(DurableInstrumentationPlugin):
    def on_operation_end(self, info: Any, extra: Any) -> None:
        pass


class MarkedTwoArguments:
    @hookimpl
    def on_operation_start(self, info: Any, *, required: Any) -> None:
        pass


class TryFirst:
    @hookimpl(tryfirst=True)
    def on_operation_start(self, info: Any) -> None:
        pass


class TryLast:
    @hookimpl(trylast=True)
    def on_operation_end(self, info: Any) -> None:
        pass


class NewStyleWrapper:
    @hookimpl(wrapper=True)
    def on_operation_start(self, info: Any) -> Iterator[None]:
        yield


class OldStyleWrapper:
    @hookimpl(hookwrapper=True)
    def on_operation_end(self, info: Any) -> Iterator[None]:
        yield


BAD_HOOKS = [
    pytest.param(TwoArguments(), r"on_operation_end.*\(info, extra\).*one argument"),
    pytest.param(MarkedTwoArguments(), r"on_operation_start.*\(info, \*, required\).*one argument"),
    pytest.param(TryFirst(), r"on_operation_start.*tryfirst.*list order"),
    pytest.param(TryLast(), r"on_operation_end.*trylast.*list order"),
    pytest.param(NewStyleWrapper(), r"on_operation_start.*wrapper.*plain method"),
    pytest.param(OldStyleWrapper(), r"on_operation_end.*hookwrapper.*plain method"),
]


@pytest.mark.parametrize(("plugin", "message"), BAD_HOOKS)
def test_hooks_that_cannot_be_called_as_declared_are_refused_at_decoration(
    plugin: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        durable_execution(plugins=[plugin])(_one)


# -- reading a handler's plugins -----------------------------------------------------------------


def test_plugins_of_gives_the_plugins_a_handler_was_decorated_with() -> None:
    first, second = MyPlugin(), MarkedPlugin()

    @durable_execution(plugins=[first, second])
    def handler(event: Any, context: DurableContext) -> int:
        return 1

    assert plugins_of(handler) == (first, second)
    assert plugins_of(durable_execution(_one)) == ()
    assert plugins_of(_one) == ()  # not a durable handler: no plugins


def test_plugins_of_is_a_copy_taken_at_decoration() -> None:
    plugins: list[Any] = [MyPlugin()]
    handler = durable_execution(plugins=plugins)(_one)
    plugins.append(MarkedPlugin())
    assert len(plugins_of(handler)) == 1


def test_the_runner_reads_a_handlers_plugins_through_plugins_of() -> None:
    """The testing package uses the public function, not the handler's private attribute."""
    testing = Path(__file__).resolve().parents[2] / "testing" / "src"
    readers = [
        path.relative_to(testing)
        for path in testing.rglob("*.py")
        if "_durable_plugins" in path.read_text()
    ]
    assert readers == []
    seen: list[tuple[str, str, Any]] = []
    result = run(durable_execution(plugins=[Recorder(seen)])(_one))
    # The handler has plugins, so the runner records hooks by default.
    assert [event.hook for event in result.hook_events] == [hook for _l, hook, _i in seen]
    assert result.hook_events
