"""Plugins: instrument durable functions (tracing, metrics, audit) without touching handlers.

The API is the existing SDK 3.0's, so published plugins (OpenTelemetry, telemetry exporter,
insight) run unchanged. Register plugin factories with ``@durable_execution(plugins=[...])``
(called in list order): a factory's ``create_plugin(info)`` makes the plugin of one
invocation. A plugin instance may be given instead and serves every invocation. A plugin
subclasses :class:`DurableInstrumentationPlugin` overriding its hooks, or is any object
whose methods carry the :data:`hookimpl` marker; each hook takes one argument, the info,
under any name. ``DURABLE_EXECUTION_PLUGINS`` selects more by entry-point name (see
:mod:`aws_durable_execution_sdk_python.plugin_discovery`), and :func:`instrument` adds some
around invocations. A plugin that raises never changes the workflow's outcome; the failure
is logged once. :func:`plugins_of` reads back the plugins a handler runs with.
"""

from typing import Any, Protocol

from aws_durable_execution_sdk_python._model.enums import (
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python._plugins.hookspecs import DurableHookSpecs, hookimpl
from aws_durable_execution_sdk_python._plugins.info import (
    InvocationEndInfo,
    InvocationInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    PropagationInput,
    PropagationMetadata,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python._plugins.loading import PLUGIN_ENTRY_POINT_GROUP
from aws_durable_execution_sdk_python._plugins.manager import (
    DurableInstrumentationPlugin,
    PluginDispatcher,
    instrument,
)
from aws_durable_execution_sdk_python._plugins.registration import plugins_of

ENTRY_POINT_GROUP = PLUGIN_ENTRY_POINT_GROUP


class DurableInstrumentationPluginFactory(Protocol):
    """What ``plugins=[...]`` takes: ``create_plugin`` is called once per invocation, before
    any hook, with the ``InvocationStartInfo`` that ``on_invocation_start`` then gets."""

    def create_plugin(self, info: InvocationStartInfo) -> Any: ...


__all__ = [
    "ENTRY_POINT_GROUP",
    "DurableHookSpecs",
    "DurableInstrumentationPlugin",
    "DurableInstrumentationPluginFactory",
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "InvocationStatus",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "OperationStatus",
    "OperationType",
    "PluginDispatcher",
    "PropagationInput",
    "PropagationMetadata",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
    "hookimpl",
    "instrument",
    "plugins_of",
]
