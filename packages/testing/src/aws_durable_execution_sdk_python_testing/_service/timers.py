"""The service's timers: one heap for all executions, ordered by virtual time.

Timers that make progress (a wait ends, a retry is due, a callback times out, a scheduled
callback answer) keep a run alive; execution timeouts do not: with only timeouts left an
execution waits for something nothing will deliver, and the runner reports it at once
instead of sleeping a virtual year.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import attrs

from aws_durable_execution_sdk_python_testing._service.effects import Trigger

__all__ = ["Timer", "TimerQueue"]


@attrs.define(eq=False)
class Timer:
    when: float
    seq: int
    description: str
    fire: Callable[[], None] = attrs.field(repr=False)
    keeps_alive: bool = True
    cancelled: bool = False
    #: What ``fire`` reacts to, as data, for a service timer: a store saves it, since a
    #: closure cannot be saved. ``None`` for the runner's own timers (declared answers).
    trigger: Trigger | None = None

    def __lt__(self, other: Timer) -> bool:
        """Heap order: by time, then by when it was added (written out: the heap compares
        on every push and pop, and attrs' generic ordering is several times slower)."""
        return (self.when, self.seq) < (other.when, other.seq)


class TimerQueue:
    def __init__(self) -> None:
        self._heap: list[Timer] = []
        self._next_seq = 0
        self._live = 0  # timers that keep a run alive, not yet fired or cancelled

    def add(
        self,
        when: float,
        description: str,
        fire: Callable[[], None],
        *,
        keeps_alive: bool = True,
        trigger: Trigger | None = None,
        seq: int | None = None,
    ) -> Timer:
        """A new timer; a restored one passes its saved ``seq`` to keep its order among equals."""
        if seq is None:
            seq = self._next_seq
        self._next_seq = max(self._next_seq, seq + 1)
        timer = Timer(when, seq, description, fire, keeps_alive, trigger=trigger)
        heapq.heappush(self._heap, timer)
        if keeps_alive:
            self._live += 1
        return timer

    def cancel(self, timer: Timer | None) -> None:
        if timer is None or timer.cancelled:
            return
        timer.cancelled = True
        if timer.keeps_alive:
            self._live -= 1

    @property
    def has_progress(self) -> bool:
        return self._live > 0

    def peek(self) -> Timer | None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0] if self._heap else None

    def pop(self) -> Timer:
        timer = heapq.heappop(self._heap)
        if timer.keeps_alive and not timer.cancelled:
            self._live -= 1
        timer.cancelled = True
        return timer

    def pending(self) -> list[Timer]:
        return sorted(t for t in self._heap if not t.cancelled)
