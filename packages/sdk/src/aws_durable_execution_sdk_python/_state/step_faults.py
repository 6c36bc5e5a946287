"""Failed step attempts injected from outside: the seam a test harness's step faults use.

A harness that wants "step ``charge`` fails twice with ``ConnectionError``" cannot reach into
the step's body, and should not: the point is that the step's retry strategy, its checkpoints
and its replay see exactly what a body raising that error would give them. So the step runner
asks a ``StepFaultSource`` before it runs each attempt; an exception it returns is raised in
place of the body, which then does not run for that attempt.

The source is installed with :func:`inject_step_faults` around an invocation and read once,
when the invocation's state is built, so that every thread of the invocation (map and
parallel workers do not inherit context variables) sees the same one. Without a source,
nothing is built and the step runner pays one attribute check.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Protocol

__all__ = ["StepFaultSource", "current_step_faults", "inject_step_faults"]


class StepFaultSource(Protocol):
    """Decides, per attempt, whether a step's body is replaced by a raised exception."""

    def step_fault(self, name: str | None, operation_id: str, attempt: int) -> Exception | None:
        """The exception attempt ``attempt`` of the step raises instead of running its body,
        or ``None`` to run the body."""


_source: contextvars.ContextVar[StepFaultSource | None] = contextvars.ContextVar(
    "aws_durable_execution_step_faults", default=None
)


def current_step_faults() -> StepFaultSource | None:
    """The source installed in the current context, if any."""
    return _source.get()


@contextlib.contextmanager
def inject_step_faults(source: StepFaultSource | None) -> Iterator[None]:
    """Invocations started inside the ``with`` block ask ``source`` before each step attempt.

    ``None`` installs nothing (handy for callers that inject only sometimes).
    """
    token = _source.set(source)
    try:
        yield
    finally:
        _source.reset(token)
