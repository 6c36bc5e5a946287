"""Building the plugin manager and calling hooks, each plugin isolated from the others.

pluggy checks every implementation against its spec when a plugin registers; hooks are then
called here rather than through ``pm.hook``, because pluggy calls the newest plugin first
and stops at the first exception, while plugins must run in list order and a failing
plugin must not stop the others nor change the workflow's outcome (docs/decisions.md,
"Plugins run in list order, isolated"). A plugin's failure is logged once per plugin and
hook, with its traceback, never silently dropped. Each plugin is registered through a
stand-in with the spec's shape (``_plugins.hookimpls``), so a hook may name its parameter
anything.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pluggy

from aws_durable_execution_sdk_python._plugins.hookimpls import (
    HookCall,
    SpecShaped,
    implementations,
)
from aws_durable_execution_sdk_python._plugins.hookspecs import (
    HOOKS,
    PROJECT,
    PROPAGATION_HOOK,
    DurableHookSpecs,
    hookimpl,
)
from aws_durable_execution_sdk_python._plugins.info import (
    InvocationStartInfo,
    PropagationInput,
    PropagationMetadata,
)
from aws_durable_execution_sdk_python._plugins.registration import describe, is_factory
from aws_durable_execution_sdk_python.exceptions import PluginLoadError, ValidationError

__all__ = [
    "CONTROL_EXCEPTIONS",
    "DurableInstrumentationPlugin",
    "PluginDispatcher",
    "build_dispatcher",
    "candidates",
    "instrument",
    "validate_plugins",
]

_log = logging.getLogger("aws_durable_execution_sdk_python.plugin")

# Exceptions that stop a thread on purpose; a hook raising one is not contained.
CONTROL_EXCEPTIONS = (KeyboardInterrupt, SystemExit, GeneratorExit)

# Plugins added around invocations by the caller (test harnesses, process-wide tooling).
_extra: contextvars.ContextVar[tuple[Any, ...]] = contextvars.ContextVar(
    "aws_durable_execution_extra_plugins", default=()
)


class DurableInstrumentationPlugin:
    """Base class of plugins written for the existing SDK: override any ``on_*`` method.

    Overridden methods are hook implementations without any marker; methods that are not
    overridden are not registered, so a hook nobody implements costs nothing.
    """

    def on_invocation_start(self, info: Any) -> None: ...
    def on_invocation_end(self, info: Any) -> None: ...
    def on_operation_start(self, info: Any) -> None: ...
    def on_operation_end(self, info: Any) -> None: ...
    def on_operation_change(self, info: Any) -> None: ...
    def on_user_function_start(self, info: Any) -> None: ...
    def on_user_function_end(self, info: Any) -> None: ...
    def provide_propagation_metadata(self, info: Any) -> Any:
        return None

    #: Set to True to also get ``on_operation_start``/``on_operation_end`` (with
    #: ``is_replayed=True``) for operations that replay finds already finished.
    receive_replay_events: bool = False


class _Manager(pluggy.PluginManager):
    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        opts = super().parse_hookimpl_opts(plugin, name)
        if (
            opts is None
            and name in HOOKS
            and isinstance(plugin, DurableInstrumentationPlugin)
            and getattr(type(plugin), name) is not getattr(DurableInstrumentationPlugin, name)
        ):
            return {}  # an overridden on_* method: a hook implementation with default options
        return opts


@contextlib.contextmanager
def instrument(*plugins: Any) -> Iterator[None]:
    """Add plugins to every durable invocation run inside the ``with`` block."""
    token = _extra.set(_extra.get() + plugins)
    try:
        yield
    finally:
        _extra.reset(token)


def _registered(plugins: list[Any]) -> tuple[_Manager, list[str], dict[Any, HookCall]]:
    """A manager with the plugins registered and validated against the hook specs, their
    names in list order, and the call of each registered implementation.

    Raises:
        ValidationError: an implementation names no known hook, needs more than one
            argument, asks for an order, or is a hook wrapper (hooks here are plain
            notifications, called in list order).
    """
    manager = _Manager(PROJECT)
    manager.add_hookspecs(DurableHookSpecs)
    names: list[str] = []
    calls: dict[Any, HookCall] = {}
    try:
        for index, plugin in enumerate(plugins):
            name = f"{index}:{type(plugin).__name__}"
            stand_in = SpecShaped(plugin, implementations(manager, plugin), hookimpl)
            manager.register(stand_in, name)
            calls.update(stand_in.calls)
            names.append(name)
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginLoadError(
            f"durable execution plugin {error.plugin!r} is invalid: {error}; hooks are "
            f"{', '.join(HOOKS)}, each taking one argument, the info"
        ) from None
    return manager, names, calls


def validate_plugins(plugins: Iterable[Any]) -> None:
    """Check plugins when they are registered, so a mistake shows at import, not in AWS."""
    _registered([p for p in plugins if not is_factory(p)])


# Failures already logged, by (execution, plugin, hook): each is logged once per execution,
# whichever invocation it happens in. Bounded: old executions are forgotten first.
_reported: collections.OrderedDict[tuple[str, str, str], None] = collections.OrderedDict()
_REPORTED_LIMIT = 10_000
_reported_lock = threading.Lock()

# Hooks whose fan-out completes before a thread-stopping exception propagates.
_FAN_OUT_FIRST = frozenset({"on_invocation_end", "on_operation_change"})


class PluginDispatcher:
    """Calls hooks on registered plugins, in list order, each isolated."""

    def __init__(self, plugins: list[Any], execution_arn: str = "") -> None:
        self._manager, names, calls = _registered(plugins)
        self._execution_arn = execution_arn
        order = {name: i for i, name in enumerate(names)}
        self._impls: dict[str, list[tuple[str, HookCall]]] = {}
        for hook in HOOKS:
            impls = getattr(self._manager.hook, hook).get_hookimpls()
            ordered = sorted(impls, key=lambda impl: order.get(impl.plugin_name, len(order)))
            self._impls[hook] = [(impl.plugin_name, calls[impl.function]) for impl in ordered]
        self.wants = {hook: bool(impls) for hook, impls in self._impls.items()}
        # Plugins that asked (receive_replay_events = True) also hear about operations that
        # replay finds already finished, with is_replayed=True.
        replaying = {
            name
            for name, plugin in zip(names, plugins, strict=True)
            if getattr(plugin, "receive_replay_events", False)
        }
        self._replay_impls = {
            hook: [impl for impl in impls if impl[0] in replaying]
            for hook, impls in self._impls.items()
        }
        self.wants_replay = any(self._replay_impls.values())
        self.failures: list[tuple[str, str, BaseException]] = []
        self._names = names
        # Plugins after the one whose start hook stopped the invocation: never started, so
        # they get no later hook (their start and end always pair up).
        self._unstarted: frozenset[str] = frozenset()

    def emit(self, hook: str, info: Any, *, replay: bool = False) -> None:
        """Call ``hook`` on every plugin implementing it, in order, each isolated.

        A hook's exception is logged and swallowed, a ``BaseException`` too, except the
        ones that stop a thread on purpose (``CONTROL_EXCEPTIONS``): those propagate, after
        the remaining plugins got the invocation's end or a change, at once otherwise.
        """
        stopping: BaseException | None = None
        impls = (self._replay_impls if replay else self._impls)[hook]
        if self._unstarted:
            impls = [impl for impl in impls if impl[0] not in self._unstarted]
        for name, call in impls:
            try:
                call(info)
            except CONTROL_EXCEPTIONS as error:
                if hook == "on_invocation_start":
                    self._unstarted = frozenset(self._names[self._names.index(name) + 1 :])
                if hook not in _FAN_OUT_FIRST:
                    raise
                stopping = stopping or error
            except BaseExceptionGroup as group:
                # Split: the thread-control leaves stop the thread, the rest is contained.
                control, rest = group.split(CONTROL_EXCEPTIONS)
                if rest is not None:
                    self._report(name, hook, group if control is None else rest)
                if control is not None:
                    if hook not in _FAN_OUT_FIRST:
                        raise control from None
                    stopping = stopping or control
            except BaseException as error:
                self._report(name, hook, error)
        if stopping is not None:
            raise stopping

    def propagation(self, info: PropagationInput) -> PropagationMetadata:
        """The trace context for a chained invoke: the first non-blank value any plugin
        gives (a later, different one is logged as a conflict); invalid answers are
        logged and skipped."""
        chosen: str | None = None
        owner = ""
        for name, call in self._impls[PROPAGATION_HOOK]:
            try:
                value = call(info)
                if value is None:
                    continue
                if inspect.iscoroutine(value):
                    value.close()
                    raise TypeError("provide_propagation_metadata returned a coroutine")
                if not isinstance(value, PropagationMetadata):
                    raise TypeError(
                        f"provide_propagation_metadata returned {type(value).__name__}, "
                        "not a PropagationMetadata"
                    )
                trace = value.x_amzn_trace_id
                if trace is not None and not isinstance(trace, str):
                    raise TypeError(f"x_amzn_trace_id is a {type(trace).__name__}, not a str")
            except CONTROL_EXCEPTIONS:
                raise
            except Exception as error:
                self._report(name, PROPAGATION_HOOK, error)
                continue
            if trace is None or not trace.strip():
                continue
            if chosen is None:
                chosen, owner = trace, name
            elif trace != chosen:
                _log.warning(
                    "Plugins %s and %s give different trace context for invoke %s; "
                    "the first is used",
                    owner,
                    name,
                    info.operation_id,
                )
        return PropagationMetadata(chosen)

    def _report(self, plugin: str, hook: str, error: BaseException) -> None:
        key = (self._execution_arn, plugin, hook)
        with _reported_lock:
            self.failures.append((plugin, hook, error))
            first = key not in _reported
            _reported[key] = None
            while len(_reported) > _REPORTED_LIMIT:
                _reported.popitem(last=False)
        if first:
            _log.error(
                "Plugin %s exception ignored in %s; the workflow goes on "
                "(further failures of this hook in this execution are not logged)",
                plugin,
                hook,
                exc_info=error,
            )


def candidates(plugins: Iterable[Any] | None) -> list[Any]:
    """Every plugin or factory of an invocation: the handler's (including those the
    environment selected), then those ``instrument`` adds."""
    return [*(plugins or ()), *_extra.get()]


def _made_by(factory: Any, start_info: InvocationStartInfo) -> Any | None:
    """What ``factory`` makes for this invocation, or ``None`` (logged) when it fails."""
    label = describe(factory)
    try:
        plugin = factory.create_plugin(start_info)
    except CONTROL_EXCEPTIONS:
        raise
    except BaseException:
        _log.exception("Plugin factory %s exception ignored", label)
        return None
    if plugin is None:
        _log.error("Plugin factory %s returned None; plugin ignored", label)
        return None
    try:
        _, _, calls = _registered([plugin])
    except ValidationError as error:
        _log.error("Plugin factory %s made an invalid plugin; plugin ignored: %s", label, error)
        return None
    if not calls and not isinstance(plugin, DurableInstrumentationPlugin):
        # No hook marker and not the base class: not a plugin at all.
        _log.error(
            "Plugin factory %s returned %s, which is not a DurableInstrumentationPlugin; "
            "plugin ignored",
            label,
            type(plugin).__name__,
        )
        return None
    return plugin


def build_dispatcher(
    plugins: Iterable[Any],
    start_info: Callable[[], InvocationStartInfo],
    execution_arn: str = "",
) -> PluginDispatcher | None:
    """The dispatcher for one invocation, or ``None`` when no plugin implements a hook.

    Each factory's ``create_plugin`` is called once, in order, with the very start info that
    ``on_invocation_start`` then receives; what it makes serves this invocation only. A
    factory that fails, returns ``None`` or makes something that is not a plugin is logged
    and left out; the invocation goes on without it.
    """
    made = []
    for candidate in plugins:
        if not is_factory(candidate):
            made.append(candidate)
            continue
        plugin = _made_by(candidate, start_info())
        if plugin is not None:
            made.append(plugin)
    if not made:
        return None
    dispatcher = PluginDispatcher(made, execution_arn)
    # Plugins that implement no hook cost nothing, as no plugin at all.
    return dispatcher if any(dispatcher.wants.values()) else None
