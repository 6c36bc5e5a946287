"""Plugins chosen by ``DURABLE_EXECUTION_PLUGINS``, exclusive groups and registration results.

The variable names entry points of the ``aws_durable_execution.plugins`` group; an installed
package never adds a plugin by merely being installed. Everything is checked once, when
``durable_execution`` wraps the handler, and every mistake is a ``PluginLoadError``
(docs/decisions.md, "Plugin API of the existing SDK"). The installed packages here are fake
distributions written to ``tmp_path`` (a ``*.dist-info`` directory with an
``entry_points.txt``), which ``importlib.metadata`` finds once ``tmp_path`` is on ``sys.path``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from plugin_support import run

from aws_durable_execution_sdk_python import (
    DurableContext,
    PluginLoadError,
    ValidationError,
    durable_execution,
    exceptions,
)
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
    plugins_of,
)
from aws_durable_execution_sdk_python.plugin_discovery import (
    PLUGIN_ENTRY_POINT_GROUP,
    PLUGIN_ENVIRONMENT_VARIABLE,
    load_configured_plugins,
)
from aws_durable_execution_sdk_python_testing import InvocationStatus

VARIABLE = "DURABLE_EXECUTION_PLUGINS"

# The module every fake distribution ships: factories, plugins and things that are neither.
PROVIDER_SOURCE = """
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin

seen = []


class Plugin(DurableInstrumentationPlugin):
    def __init__(self, label):
        self.label = label

    def on_invocation_start(self, info):
        seen.append((self.label, "on_invocation_start"))

    def on_operation_end(self, info):
        seen.append((self.label, "on_operation_end", info.name))


class Factory:
    def __init__(self, label):
        self.label = label

    def create_plugin(self, info):
        return Plugin(self.label)


class MarkedFactory(Factory):
    __durable_registration_api__ = 1
    exclusive_group = "view"

    def __init__(self, label):
        super().__init__(label)
        self.results = []

    def on_registration_result(self, registered):
        self.results.append(registered)


class ClassFactory:
    @classmethod
    def create_plugin(cls, info):
        return Plugin("class")


FIRST = Factory("first")
SECOND = Factory("second")
TWIN = Factory("first")
MARKED = MarkedFactory("marked")
OTHER_MARKED = MarkedFactory("other marked")
PLUGIN = Plugin("instance")


def make_plugin(info):
    return Plugin("function")
"""


class Installer:
    """Writes fake distributions and the provider module into one ``sys.path`` entry."""

    def __init__(self, root: Path, module: str) -> None:
        self.root = root
        self.module = module
        (root / f"{module}.py").write_text(PROVIDER_SOURCE)

    def dist(self, name: str, entry_points: dict[str, str]) -> None:
        """A distribution ``name`` whose entry points map names to ``attr`` of the provider
        module (or to a full ``module:attr`` value when it contains a colon)."""
        info = self.root / f"{name}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = [f"[{PLUGIN_ENTRY_POINT_GROUP}]"]
        for ep_name, target in entry_points.items():
            value = target if ":" in target else f"{self.module}:{target}"
            lines.append(f"{ep_name} = {value}")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")

    def provider(self) -> ModuleType:
        return importlib.import_module(self.module)


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Installer]:
    """One fake distribution ``fake-plugins`` providing the usual names."""
    module = "fake_provider_" + "".join(c if c.isalnum() else "_" for c in tmp_path.name)
    installer = Installer(tmp_path, module)
    installer.dist(
        "fake-plugins",
        {
            "first": "FIRST",
            "second": "SECOND",
            "twin": "TWIN",
            "marked": "MARKED",
            "other-marked": "OTHER_MARKED",
            "instance": "PLUGIN",
            "plugin-class": "Plugin",
            "factory-class": "Factory",
            "classmethod-factory": "ClassFactory",
            "function": "make_plugin",
            "missing-attribute": "NOT_THERE",
            "missing-module": "no_such_module_for_plugins:FACTORY",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(VARIABLE, raising=False)
    yield installer
    sys.modules.pop(module, None)


def env(names: str) -> dict[str, str]:
    return {VARIABLE: names}


class Local(DurableInstrumentationPlugin):
    def on_invocation_start(self, info: Any) -> None:
        pass


class LocalFactory:
    def create_plugin(self, info: InvocationStartInfo) -> Local:
        return Local()


def _handler(event: Any, context: DurableContext) -> int:
    return context.step(lambda step_context: 1, name="one")


# -- the public names ------------------------------------------------------------------------


def test_the_variable_and_the_group_have_the_existing_names() -> None:
    assert PLUGIN_ENVIRONMENT_VARIABLE == "DURABLE_EXECUTION_PLUGINS"
    assert PLUGIN_ENTRY_POINT_GROUP == "aws_durable_execution.plugins"


def test_plugin_load_error_is_a_validation_error_importable_from_root_and_exceptions() -> None:
    assert exceptions.PluginLoadError is PluginLoadError
    assert issubclass(PluginLoadError, ValidationError)
    assert issubclass(PluginLoadError, Exception)


# -- which names are loaded ------------------------------------------------------------------


@pytest.mark.parametrize("environment", [{}, env(""), env("   "), env(" \t ")])
def test_nothing_is_loaded_unless_the_variable_names_it(
    installed: Installer, environment: dict[str, str]
) -> None:
    explicit = [LocalFactory()]
    assert load_configured_plugins(explicit, environment=environment) == explicit
    assert load_configured_plugins(None, environment=environment) == []


def test_named_plugins_follow_the_explicit_list_in_the_variables_order(
    installed: Installer,
) -> None:
    explicit = LocalFactory()
    chosen = load_configured_plugins([explicit], environment=env(" second , first "))
    provider = installed.provider()
    assert chosen == [explicit, provider.SECOND, provider.FIRST]
    assert chosen[1] is provider.SECOND


ACCEPTED_TARGETS = [
    pytest.param("first", "FIRST", id="a factory instance"),
    pytest.param("classmethod-factory", "ClassFactory", id="a class with a classmethod factory"),
    pytest.param("instance", "PLUGIN", id="a plugin instance (this project also takes them)"),
]


@pytest.mark.parametrize(("name", "attribute"), ACCEPTED_TARGETS)
def test_a_name_may_resolve_to(installed: Installer, name: str, attribute: str) -> None:
    [chosen] = load_configured_plugins(None, environment=env(name))
    assert chosen is getattr(installed.provider(), attribute)


REFUSED = [
    pytest.param(
        env("nobody"),
        r"names plugin 'nobody'.*no installed package provides it.*"
        r"installed: .*classmethod-factory.*first.*"
        r"install the package or layer",
        id="an unknown name lists the installed names",
    ),
    pytest.param(
        env("first,,second"),
        r"must contain non-empty, comma-separated plugin names",
        id="an empty name in the middle",
    ),
    pytest.param(env("first,"), r"non-empty, comma-separated", id="a trailing comma"),
    pytest.param(env(", first"), r"non-empty, comma-separated", id="a leading comma"),
    pytest.param(
        env("first,second,first"),
        r"contains duplicate plugin name 'first'",
        id="a duplicate name",
    ),
    pytest.param(
        env("first, first "),
        r"contains duplicate plugin name 'first'",
        id="a duplicate name once stripped",
    ),
    pytest.param(
        env("missing-module"),
        r"Failed to load plugin factory 'missing-module' from "
        r"'no_such_module_for_plugins:FACTORY' \(fake-plugins\): .*no_such_module_for_plugins",
        id="load() raises ImportError",
    ),
    pytest.param(
        env("missing-attribute"),
        r"Failed to load plugin factory 'missing-attribute' from '.*:NOT_THERE' "
        r"\(fake-plugins\)",
        id="load() raises AttributeError",
    ),
    pytest.param(
        env("plugin-class"),
        r"plugin 'plugin-class'.*the class Plugin.*must resolve to a plugin factory instance"
        r".*not a plugin class",
        id="a plugin class",
    ),
    pytest.param(
        env("factory-class"),
        r"plugin 'factory-class'.*the class Factory.*must resolve to a plugin factory instance"
        r".*not a plugin class or a factory class",
        id="a factory class whose create_plugin is an instance method",
    ),
    pytest.param(
        env("function"),
        r"plugin 'function'.*the function make_plugin.*must resolve to a plugin factory",
        id="a function",
    ),
]


@pytest.mark.parametrize(("environment", "message"), REFUSED)
def test_bad_selections_are_refused(
    installed: Installer, environment: dict[str, str], message: str
) -> None:
    with pytest.raises(PluginLoadError, match=message):
        load_configured_plugins([LocalFactory()], environment=environment)


def test_an_unknown_name_says_none_when_nothing_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **selection: [])
    with pytest.raises(PluginLoadError, match=r"'otel-invocation'.*\(installed: none\)"):
        load_configured_plugins(None, environment=env("otel-invocation"))


def test_a_failure_to_list_entry_points_is_a_plugin_load_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(**selection: Any) -> Any:
        raise OSError("unreadable site-packages")

    monkeypatch.setattr(importlib.metadata, "entry_points", broken)
    with pytest.raises(PluginLoadError, match=r"Failed to inspect.*unreadable site-packages"):
        load_configured_plugins(None, environment=env("first"))


def test_two_distributions_providing_one_name_are_both_named(installed: Installer) -> None:
    installed.dist("other-plugins", {"first": "SECOND"})
    with pytest.raises(PluginLoadError, match=r"'first'.*several.*fake-plugins, other-plugins"):
        load_configured_plugins(None, environment=env("first"))


def test_an_installed_but_unnamed_entry_point_is_never_loaded(installed: Installer) -> None:
    """The broken entry points of the fake distribution are not loaded unless named."""
    provider = installed.provider()
    assert load_configured_plugins(None, environment=env("second")) == [provider.SECOND]


# -- the same factory twice ------------------------------------------------------------------


def test_a_factory_already_in_the_list_is_skipped_with_a_warning(
    installed: Installer, caplog: pytest.LogCaptureFixture
) -> None:
    provider = installed.provider()
    caplog.set_level(logging.WARNING, "aws_durable_execution_sdk_python.plugin_discovery")
    chosen = load_configured_plugins([provider.FIRST], environment=env("first,second"))
    assert chosen == [provider.FIRST, provider.SECOND]
    assert [r.getMessage() for r in caplog.records] == [
        "Skipping dynamically configured plugin 'first' because the same plugin factory is "
        "already registered."
    ]
    assert caplog.records[0].levelno == logging.WARNING


def test_two_factories_that_build_the_same_plugin_are_both_kept(
    installed: Installer, caplog: pytest.LogCaptureFixture
) -> None:
    """Identity decides, not equality of what they build."""
    provider = installed.provider()
    chosen = load_configured_plugins([provider.FIRST], environment=env("twin"))
    assert chosen == [provider.FIRST, provider.TWIN]
    assert chosen[1] is provider.TWIN
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- decoration ------------------------------------------------------------------------------


def test_the_environment_is_read_at_decoration(
    installed: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = installed.provider()
    explicit = LocalFactory()
    monkeypatch.setenv(VARIABLE, "second")
    handler = durable_execution(plugins=[explicit])(_handler)
    monkeypatch.setenv(VARIABLE, "first")
    assert plugins_of(handler) == (explicit, provider.SECOND)
    monkeypatch.delenv(VARIABLE)
    assert plugins_of(handler) == (explicit, provider.SECOND)


def test_load_configured_plugins_reads_os_environ_by_default(
    installed: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "first")
    assert load_configured_plugins(None) == [installed.provider().FIRST]


def test_a_bad_selection_fails_the_decoration(
    installed: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "nobody")
    with pytest.raises(PluginLoadError, match=r"'nobody'"):
        durable_execution(_handler)


def test_env_selected_plugins_run_after_the_explicit_ones(
    installed: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = installed.provider()
    monkeypatch.setenv(VARIABLE, "second,first")
    explicit = provider.Factory("explicit")
    handler = durable_execution(plugins=[explicit])(_handler)

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED
    assert provider.seen == [
        ("explicit", "on_invocation_start"),
        ("second", "on_invocation_start"),
        ("first", "on_invocation_start"),
        ("explicit", "on_operation_end", "one"),
        ("second", "on_operation_end", "one"),
        ("first", "on_operation_end", "one"),
    ]


# -- exclusive groups ------------------------------------------------------------------------


class Made(DurableInstrumentationPlugin):
    pass


class Base:
    """A factory class that opts into registration metadata."""

    def create_plugin(self, info: InvocationStartInfo) -> Made:
        return Made()


def factory_class(name: str, *bases: type, **attributes: Any) -> type:
    return type(name, bases or (Base,), attributes)


def marked(name: str, group: Any = "view", *bases: type, **attributes: Any) -> type:
    return factory_class(
        name, *bases, __durable_registration_api__=1, exclusive_group=group, **attributes
    )


SpanView = marked("SpanView")
TraceView = marked("TraceView")
Ungrouped = marked("Ungrouped", None)
Shadowed = factory_class("Shadowed", SpanView, __durable_registration_api__=0)
Inheriting = factory_class("Inheriting", SpanView)
TwoGroups = marked("TwoGroups", "audit", SpanView)
Auditor = marked("Auditor", "audit")
Regrouped = factory_class("Regrouped", Ungrouped, exclusive_group="view")


def with_marker(value: Any) -> tuple[type, type]:
    attributes = {"exclusive_group": "view", "__durable_registration_api__": value}
    return factory_class("First", **attributes), factory_class("Second", **attributes)


def without_marker() -> tuple[type, type]:
    return factory_class("First", exclusive_group="view"), factory_class(
        "Second", exclusive_group="view"
    )


GROUPS_ALLOWED = [
    pytest.param(lambda: [SpanView(), Ungrouped()], id="one member and an ungrouped factory"),
    pytest.param(lambda: [SpanView(), Auditor()], id="members of different groups"),
    pytest.param(lambda: [c() for c in with_marker(True)], id="marker True does not opt in"),
    pytest.param(lambda: [c() for c in with_marker(2)], id="marker 2 does not opt in"),
    pytest.param(lambda: [c() for c in with_marker("1")], id="marker '1' does not opt in"),
    pytest.param(lambda: [c() for c in without_marker()], id="no marker: never checked"),
    pytest.param(
        lambda: [Shadowed(), TraceView()], id="a subclass's own non-1 marker shadows the base's"
    ),
    pytest.param(lambda: [LocalFactory(), LocalFactory()], id="unmarked factories"),
    pytest.param(
        lambda: [Regrouped(), SpanView()],
        id="a group is read only from classes that declare the marker themselves",
    ),
]


@pytest.mark.parametrize("make", GROUPS_ALLOWED)
def test_factories_that_may_be_registered_together(make: Callable[[], list[Any]]) -> None:
    factories = make()
    assert load_configured_plugins(factories, environment={}) == factories


GROUPS_REFUSED = [
    pytest.param(
        lambda: [SpanView(), TraceView()],
        r"an instance of SpanView and an instance of TraceView are mutually exclusive "
        r"\(group 'view'\)",
        id="two classes in one group",
    ),
    pytest.param(
        lambda: [SpanView(), Ungrouped(), SpanView()],
        r"an instance of SpanView is registered more than once in exclusive group 'view'",
        id="the same class twice",
    ),
    pytest.param(
        lambda: [Inheriting(), TraceView()],
        r"Inheriting and .*TraceView are mutually exclusive \(group 'view'\)",
        id="a subclass inherits the marker and the group",
    ),
    pytest.param(
        lambda: [TwoGroups(), Auditor()],
        r"mutually exclusive \(group 'audit'\)",
        id="groups are collected across the MRO: its own",
    ),
    pytest.param(
        lambda: [TraceView(), TwoGroups()],
        r"mutually exclusive \(group 'view'\)",
        id="groups are collected across the MRO: the base's",
    ),
    pytest.param(
        lambda: [marked("Blank", "")()],
        r"Blank must declare exclusive_group as None or a non-empty string",
        id="an empty group",
    ),
    pytest.param(
        lambda: [marked("Spaces", "   ")()],
        r"Spaces must declare exclusive_group as None or a non-empty string",
        id="a blank group",
    ),
    pytest.param(
        lambda: [marked("Number", 3)()],
        r"Number must declare exclusive_group as None or a non-empty string",
        id="a number",
    ),
    pytest.param(
        lambda: [marked("Bytes", b"view")()],
        r"Bytes must declare exclusive_group as None or a non-empty string",
        id="bytes",
    ),
]


@pytest.mark.parametrize(("make", "message"), GROUPS_REFUSED)
def test_exclusive_groups_are_enforced(make: Callable[[], list[Any]], message: str) -> None:
    with pytest.raises(PluginLoadError, match=message):
        load_configured_plugins(make(), environment={})


def test_exclusive_groups_span_the_list_and_the_environment(installed: Installer) -> None:
    with pytest.raises(
        PluginLoadError,
        match=r"an instance of SpanView and an instance of MarkedFactory are mutually "
        r"exclusive \(group 'view'\)",
    ):
        load_configured_plugins([SpanView()], environment=env("marked"))


def test_the_same_factory_class_twice_across_the_list_and_the_environment(
    installed: Installer,
) -> None:
    provider = installed.provider()
    with pytest.raises(PluginLoadError, match=r"more than once in exclusive group 'view'"):
        load_configured_plugins([provider.MARKED], environment=env("other-marked"))


def test_exclusive_groups_are_enforced_at_decoration() -> None:
    with pytest.raises(PluginLoadError, match=r"mutually exclusive"):
        durable_execution(plugins=[SpanView(), TraceView()])(_handler)


# -- registration results --------------------------------------------------------------------


class Told(Base):
    """A marked factory that records what it was told."""

    __durable_registration_api__ = 1
    exclusive_group = None

    def __init__(self) -> None:
        self.results: list[bool] = []

    def on_registration_result(self, registered: bool) -> None:
        self.results.append(registered)


class ToldTooInTheGroup(Told):
    __durable_registration_api__ = 1
    exclusive_group = "view"


class UnmarkedTold(Base):
    def __init__(self) -> None:
        self.results: list[bool] = []

    def on_registration_result(self, registered: bool) -> None:
        self.results.append(registered)


class BoolMarkedTold(UnmarkedTold):
    __durable_registration_api__ = True


class Raising(Told):
    def on_registration_result(self, registered: bool) -> None:
        super().on_registration_result(registered)
        raise RuntimeError("telemetry backend unreachable")


def test_each_registered_factory_is_told_once(installed: Installer) -> None:
    told = Told()
    provider = installed.provider()
    chosen = load_configured_plugins([told, told], environment=env("marked"))
    assert chosen == [told, told, provider.MARKED]
    assert told.results == [True]
    assert provider.MARKED.results == [True]


def test_every_candidate_seen_is_told_when_loading_fails(installed: Installer) -> None:
    told, unmarked = Told(), UnmarkedTold()
    provider = installed.provider()
    with pytest.raises(PluginLoadError, match=r"'nobody'"):
        load_configured_plugins([told, unmarked], environment=env("marked,nobody,other-marked"))
    assert told.results == [False]
    assert provider.MARKED.results == [False]
    assert provider.OTHER_MARKED.results == []  # never loaded
    assert unmarked.results == []


def test_a_group_conflict_tells_every_candidate_false() -> None:
    first, second = ToldTooInTheGroup(), Told()
    third = ToldTooInTheGroup()
    with pytest.raises(PluginLoadError, match=r"more than once"):
        load_configured_plugins([first, second, third], environment={})
    assert (first.results, second.results, third.results) == ([False], [False], [False])


def test_a_raising_registration_callback_is_logged_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    raising, told = Raising(), Told()
    chosen = load_configured_plugins([raising, told], environment={})
    assert chosen == [raising, told]
    assert (raising.results, told.results) == ([True], [True])
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.getMessage() == "Plugin registration-result callback failed"
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert "telemetry backend unreachable" in str(record.exc_info[1])


@pytest.mark.parametrize("factory_type", [UnmarkedTold, BoolMarkedTold])
def test_unmarked_factories_are_never_told(factory_type: type[UnmarkedTold]) -> None:
    factory = factory_type()
    load_configured_plugins([factory], environment={})
    with pytest.raises(PluginLoadError):
        load_configured_plugins([factory, SpanView(), TraceView()], environment={})
    assert factory.results == []


def test_decoration_tells_registered_factories() -> None:
    told = Told()
    handler = durable_execution(plugins=[told])(_handler)
    assert plugins_of(handler) == (told,)
    assert told.results == [True]


# -- what a factory is -----------------------------------------------------------------------


class NoArgument:
    def create_plugin(self) -> Made:
        return Made()


class TwoArguments:
    def create_plugin(self, info: InvocationStartInfo, other: Any) -> Made:
        return Made()


class KeywordOnly:
    def create_plugin(self, *, info: InvocationStartInfo) -> Made:
        return Made()


class Variadic:
    def create_plugin(self, *args: Any) -> Made:
        return Made()


class OptionalExtra:
    def create_plugin(self, info: InvocationStartInfo, extra: Any = None) -> Made:
        return Made()


class CallableAttribute:
    """A class whose ``create_plugin`` is a callable object, usable on the class itself."""

    create_plugin = staticmethod(lambda info: Made())


class Builtin:
    """A signature-less callable (a C function) passes on the member alone."""

    create_plugin = print


@pytest.mark.parametrize(
    "factory",
    [Variadic(), OptionalExtra(), CallableAttribute, CallableAttribute(), Builtin()],
    ids=["*args", "an optional extra", "a class", "its instance", "a builtin"],
)
def test_a_factory_is_anything_whose_create_plugin_takes_one_argument(factory: Any) -> None:
    assert load_configured_plugins([factory], environment={}) == [factory]


@pytest.mark.parametrize(
    "factory", [NoArgument(), TwoArguments(), KeywordOnly()], ids=["none", "two", "keyword"]
)
def test_a_create_plugin_that_cannot_take_the_one_info_is_refused(factory: Any) -> None:
    with pytest.raises(
        PluginLoadError,
        match=rf"plugins\[1\] is an instance of {type(factory).__name__}, whose create_plugin "
        r"cannot be called with one argument",
    ):
        load_configured_plugins([LocalFactory(), factory], environment={})
