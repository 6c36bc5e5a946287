"""The timeline's time axis: virtual seconds from the start mapped to pixels, idle gaps compressed.

A durable execution spends milliseconds working and then hours or days waiting, so a linear
axis would draw every step as a hairline beside one enormous wait. The axis is piecewise
linear instead: between two consecutive instants at which something happens, a stretch no
longer than ``gap_threshold`` is drawn at ``pixels_per_second`` (but never narrower than
``min_spacing``, so events a millisecond apart still stand in order), and a longer one is
cut to a fixed ``gap_width`` and labelled with its real duration ("⋯ 1 d ⋯").
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = ["Axis", "Gap", "Tick", "TimelineScale", "build_axis", "format_duration"]

# Past this many distinct instants the spacing shrinks so the chart stays a few screens wide.
_CROWDED = 150
_CROWDED_WIDTH = 1200.0


def _positive(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValidationError(f"TimelineScale({attribute.name}={value!r}): expected a number > 0")
    if math.isinf(value):
        raise ValidationError(
            f"TimelineScale({attribute.name}={value!r}): expected a finite number"
        )


def _not_negative(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValidationError(f"TimelineScale({attribute.name}={value!r}): expected a number >= 0")
    if math.isinf(value):
        raise ValidationError(
            f"TimelineScale({attribute.name}={value!r}): expected a finite number"
        )


@attrs.frozen
class TimelineScale:
    """How virtual seconds become pixels (see the module docstring)."""

    gap_threshold: float = attrs.field(default=60.0, validator=_positive)
    pixels_per_second: float = attrs.field(default=3.0, validator=_positive)
    gap_width: float = attrs.field(default=90.0, validator=_not_negative)
    min_spacing: float = attrs.field(default=8.0, validator=_not_negative)


@attrs.frozen
class Gap:
    """An idle stretch drawn at a fixed width: virtual ``start``..``end`` seconds, drawn
    from pixel ``x`` to ``x + width``."""

    start: float
    end: float
    x: float
    width: float
    label: str


@attrs.frozen
class Tick:
    """An axis label at pixel ``x``."""

    x: float
    label: str


@attrs.frozen
class Axis:
    """Virtual seconds (from the execution's start) to pixels, and back to labels."""

    times: tuple[float, ...]
    xs: tuple[float, ...]
    gaps: tuple[Gap, ...]
    ticks: tuple[Tick, ...]

    @property
    def width(self) -> float:
        return self.xs[-1] if self.xs else 0.0

    @property
    def end(self) -> float:
        return self.times[-1] if self.times else 0.0

    def x(self, seconds: float) -> float:
        """The pixel of ``seconds``: linear between the two instants around it."""
        if not self.times:
            return 0.0
        if seconds <= self.times[0]:
            return self.xs[0]
        if seconds >= self.times[-1]:
            return self.xs[-1]
        right = bisect.bisect_right(self.times, seconds)
        t0, t1 = self.times[right - 1], self.times[right]
        x0, x1 = self.xs[right - 1], self.xs[right]
        return x0 + (x1 - x0) * (seconds - t0) / (t1 - t0)


def build_axis(instants: Iterable[float], scale: TimelineScale) -> Axis:
    """The axis through every instant at which something happens (seconds from the start)."""
    times = tuple(sorted(set(instants) | {0.0}))
    spacing = scale.min_spacing
    if len(times) > _CROWDED:
        spacing = min(spacing, max(1.0, _CROWDED_WIDTH / len(times)))
    xs = [0.0]
    gaps: list[Gap] = []
    for t0, t1 in itertools.pairwise(times):
        length = t1 - t0
        if length > scale.gap_threshold:
            gaps.append(Gap(t0, t1, xs[-1], scale.gap_width, f"⋯ {format_duration(length)} ⋯"))
            width = scale.gap_width
        else:
            width = max(spacing, length * scale.pixels_per_second)
        xs.append(xs[-1] + width)
    return Axis(times, tuple(xs), tuple(gaps), _ticks(times, xs, gaps))


def _ticks(times: tuple[float, ...], xs: list[float], gaps: list[Gap]) -> tuple[Tick, ...]:
    """Labels at instants: the start, the end, and any instant with room around it (never
    inside a compressed gap, never twice the same text)."""
    room = 64.0
    taken = [(g.x, g.x + g.width) for g in gaps]
    ticks: list[Tick] = []
    for index, (t, x) in enumerate(zip(times, xs, strict=True)):
        final = index == len(times) - 1
        label = "+" + format_duration(t, precise=True)
        if any(lo < x < hi for lo, hi in taken) or (ticks and ticks[-1].label == label):
            continue
        if ticks and x - ticks[-1].x < room:
            if not final or len(ticks) == 1:
                continue
            ticks.pop()  # the end matters more than the label just before it
        ticks.append(Tick(x, label))
    return tuple(ticks)


_UNITS = (("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0))


def format_duration(seconds: float, *, precise: bool = False) -> str:
    """``"1 d"``, ``"2 h 5 min"``, ``"40 s"``, ``"12 ms"``: the two largest units, rounded.

    ``precise`` keeps tenths of a second under a minute (for axis labels, where two
    instants a fraction of a second apart would otherwise read the same).
    """
    if seconds < 0:
        return "-" + format_duration(-seconds, precise=precise)
    if seconds == 0:
        return "0 s"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        if precise and round(seconds, 1) != round(seconds):
            return f"{seconds:.1f} s"
        return f"{round(seconds)} s"
    remaining = round(seconds)
    parts: list[str] = []
    for unit, size in _UNITS:
        count, remaining = divmod(remaining, int(size))
        if count or parts:
            parts.append(f"{count} {unit}")
        if len(parts) == 2:
            break
    return " ".join(p for p in parts if not p.startswith("0 ")) or "0 s"
