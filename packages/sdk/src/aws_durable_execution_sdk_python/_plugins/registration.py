"""What ``durable_execution(plugins=...)`` accepts, and how a handler's plugins are read back.

``plugins=`` takes a list (or tuple) of plugin factories and plugins. A factory is an object
whose ``create_plugin(info)`` makes the plugin of one invocation (what the existing SDK
takes); a class counts as one only when its ``create_plugin`` can be called on the class
itself (a classmethod, a staticmethod or a callable attribute). A plugin instance is
accepted too and serves every invocation (docs/decisions.md, "Plugin API of the existing
SDK"). A plugin class is refused: registering it would call its hooks unbound, and the fix
(an instance, or a factory) is what was meant. A bare function is refused too: it could be
a factory of zero or of one argument, or a hook, and has no one obvious meaning. A lone
plugin, a set (no order) or any other value that is not a list is refused with the list to
write. Every refusal is a ``PluginLoadError``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python._plugins.hookspecs import HOOKS
from aws_durable_execution_sdk_python.exceptions import PluginLoadError

__all__ = [
    "attach_plugins",
    "check_entry",
    "checked_plugins",
    "describe",
    "is_factory",
    "plugins_of",
]

# Where a decorated handler keeps its plugins; read only through plugins_of.
_ATTRIBUTE = "_durable_plugins"
_PROBE = object()


def is_factory(candidate: Any) -> bool:
    """Whether ``candidate`` makes plugins (``create_plugin(info)``) rather than being one."""
    if isinstance(candidate, type):
        static = inspect.getattr_static(candidate, "create_plugin", None)
        if isinstance(static, classmethod | staticmethod):
            return True
        return static is not None and not inspect.isfunction(static) and callable(static)
    return callable(getattr(candidate, "create_plugin", None))


def _takes_one_argument(create_plugin: Callable[..., Any]) -> bool:
    try:
        signature = inspect.signature(create_plugin)
    except (TypeError, ValueError):
        return True  # no signature to read (a builtin): taken on trust
    try:
        signature.bind(_PROBE)
    except TypeError:
        return False
    return True


def describe(value: Any) -> str:
    """``the class X``, ``the function X`` or ``an instance of X``, for messages."""
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    if inspect.isroutine(value):
        return f"the function {getattr(value, '__qualname__', value)!s}"
    return f"an instance of {type(value).__qualname__}"


def _looks_like_a_plugin(value: Any) -> bool:
    return is_factory(value) or any(callable(getattr(value, hook, None)) for hook in HOOKS)


def _not_a_list(value: Any) -> PluginLoadError:
    head = "durable_execution(plugins=...) takes a list of plugin factories or plugins"
    if isinstance(value, type):
        name = value.__name__
        return PluginLoadError(f"{head}, got the class {name}: write plugins=[{name}()]")
    name = type(value).__name__
    if isinstance(value, set | frozenset):
        return PluginLoadError(
            f"{head}, got a {name}; a set has no order, and plugins run in list order: "
            "write plugins=[first, second, ...]"
        )
    if _looks_like_a_plugin(value):
        return PluginLoadError(
            f"{head}, got one plugin (an instance of {name}): write plugins=[{name}()]"
        )
    return PluginLoadError(f"{head}, got {value!r}: write plugins=[MyPluginFactory(), ...]")


def check_entry(entry: Any, where: str) -> None:
    """Refuse ``entry`` (found at ``where``, e.g. ``plugins[0]``) unless it is a factory or a
    plugin instance.

    Raises:
        PluginLoadError: a class that is not a factory, a function, or a factory whose
            ``create_plugin`` cannot take the one info.
    """
    if is_factory(entry):
        if not _takes_one_argument(entry.create_plugin):
            raise PluginLoadError(
                f"{where} is {describe(entry)}, whose create_plugin cannot be called with one "
                "argument; a factory's create_plugin(info) takes the invocation's start info"
            )
        return
    if isinstance(entry, type):
        name = entry.__name__
        raise PluginLoadError(
            f"{where} is the class {name}, not a plugin factory: pass a factory instance, "
            f"or an instance of the plugin, plugins=[{name}()]"
        )
    if inspect.isroutine(entry):
        raise PluginLoadError(
            f"{where} is {describe(entry)}, not a plugin: pass plugin factories "
            "(objects whose create_plugin(info) makes a plugin per invocation), or plugin "
            "instances, plugins=[MyPlugin()]"
        )


def checked_plugins(value: Any) -> tuple[Any, ...]:
    """The plugins given to ``durable_execution``, as a tuple in list order.

    Raises:
        PluginLoadError: ``value`` is not a list or tuple, or holds a plugin class or a
            bare function; the message names the entry and what to write instead.
    """
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise _not_a_list(value)
    for index, entry in enumerate(value):
        check_entry(entry, f"plugins[{index}]")
    return tuple(value)


def attach_plugins(handler: Callable[..., Any], plugins: tuple[Any, ...]) -> None:
    setattr(handler, _ATTRIBUTE, plugins)


def plugins_of(handler: Callable[..., Any]) -> tuple[Any, ...]:
    """The plugin factories and plugins ``handler`` runs with, in order: those it was
    decorated with, then those ``DURABLE_EXECUTION_PLUGINS`` selected at decoration.

    ``()`` for a durable handler without plugins and for any other callable. Plugins that
    :func:`instrument` adds around invocations are not included.
    """
    plugins = getattr(handler, _ATTRIBUTE, ())
    return plugins if isinstance(plugins, tuple) else ()
