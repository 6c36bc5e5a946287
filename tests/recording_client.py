"""A recording double of the runner's service client, shared by the tests that count and
order checkpoint calls: each call's ``(name, action)`` pairs, and an event set once the
service has accepted the START of the step it watches."""

from __future__ import annotations

import threading
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    OperationAction,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

__all__ = ["RecordingClient", "recording"]


class RecordingClient:
    """Wraps the runner's client: records each call's (name, action) pairs and sets
    ``started`` once the service has accepted the START of the step named ``watch``.

    With ``dead`` set, calls are dropped (the process has died: nothing it sends after the
    crash point reaches the service).
    """

    def __init__(self, inner: Any, watch: str | None = None) -> None:
        self.inner = inner
        self.watch = watch
        self.started = threading.Event()
        self.calls: list[list[tuple[str | None, str]]] = []
        self.dead = False
        self._lock = threading.Lock()

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        if self.dead:
            return CheckpointOutput(checkpoint_token, CheckpointUpdatedExecutionState([], None))
        with self._lock:  # recorded as sent, even when the runner cuts the invocation in it
            self.calls.append([(u.name, u.action.value) for u in updates])
        output: CheckpointOutput = self.inner.checkpoint(
            durable_execution_arn, checkpoint_token, updates, client_token
        )
        if any(u.name == self.watch and u.action is OperationAction.START for u in updates):
            self.started.set()
        return output

    def call_with(self, pair: tuple[str | None, str]) -> list[tuple[str | None, str]]:
        """The one checkpoint call that carried ``(name, action)``."""
        [call] = [call for call in self.calls if pair in call]
        return call

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput:
        state: StateOutput = self.inner.get_execution_state(
            durable_execution_arn, checkpoint_token, next_marker, max_items
        )
        return state


def recording(runner: DurableFunctionTestRunner, watch: str | None = None) -> RecordingClient:
    client = RecordingClient(runner.client, watch)
    runner.client = client
    return client
