"""Choosing a handler's plugins once, when ``durable_execution`` wraps it.

The list given to the decorator comes first, in its order; then the plugins that the
``DURABLE_EXECUTION_PLUGINS`` environment variable names (comma-separated), each found by
name in the ``aws_durable_execution.plugins`` entry-point group, in the variable's order.
Installed packages never add a plugin by merely being installed: a plugin runs because the
code or the environment asked for it. Mistakes (an unknown name, two plugins of one
exclusive group) fail at decoration, i.e. at cold start, not in the middle of an execution
(docs/decisions.md, "Plugin API of the existing SDK").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any

from aws_durable_execution_sdk_python._plugins.registration import (
    check_entry,
    checked_plugins,
    describe,
)
from aws_durable_execution_sdk_python.exceptions import PluginLoadError

__all__ = [
    "PLUGIN_ENTRY_POINT_GROUP",
    "PLUGIN_ENVIRONMENT_VARIABLE",
    "load_configured_plugins",
]

PLUGIN_ENTRY_POINT_GROUP = "aws_durable_execution.plugins"
PLUGIN_ENVIRONMENT_VARIABLE = "DURABLE_EXECUTION_PLUGINS"
_MARKER = "__durable_registration_api__"

_log = logging.getLogger("aws_durable_execution_sdk_python.plugin_discovery")


def load_configured_plugins(
    explicit_plugins: Any, *, environment: Mapping[str, str] | None = None
) -> list[Any]:
    """The handler's plugins: ``explicit_plugins`` then those the environment selects.

    ``environment`` defaults to ``os.environ``, read now.

    Raises:
        PluginLoadError: an entry is not a plugin factory or plugin; the variable is
            malformed or names a plugin that is not installed (or installed twice, or fails
            to load); two chosen factories share an exclusive group.
    """
    explicit = list(checked_plugins(explicit_plugins))
    seen: list[Any] = list(explicit)
    try:
        names = _selected_names(os.environ if environment is None else environment)
        chosen = explicit + _load_named(names, explicit, seen)
        _check_exclusive_groups(chosen)
    except BaseException:
        _tell_registration(seen, registered=False)
        raise
    _tell_registration(chosen, registered=True)
    return chosen


def _selected_names(environment: Mapping[str, str]) -> list[str]:
    raw = environment.get(PLUGIN_ENVIRONMENT_VARIABLE, "")
    if not raw.strip():
        return []
    names = [name.strip() for name in raw.split(",")]
    if any(not name for name in names):
        raise PluginLoadError(
            f"{PLUGIN_ENVIRONMENT_VARIABLE}={raw!r} must contain non-empty, "
            "comma-separated plugin names, e.g. otel-invocation,my-metrics"
        )
    for index, name in enumerate(names):
        if name in names[:index]:
            raise PluginLoadError(
                f"{PLUGIN_ENVIRONMENT_VARIABLE}={raw!r} contains duplicate plugin name "
                f"{name!r}; name each plugin once"
            )
    return names


def _distribution(entry_point: metadata.EntryPoint) -> str:
    dist = getattr(entry_point, "dist", None)
    return getattr(dist, "name", None) or "an unknown distribution"


def _load_named(names: list[str], explicit: list[Any], seen: list[Any]) -> list[Any]:
    if not names:
        return []
    try:
        installed = list(metadata.entry_points(group=PLUGIN_ENTRY_POINT_GROUP))
    except Exception as error:
        raise PluginLoadError(
            f"Failed to inspect installed {PLUGIN_ENTRY_POINT_GROUP!r} plugin providers "
            f"for {PLUGIN_ENVIRONMENT_VARIABLE}: {error}"
        ) from error
    loaded: list[Any] = []
    for name in names:
        matches = [ep for ep in installed if ep.name == name]
        if not matches:
            known = ", ".join(sorted({ep.name for ep in installed})) or "none"
            raise PluginLoadError(
                f"{PLUGIN_ENVIRONMENT_VARIABLE} names plugin {name!r}, but no installed "
                f"package provides it in the {PLUGIN_ENTRY_POINT_GROUP!r} entry-point group "
                f"(installed: {known}); install the package or layer that provides it"
            )
        if len(matches) > 1:
            dists = ", ".join(sorted(_distribution(ep) for ep in matches))
            raise PluginLoadError(
                f"{PLUGIN_ENVIRONMENT_VARIABLE} names plugin {name!r}, which several "
                f"installed distributions provide ({dists}); uninstall all but one"
            )
        [entry_point] = matches
        try:
            factory = entry_point.load()
        except Exception as error:
            raise PluginLoadError(
                f"Failed to load plugin factory {name!r} from {entry_point.value!r} "
                f"({_distribution(entry_point)}): {error}"
            ) from error
        seen.append(factory)
        try:
            check_entry(factory, f"plugin {name!r} ({entry_point.value})")
        except PluginLoadError as error:
            raise PluginLoadError(
                f"{error}. An entry point in {PLUGIN_ENTRY_POINT_GROUP!r} must resolve to a "
                "plugin factory instance (or a plugin instance), not a plugin class or a "
                "factory class"
            ) from None
        if any(factory is given for given in explicit):
            _log.warning(
                "Skipping dynamically configured plugin %r because the same plugin factory "
                "is already registered.",
                name,
            )
            continue
        loaded.append(factory)
    return loaded


def _owner(candidate: Any) -> type:
    return candidate if isinstance(candidate, type) else type(candidate)


def _declares_marker(klass: type) -> bool:
    value = vars(klass).get(_MARKER)
    return type(value) is int and value == 1


def _opted_in(candidate: Any) -> bool:
    """The nearest class declaring the marker decides: ``1`` (an int, not ``True``) opts in."""
    for klass in _owner(candidate).__mro__:
        if _MARKER in vars(klass):
            return _declares_marker(klass)
    return False


def _groups(candidate: Any) -> set[str]:
    groups: set[str] = set()
    for klass in _owner(candidate).__mro__:
        if not _declares_marker(klass):
            continue
        group = getattr(klass, "exclusive_group", None)
        if group is None:
            continue
        if not isinstance(group, str) or not group.strip():
            raise PluginLoadError(
                f"{klass.__qualname__} must declare exclusive_group as None or a non-empty "
                f"string, not {group!r}"
            )
        groups.add(group)
    return groups


def _check_exclusive_groups(chosen: Iterable[Any]) -> None:
    members: dict[str, list[Any]] = {}
    for candidate in chosen:
        if not _opted_in(candidate):
            continue
        for group in sorted(_groups(candidate)):
            for other in members.get(group, []):
                if _owner(other) is _owner(candidate):
                    raise PluginLoadError(
                        f"{describe(candidate)} is registered more than once in exclusive "
                        f"group {group!r}; register it once"
                    )
                raise PluginLoadError(
                    f"{describe(other)} and {describe(candidate)} are mutually exclusive "
                    f"(group {group!r}): register only one of them, in plugins=[...] or "
                    f"{PLUGIN_ENVIRONMENT_VARIABLE}"
                )
            members.setdefault(group, []).append(candidate)


def _tell_registration(candidates: Iterable[Any], *, registered: bool) -> None:
    told: set[int] = set()
    for candidate in candidates:
        if id(candidate) in told or not _opted_in(candidate):
            continue
        told.add(id(candidate))
        callback = getattr(candidate, "on_registration_result", None)
        if not callable(callback):
            continue
        try:
            callback(registered)
        except Exception:
            _log.exception("Plugin registration-result callback failed")
