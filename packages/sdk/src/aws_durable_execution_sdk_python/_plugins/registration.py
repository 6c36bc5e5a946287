"""What ``durable_execution(plugins=...)`` accepts, and how a handler's plugins are read back.

``plugins=`` takes a list (or tuple) of plugins and factories. A factory is an object whose
``create_plugin(info)`` makes the plugin of one invocation; a class counts as one only when
its ``create_plugin`` can be called on the class itself (a classmethod or staticmethod).
Any other class is refused: registering a class would call its hooks unbound, and the fix
(an instance) is what was meant. A bare function is refused too: it could be a factory of
zero or of one argument, or a hook, and has no one obvious meaning. A lone plugin, a set
(no order) or any other value that is not a list is refused with the list to write.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python._plugins.hookspecs import HOOKS
from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = ["attach_plugins", "checked_plugins", "is_factory", "plugins_of"]

# Where a decorated handler keeps its plugins; read only through plugins_of.
_ATTRIBUTE = "_durable_plugins"


def is_factory(candidate: Any) -> bool:
    """Whether ``candidate`` makes plugins (``create_plugin(info)``) rather than being one."""
    if isinstance(candidate, type):
        static = inspect.getattr_static(candidate, "create_plugin", None)
        if isinstance(static, classmethod | staticmethod):
            return True
        return static is not None and not inspect.isfunction(static) and callable(static)
    return callable(getattr(candidate, "create_plugin", None))


def _looks_like_a_plugin(value: Any) -> bool:
    return is_factory(value) or any(callable(getattr(value, hook, None)) for hook in HOOKS)


def _not_a_list(value: Any) -> ValidationError:
    head = "durable_execution(plugins=...) takes a list of plugins"
    if isinstance(value, type):
        name = value.__name__
        return ValidationError(f"{head}, got the class {name}: write plugins=[{name}()]")
    name = type(value).__name__
    if isinstance(value, set | frozenset):
        return ValidationError(
            f"{head}, got a {name}; a set has no order, and plugins run in list order: "
            "write plugins=[first, second, ...]"
        )
    if _looks_like_a_plugin(value):
        return ValidationError(
            f"{head}, got one plugin (an instance of {name}): write plugins=[{name}()]"
        )
    return ValidationError(f"{head}, got {value!r}: write plugins=[MyPlugin(), ...]")


def checked_plugins(value: Any) -> tuple[Any, ...]:
    """The plugins given to ``durable_execution``, as a tuple in list order.

    Raises:
        ValidationError: ``value`` is not a list or tuple, or holds a plugin class or a
            bare function; the message names the entry and what to write instead.
    """
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise _not_a_list(value)
    for index, entry in enumerate(value):
        if is_factory(entry):
            continue
        if isinstance(entry, type):
            name = entry.__name__
            raise ValidationError(
                f"plugins[{index}] is the class {name}, not a plugin: pass an instance, "
                f"plugins=[{name}()]"
            )
        if inspect.isroutine(entry):
            raise ValidationError(
                f"plugins[{index}] is the function {entry.__name__}, not a plugin: pass "
                "plugin instances, plugins=[MyPlugin()], or objects whose "
                "create_plugin(info) makes one per invocation"
            )
    return tuple(value)


def attach_plugins(handler: Callable[..., Any], plugins: tuple[Any, ...]) -> None:
    setattr(handler, _ATTRIBUTE, plugins)


def plugins_of(handler: Callable[..., Any]) -> tuple[Any, ...]:
    """The plugins (and factories) ``handler`` was decorated with, in list order.

    ``()`` for a durable handler without plugins and for any other callable. Plugins that
    installed packages or :func:`instrument` add around invocations are not included.
    """
    plugins = getattr(handler, _ATTRIBUTE, ())
    return plugins if isinstance(plugins, tuple) else ()
