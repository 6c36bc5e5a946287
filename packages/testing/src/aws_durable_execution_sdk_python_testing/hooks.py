"""What plugins saw: every hook call of an execution, in order, for tests to assert on.

The runner records hook calls when the handler has plugins (or with
``record_hooks=True``); ``result.hook_events`` lists them and ``result.hooks(name)``
filters by hook.
"""

from __future__ import annotations

from typing import Any

import attrs

from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin

__all__ = ["HookEvent", "HookRecorder"]


@attrs.frozen
class HookEvent:
    """One hook call: its name (``on_operation_end``...) and the info it received."""

    hook: str
    info: Any


class HookRecorder(DurableInstrumentationPlugin):
    """A plugin that appends every hook call to a list."""

    def __init__(self, events: list[HookEvent]) -> None:
        self.events = events

    def on_invocation_start(self, info: Any) -> None:
        self.events.append(HookEvent("on_invocation_start", info))

    def on_invocation_end(self, info: Any) -> None:
        self.events.append(HookEvent("on_invocation_end", info))

    def on_operation_start(self, info: Any) -> None:
        self.events.append(HookEvent("on_operation_start", info))

    def on_operation_end(self, info: Any) -> None:
        self.events.append(HookEvent("on_operation_end", info))

    def on_operation_change(self, info: Any) -> None:
        self.events.append(HookEvent("on_operation_change", info))

    def on_user_function_start(self, info: Any) -> None:
        self.events.append(HookEvent("on_user_function_start", info))

    def on_user_function_end(self, info: Any) -> None:
        self.events.append(HookEvent("on_user_function_end", info))
