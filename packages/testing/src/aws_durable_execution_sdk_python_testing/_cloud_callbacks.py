"""Callbacks as the cloud runner sees them: read from an execution's history events.

A callback is *ready* once an ``InvocationCompleted`` event follows its ``CallbackStarted``:
the invocation that created it has returned, so an answer sent now cannot race the
handler that is still writing the checkpoint around it. Declared answers
(``run(callbacks=...)``) are scheduled when their callback becomes ready, each ``delay``
real seconds later, since the runner cannot move the service's clock.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing._cloud_api import UnsupportedInCloudError
from aws_durable_execution_sdk_python_testing.callbacks import (
    Action,
    ActionSpec,
    CallbackTimeout,
    CreatedCallback,
    actions_for,
    wait_for_callback_name,
)

__all__ = ["DeclaredAnswers", "SeenCallback", "callbacks_in", "open_callback"]

_FINISHED = {"CallbackSucceeded", "CallbackFailed", "CallbackTimedOut"}
_WAIT_FOR_CALLBACK = "WaitForCallback"


@attrs.frozen
class SeenCallback:
    """One callback of the history: who it is, and whether it can be answered now."""

    created: CreatedCallback
    parent_name: str | None
    ready: bool
    status: str  # the EventType of its latest event

    @property
    def finished(self) -> bool:
        return self.status in _FINISHED

    def names(self) -> set[str | None]:
        """The names a test may use for it (as the local runner accepts them)."""
        return {
            self.created.name,
            self.parent_name,
            wait_for_callback_name(self.created.name),
        }

    def describe(self) -> str:
        return f"{self.created.name or self.created.operation_id} ({self.status})"


def callbacks_in(events: Iterable[Mapping[str, Any]], arn: str) -> list[SeenCallback]:
    """The execution's callbacks, in creation order."""
    firsts: dict[str, Mapping[str, Any]] = {}
    started: dict[str, Mapping[str, Any]] = {}
    status: dict[str, str] = {}
    ready: set[str] = set()
    for event in events:
        op_id = event.get("Id")
        kind = event["EventType"]
        if kind == "InvocationCompleted":
            ready.update(started)
        if not isinstance(op_id, str):
            continue
        firsts.setdefault(op_id, event)
        if kind == "CallbackStarted":
            started[op_id] = event
        if kind.startswith("Callback"):
            status[op_id] = kind
    seen = []
    for op_id, event in started.items():
        details = event.get("CallbackStartedDetails") or {}
        parent = firsts.get(event.get("ParentId") or "")
        parent_name = parent.get("Name") if parent is not None else None
        in_wait_for_callback = parent is not None and parent.get("SubType") == _WAIT_FOR_CALLBACK
        created = CreatedCallback(
            callback_id=str(details.get("CallbackId") or ""),
            name=event.get("Name"),
            operation_id=op_id,
            execution_arn=arn,
            wait_for_callback_name=(
                (parent_name or wait_for_callback_name(event.get("Name")))
                if in_wait_for_callback
                else None
            ),
        )
        seen.append(SeenCallback(created, parent_name, op_id in ready, status[op_id]))
    return seen


def open_callback(callbacks: Sequence[SeenCallback], name: str | None) -> str | None:
    """The newest ready, unfinished callback called ``name`` (any, when ``name`` is None)."""
    for callback in reversed(callbacks):
        if callback.ready and not callback.finished and (name is None or name in callback.names()):
            return callback.created.callback_id
    return None


class DeclaredAnswers:
    """The answers declared for one execution, due at real (monotonic) times."""

    def __init__(self, spec: Mapping[str, ActionSpec]) -> None:
        self._spec = spec
        self._scheduled: set[str] = set()
        self._due: list[tuple[float, int, CreatedCallback, Action]] = []
        self._order = itertools.count()

    def observe(self, callbacks: Sequence[SeenCallback], now: float, deadline: float) -> None:
        """Schedule the declared actions of callbacks that just became ready.

        Raises:
            UnsupportedInCloudError: an action the public API cannot carry out
                (``CallbackTimeout``), or one delayed past the run's deadline.
        """
        for callback in callbacks:
            created = callback.created
            if not callback.ready or created.operation_id in self._scheduled:
                continue
            self._scheduled.add(created.operation_id)
            for action in actions_for(self._spec, created):
                label = f"{type(action).__name__} for callback {callback.describe()}"
                if isinstance(action, CallbackTimeout):
                    raise UnsupportedInCloudError(
                        f"{label}: the Lambda API cannot time a callback out; in cloud mode "
                        "let the callback's own timeout fire"
                    )
                due = now + max(0.0, float(action.delay))
                if due > deadline:
                    raise UnsupportedInCloudError(
                        f"{label} is delayed {action.delay} s, past the run's timeout: in "
                        "cloud mode a declared delay is real time, the service's clock "
                        "cannot be moved"
                    )
                heapq.heappush(self._due, (due, next(self._order), created, action))

    def next_due(self) -> float | None:
        return self._due[0][0] if self._due else None

    def pop_all(self) -> list[tuple[CreatedCallback, Action]]:
        """Every action still waiting for its time, in the order it would have been sent."""
        return self.pop_due(float("inf"))

    def pop_due(self, now: float) -> list[tuple[CreatedCallback, Action]]:
        out = []
        while self._due and self._due[0][0] <= now:
            _due, _order, created, action = heapq.heappop(self._due)
            out.append((created, action))
        return out
