"""Plugins chosen by the environment: ``DURABLE_EXECUTION_PLUGINS`` names entry points of the
``aws_durable_execution.plugins`` group, loaded when ``durable_execution`` wraps a handler."""

from aws_durable_execution_sdk_python._plugins.loading import (
    PLUGIN_ENTRY_POINT_GROUP,
    PLUGIN_ENVIRONMENT_VARIABLE,
    load_configured_plugins,
)

__all__ = ["PLUGIN_ENTRY_POINT_GROUP", "PLUGIN_ENVIRONMENT_VARIABLE", "load_configured_plugins"]
