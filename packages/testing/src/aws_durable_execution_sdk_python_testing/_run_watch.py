"""Which in-memory services a stretch of code created: how the pytest plugin finds the
executions a failing test ran, including those of runners the test built itself.

A runner announces its service here when it is created; nothing is kept unless someone
watches, so runners outside a watched test cost one list check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService

__all__ = ["Watch", "announce", "watch"]

_ACTIVE: list[Watch] = []


class Watch:
    """The services created while it was active, in order."""

    def __init__(self) -> None:
        self.services: list[InMemoryDurableService] = []

    def records(self) -> list[ExecutionRecord]:
        """Every execution the watched services started, in start order per service."""
        return [record for service in self.services for record in service.executions.values()]


def announce(service: InMemoryDurableService) -> None:
    for active in _ACTIVE:
        if not any(known is service for known in active.services):
            active.services.append(service)


@contextlib.contextmanager
def watch() -> Iterator[Watch]:
    current = Watch()
    _ACTIVE.append(current)
    try:
        yield current
    finally:
        _ACTIVE.remove(current)
