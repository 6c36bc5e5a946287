"""A virtual clock that moves only when told to, shared by the in-memory service's tests.

The runner's clock reads real time between jumps; these tests compare two services, or a
service with its restored copy, event by event, so their clock must not move by itself.
"""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing._clock import VirtualClock

__all__ = ["START", "StoppedClock"]

START = 1_700_000_000.0


class StoppedClock(VirtualClock):
    """Starts at ``START`` and moves only by ``advance_to``, so two runs stamp events alike."""

    def __init__(self) -> None:
        super().__init__(START)
        self._now = START

    def now(self) -> float:
        return self._now

    def advance_to(self, when: float) -> None:
        self._now = max(self._now, when)
