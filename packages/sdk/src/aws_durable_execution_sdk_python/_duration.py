"""``Duration``: whole seconds, the unit every wait, timeout and retry delay is given in.

Below ``config`` and the retry strategies, which both build durations, so that neither has
to import the other for it.
"""

from __future__ import annotations

import math

import attrs

from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = ["Duration", "Numeric", "as_duration", "whole_seconds"]

Numeric = int | float


def whole_seconds(value: object, shown: str, unit: str = "seconds", factor: int = 1) -> int:
    """``value`` units as whole seconds; ``shown`` is how the user wrote the call.

    Checked before any arithmetic: ``"5" * 60`` is a string and ``-0.5`` truncates to 0, so
    both would slip through a check made afterwards.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(
            f"{shown}: expected a number of {unit} (int or float), got {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{shown}: must be a finite number of {unit}")
    if value < 0:
        raise ValidationError(f"{shown}: must not be negative")
    total = value * factor
    if isinstance(total, float) and not math.isfinite(total):
        raise ValidationError(f"{shown}: {value!r} {unit} is not a finite number of seconds")
    return int(total)


def _duration_seconds(value: object) -> int:
    return whole_seconds(value, f"Duration({value!r})")


@attrs.frozen
class Duration:
    """A whole number of seconds (fractions are truncated, as the existing SDK does).

    Raises:
        ValidationError: the value is negative, NaN, infinite or not a number.
    """

    seconds: int = attrs.field(default=0, converter=_duration_seconds)

    def to_seconds(self) -> int:
        return self.seconds

    @classmethod
    def from_seconds(cls, value: Numeric) -> Duration:
        return cls(whole_seconds(value, f"Duration.from_seconds({value!r})"))

    @classmethod
    def from_minutes(cls, value: Numeric) -> Duration:
        return cls(whole_seconds(value, f"Duration.from_minutes({value!r})", "minutes", 60))

    @classmethod
    def from_hours(cls, value: Numeric) -> Duration:
        return cls(whole_seconds(value, f"Duration.from_hours({value!r})", "hours", 3600))

    @classmethod
    def from_days(cls, value: Numeric) -> Duration:
        return cls(whole_seconds(value, f"Duration.from_days({value!r})", "days", 86400))


def as_duration(value: Duration | Numeric | None, seconds: Numeric | None, name: str) -> Duration:
    """Merge a ``Duration`` field and its ``*_seconds`` twin; both given is a mistake."""
    if value is not None and seconds is not None:
        raise ValidationError(f"pass either {name}= or {name}_seconds=, not both")
    if seconds is not None:
        return Duration(whole_seconds(seconds, f"{name}_seconds={seconds!r}"))
    if value is None:
        return Duration()
    if isinstance(value, Duration):
        return value
    return Duration(whole_seconds(value, f"{name}={value!r}"))
