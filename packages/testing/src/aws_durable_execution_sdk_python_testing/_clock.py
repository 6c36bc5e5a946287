"""The virtual clock: real elapsed time within an invocation, jumps between invocations.

``now()`` is the real monotonic time plus an offset. Jumping to a timer adds the gap to the
offset, so a one-day wait costs nothing while timestamps stay realistic and ordered
(docs/decisions.md, "Runner time: real-time bounds, virtual execution clock").
The real time functions are held on the class, not as module globals, so freezegun (which
patches module attributes it finds) never replaces the runner's own clock (docs/decisions.md,
"freezegun is opt-in").
"""

from __future__ import annotations

import datetime
import time

__all__ = ["VirtualClock"]


class _Real:
    monotonic = staticmethod(time.monotonic)
    wall = staticmethod(time.time)


class VirtualClock:
    """Seconds since the epoch on a timeline that can skip ahead but never back."""

    def __init__(self, start: float | None = None) -> None:
        self._origin_wall = _Real.wall() if start is None else start
        self._origin_mono = _Real.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return self._origin_wall + (_Real.monotonic() - self._origin_mono) + self._offset

    def now_datetime(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.now(), tz=datetime.UTC)

    def advance_to(self, when: float) -> None:
        gap = when - self.now()
        if gap > 0:
            self._offset += gap

    @staticmethod
    def real_monotonic() -> float:
        return _Real.monotonic()
