"""When a batch is complete, and why: its ``CompletionConfig`` applied to the tallies.

``CompletionReason`` lives here, with the rule that decides it, so that the result types
in ``batch`` depend on the policy and never the other way round.
"""

from __future__ import annotations

import enum

import attrs

from aws_durable_execution_sdk_python.config import CompletionConfig

__all__ = ["CompletionPolicy", "CompletionReason"]


class CompletionReason(enum.Enum):
    """Why a map or parallel stopped: everything finished, enough successes, or too many
    failures."""

    ALL_COMPLETED = "ALL_COMPLETED"
    MIN_SUCCESSFUL_REACHED = "MIN_SUCCESSFUL_REACHED"
    FAILURE_TOLERANCE_EXCEEDED = "FAILURE_TOLERANCE_EXCEEDED"


@attrs.frozen
class CompletionPolicy:
    config: CompletionConfig
    total: int

    @property
    def has_criteria(self) -> bool:
        c = self.config
        return any(
            v is not None
            for v in (c.min_successful, c.tolerated_failure_count, c.tolerated_failure_percentage)
        )

    def is_tolerance_exceeded(self, failures: int) -> bool:
        if not self.has_criteria:
            return failures > 0  # fail fast
        c = self.config
        if c.tolerated_failure_count is not None and failures > c.tolerated_failure_count:
            return True
        return (
            c.tolerated_failure_percentage is not None
            and self.total > 0
            and failures / self.total * 100 > c.tolerated_failure_percentage
        )

    def is_complete(self, successes: int, failures: int) -> bool:
        if successes + failures >= self.total:
            return True
        if self.is_tolerance_exceeded(failures):
            return True
        minimum = self.config.min_successful
        return minimum is not None and successes >= minimum

    def reason(self, successes: int, failures: int) -> CompletionReason:
        if self.is_tolerance_exceeded(failures):
            return CompletionReason.FAILURE_TOLERANCE_EXCEEDED
        if successes + failures >= self.total:
            return CompletionReason.ALL_COMPLETED
        minimum = self.config.min_successful
        if minimum is not None and successes >= minimum:
            return CompletionReason.MIN_SUCCESSFUL_REACHED
        return CompletionReason.ALL_COMPLETED
