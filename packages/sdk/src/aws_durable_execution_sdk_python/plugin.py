"""Plugins: instrument durable functions (tracing, metrics, audit) without touching handlers.

Register plugins with ``@durable_execution(plugins=[...])`` (called in list order), let an
installed package add one through the ``aws_durable_execution_sdk_python.plugins``
entry-point group, or add some around invocations with :func:`instrument`. A plugin is
either a subclass of :class:`DurableInstrumentationPlugin` overriding ``on_*`` methods, or
any object whose methods carry the :data:`hookimpl` marker; a factory (an object with
``create_plugin(info)``) makes a fresh plugin per invocation. A plugin that raises never
changes the workflow's outcome; the failure is logged once.
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
]
