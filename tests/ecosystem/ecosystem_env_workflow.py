"""A handler decorated with no plugins: ``DURABLE_EXECUTION_PLUGINS`` chooses them when this
module is imported (the test sets the variable first)."""

from __future__ import annotations

from typing import Any

from ecosystem_common import everything

from aws_durable_execution_sdk_python import DurableContext, durable_execution


@durable_execution
def handler(event: Any, context: DurableContext) -> Any:
    return everything(event, context)
