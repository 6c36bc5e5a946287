"""What changed in the service since a store last saved it: executions, operations, timers.

A store (``_store``) saves after every mutating request, so it must write only what changed:
the executions touched since the last save and, of each, the operations stored since then
(history is append-only, so the store remembers how many events it has). The service calls
``touch`` wherever it changes an execution; nothing here knows about any store. Changes are
recorded only once a store asks (``record_from``): a service without one (every test
runner's) keeps no record of them.

The tracker also indexes each execution's live timers, so a store replaces those of one
execution without scanning the heap of every execution's timers.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_durable_execution_sdk_python_testing._service.callbacks import CallbackRegistry
from aws_durable_execution_sdk_python_testing._service.effects import (
    CallbackDeadline,
    Trigger,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.timers import Timer

__all__ = ["ChangeTracker", "trigger_arn"]


def trigger_arn(trigger: Trigger, callbacks: CallbackRegistry) -> str | None:
    """The execution a trigger concerns (a callback deadline's, through its callback id)."""
    if isinstance(trigger, CallbackDeadline):
        entry = callbacks.find(trigger.callback_id)
        return None if entry is None else entry.arn
    return trigger.arn


class ChangeTracker:
    """Executions changed since the last ``drain``, each with its stored operation ids."""

    def __init__(self) -> None:
        # Insertion-ordered: executions and operations first touched first, so a store
        # that appends new rows keeps the service's creation order.
        self._changed: dict[str, dict[str, None]] = {}
        self._timers: dict[str, list[Timer]] = {}
        self.recording = False

    def record_from(self, executions: Mapping[str, ExecutionRecord]) -> None:
        """Record changes from now on, counting every execution there is (and each of its
        operations) as changed, so that a store's first save writes all of them."""
        if self.recording:
            return
        self.recording = True
        for arn, record in executions.items():
            self._changed[arn] = dict.fromkeys(record.operations)

    def touch(self, arn: str, operation_id: str | None = None) -> None:
        if not self.recording:
            return
        operations = self._changed.setdefault(arn, {})
        if operation_id is not None:
            operations[operation_id] = None

    def drain(self) -> dict[str, list[str]]:
        """What changed since the last drain (and forget it)."""
        changed = {arn: list(ops) for arn, ops in self._changed.items()}
        self._changed.clear()
        return changed

    def restore(self, changed: dict[str, list[str]]) -> None:
        """Put back what a failed save drained, so the next save writes it after all."""
        later = self._changed
        self._changed = {arn: dict.fromkeys(ops) for arn, ops in changed.items()}
        for arn, ops in later.items():
            self._changed.setdefault(arn, {}).update(ops)

    def add_timer(self, arn: str, timer: Timer) -> None:
        timers = self._timers.setdefault(arn, [])
        timers[:] = [t for t in timers if not t.cancelled]  # fired or cancelled: gone
        timers.append(timer)

    def timers_of(self, arn: str) -> list[Timer]:
        """The execution's live timers, in the order they were added."""
        return [t for t in self._timers.get(arn, ()) if not t.cancelled]

    def forget(self, arn: str) -> None:
        """The execution is gone (deleted): its timers are no longer indexed."""
        self._timers.pop(arn, None)
