"""Handlers wired to the published plugins exactly as their READMEs say.

Module-level functions, so that subprocess mode imports them again in the sandbox.
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python_insight import WorkflowInsightConfig, workflow_insight
from aws_durable_execution_sdk_python_insight.exporters import FileExporter as InsightFiles
from aws_durable_execution_sdk_python_otel import (
    ExecutionOtelPluginFactory,
    InvocationOtelPluginFactory,
)
from aws_durable_execution_sdk_python_telemetry_exporter import (
    ContentConfig,
    DurableExecutionTelemetryConfig,
    durable_execution_telemetry,
)
from aws_durable_execution_sdk_python_telemetry_exporter.exporters import (
    FileExporter as TelemetryFiles,
)
from ecosystem_common import INSIGHT, TELEMETRY, everything, failing

from aws_durable_execution_sdk_python import DurableContext, durable_execution

TELEMETRY_PLUGIN = durable_execution_telemetry(
    DurableExecutionTelemetryConfig(
        exporters=[TelemetryFiles(TELEMETRY, mode="json")],
        content=ContentConfig(input=True, output=True),
        operation_detail="full-tree",
    )
)
# insight's workflow_insight() returns a plugin instance, which this SDK accepts as it is.
INSIGHT_PLUGIN = workflow_insight(
    WorkflowInsightConfig(exporters=[InsightFiles(INSIGHT, mode="json")])
)


@durable_execution(plugins=[InvocationOtelPluginFactory()])
def otel_invocation_view(event: Any, context: DurableContext) -> Any:
    return everything(event, context)


@durable_execution(plugins=[ExecutionOtelPluginFactory()])
def otel_execution_view(event: Any, context: DurableContext) -> Any:
    return everything(event, context)


@durable_execution(plugins=[InvocationOtelPluginFactory()])
def otel_failing(event: Any, context: DurableContext) -> Any:
    return failing(event, context)


@durable_execution(plugins=[TELEMETRY_PLUGIN])
def telemetry_everything(event: Any, context: DurableContext) -> Any:
    return everything(event, context)


@durable_execution(plugins=[TELEMETRY_PLUGIN])
def telemetry_failing(event: Any, context: DurableContext) -> Any:
    return failing(event, context)


@durable_execution(plugins=[INSIGHT_PLUGIN])
def insight_everything(event: Any, context: DurableContext) -> Any:
    return everything(event, context)


@durable_execution(plugins=[INSIGHT_PLUGIN])
def insight_failing(event: Any, context: DurableContext) -> Any:
    return failing(event, context)
