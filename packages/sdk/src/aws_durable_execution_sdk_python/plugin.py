"""Plugins: instrument durable functions (tracing, metrics, audit) without touching handlers.

Register plugins with ``@durable_execution(plugins=[...])`` (called in list order), let an
installed package add one through the ``aws_durable_execution_sdk_python.plugins``
entry-point group, or add some around invocations with :func:`instrument`. A plugin is
either a subclass of :class:`DurableInstrumentationPlugin` overriding ``on_*`` methods, or
any object whose methods carry the :data:`hookimpl` marker; each hook takes one argument,
the info, under any name. A factory (an object with ``create_plugin(info)``, or a class
whose ``create_plugin`` is a classmethod) makes a fresh plugin per invocation. Pass
instances, not classes: ``plugins=[MyPlugin()]``. A plugin that raises never changes the
workflow's outcome; the failure is logged once. :func:`plugins_of` reads back the plugins a
handler was decorated with.
"""

from aws_durable_execution_sdk_python._plugins.hookspecs import DurableHookSpecs, hookimpl
from aws_durable_execution_sdk_python._plugins.info import (
    InvocationEndInfo,
    InvocationInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python._plugins.manager import (
    ENTRY_POINT_GROUP,
    DurableInstrumentationPlugin,
    PluginDispatcher,
    instrument,
)
from aws_durable_execution_sdk_python._plugins.registration import plugins_of

__all__ = [
    "ENTRY_POINT_GROUP",
    "DurableHookSpecs",
    "DurableInstrumentationPlugin",
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "PluginDispatcher",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
    "hookimpl",
    "instrument",
    "plugins_of",
]
