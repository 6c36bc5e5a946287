"""Which executions a stretch of code ran: how the pytest plugin finds the executions a
failing test ran, including those of runners the test built itself.

A local runner announces its in-memory service when it is created; the cloud runner
announces each result it builds from a history (it has no service to look into). Nothing is
kept unless someone watches, so runners outside a watched test cost one list check.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService

__all__ = ["Watch", "announce", "announce_result", "watch"]

_ACTIVE: list[Watch] = []


class Watch:
    """The services created while it was active, in order."""

    def __init__(self) -> None:
        self.services: list[InMemoryDurableService] = []
        self.remote: dict[str, DurableFunctionTestResult] = {}  # ARN -> its latest result

    def records(self) -> list[ExecutionRecord]:
        """Every execution the watched services started, in start order per service."""
        return [record for service in self.services for record in service.executions.values()]

    def results(self) -> list[DurableFunctionTestResult]:
        """Every execution seen: the local ones as they are now, then the remote ones as
        their latest history showed them."""
        local = [DurableFunctionTestResult.from_record(record) for record in self.records()]
        return local + list(self.remote.values())


def announce(service: InMemoryDurableService) -> None:
    for active in _ACTIVE:
        if not any(known is service for known in active.services):
            active.services.append(service)


def announce_result(result: DurableFunctionTestResult) -> None:
    for active in _ACTIVE:
        active.remote[result.execution_arn] = result


@contextlib.contextmanager
def watch() -> Iterator[Watch]:
    current = Watch()
    _ACTIVE.append(current)
    try:
        yield current
    finally:
        _ACTIVE.remove(current)
