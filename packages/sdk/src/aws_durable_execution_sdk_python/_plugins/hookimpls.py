"""A plugin's hook implementations, each adapted to be called with the info alone.

pluggy matches an implementation's arguments to its spec by name, so it would refuse
``def on_invocation_start(self, _info)``, which published plugins write. Plugins are
therefore never registered as they are: each is read here (with pluggy's own marker
parsing), every implementation gets a call taking the info positionally whatever its
parameter is named (docs/decisions.md, "Lenient where existing code has one obvious
meaning"), and pluggy registers a stand-in whose functions have the spec's shape, so it
still checks hook names. Options that pluggy would honour by changing the call order
(``tryfirst``/``trylast``) or the call shape (wrappers) are refused here instead of
silently dropped: plugins run in list order, one notification each (docs/decisions.md,
"Plugins run in list order, isolated").
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, NoReturn

import attrs
import pluggy

from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = ["HookCall", "HookImplementation", "SpecShaped", "implementations"]

HookCall = Callable[[Any], object]

_ORDER_OPTIONS = ("tryfirst", "trylast")
_WRAPPER_OPTIONS = ("wrapper", "hookwrapper")
_P = inspect.Parameter


@attrs.frozen
class HookImplementation:
    """One implementation: where it is on the plugin, its pluggy options, how to call it."""

    attribute: str
    opts: dict[str, Any]
    call: HookCall


def _refuse(plugin: Any, attribute: str, problem: str) -> NoReturn:
    raise ValidationError(
        f"durable execution plugin {type(plugin).__name__}: {attribute} {problem}"
    )


def _shape(signature: inspect.Signature) -> str:
    """Parameter names as the method declares them, without annotations: ``(info, *, x)``."""
    names: list[str] = []
    star = False
    for parameter in signature.parameters.values():
        if parameter.kind is _P.VAR_POSITIONAL:
            names.append(f"*{parameter.name}")
            star = True
        elif parameter.kind is _P.VAR_KEYWORD:
            names.append(f"**{parameter.name}")
        else:
            if parameter.kind is _P.KEYWORD_ONLY and not star:
                names.append("*")
                star = True
            names.append(parameter.name)
    return f"({', '.join(names)})"


def _info_call(plugin: Any, attribute: str, method: Callable[..., object]) -> HookCall:
    """``method`` as a call of one argument, the info, whatever its parameter is called.

    Raises:
        ValidationError: the method needs more than one argument.
    """
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return method  # no signature to read (a builtin): called with the info
    parameters = list(signature.parameters.values())
    required = [
        p
        for p in parameters
        if p.default is _P.empty and p.kind not in (_P.VAR_POSITIONAL, _P.VAR_KEYWORD)
    ]
    if len(required) > 1:
        _refuse(
            plugin,
            attribute,
            f"takes {_shape(signature)}; a hook implementation takes one argument, the info "
            "(under any name)",
        )
    if required and required[0].kind is _P.KEYWORD_ONLY:
        name = required[0].name
        return lambda info: method(**{name: info})
    if required or any(
        p.kind in (_P.POSITIONAL_ONLY, _P.POSITIONAL_OR_KEYWORD) for p in parameters
    ):
        return method
    if any(p.kind is _P.VAR_POSITIONAL for p in parameters):
        return method
    if any(p.name == "info" or p.kind is _P.VAR_KEYWORD for p in parameters):
        return lambda info: method(info=info)
    return lambda info: method()  # takes nothing, as pluggy allows: a bare notification


def implementations(manager: pluggy.PluginManager, plugin: Any) -> list[HookImplementation]:
    """The plugin's hook implementations, as ``manager`` recognises them.

    Raises:
        ValidationError: an implementation needs more than one argument, asks for an order
            (``tryfirst``/``trylast``) or is a wrapper.
    """
    found = []
    for attribute in dir(plugin):
        opts = manager.parse_hookimpl_opts(plugin, attribute)
        if opts is None:
            continue
        for option in _ORDER_OPTIONS:
            if opts.get(option):
                _refuse(
                    plugin,
                    attribute,
                    f"asks for {option}=True, which durable hooks do not support: plugins run "
                    "in list order, so put the plugin earlier or later in plugins=[...]",
                )
        for option in _WRAPPER_OPTIONS:
            if opts.get(option):
                _refuse(
                    plugin,
                    attribute,
                    f"is a {option}; durable hooks are notifications with one info, so "
                    "implement it as a plain method",
                )
        method = getattr(plugin, attribute)
        found.append(
            HookImplementation(attribute, dict(opts), _info_call(plugin, attribute, method))
        )
    return found


class SpecShaped:
    """What pluggy registers in a plugin's place: one function of ``(info)`` per
    implementation, carrying the implementation's marker, so pluggy checks the hook names
    and options; the dispatcher calls ``calls[function]``, never the stand-in."""

    def __init__(
        self,
        plugin: Any,
        found: list[HookImplementation],
        marker: pluggy.HookimplMarker,
    ) -> None:
        self.calls: dict[Callable[..., object], HookCall] = {}
        self._plugin = plugin
        for implementation in found:
            shaped = marker(**implementation.opts)(_spec_shaped())
            self.calls[shaped] = implementation.call
            vars(self)[implementation.attribute] = shaped

    def __repr__(self) -> str:
        return repr(self._plugin)


def _spec_shaped() -> Callable[[Any], None]:
    def hook(info: Any) -> None:
        raise AssertionError("stand-in for pluggy's checks; never called")

    return hook
