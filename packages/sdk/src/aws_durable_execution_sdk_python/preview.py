"""Small previews of large values: the few fields a checkpoint can show beside a pointer to
the full value (values layer; ``filesystem_serdes`` calls it, and so can anyone).

A preview is plain JSON data, chosen by field rules and cut to a byte budget, so a pointer
payload stays far below the service's per-operation limit however big the value is.
"""

from __future__ import annotations

import datetime
import enum
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = [
    "FieldMatchMode",
    "PreviewConfig",
    "PreviewField",
    "PreviewMode",
    "build_preview",
    "preview_size",
]

_ELLIPSIS = "..."
_ROOT_KEY = "value"  # where a value that is not a mapping shows in its preview


class PreviewMode(enum.Enum):
    """Where a preview starts: every field (less exclusions) or none (plus inclusions)."""

    INCLUDE_ALL = "INCLUDE_ALL"
    EXCLUDE_ALL = "EXCLUDE_ALL"


class FieldMatchMode(enum.Enum):
    """How a :class:`PreviewField` name finds fields.

    ``ANYWHERE``: a mapping key equal to the name, at any depth. ``PATH``: the dotted keys
    from the root (``"customer.address.city"``); list positions add no segment, so
    ``"items.sku"`` names the ``sku`` of every element of ``items``.
    """

    ANYWHERE = "ANYWHERE"
    PATH = "PATH"


def _check_field_name(instance: PreviewField, _attribute: Any, name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise ValidationError(f"PreviewField(name={name!r}): the name must be a non-empty str")


def _check_match(instance: PreviewField, _attribute: Any, match: Any) -> None:
    if not isinstance(match, FieldMatchMode):
        raise ValidationError(
            f"PreviewField(match={match!r}): expected FieldMatchMode.ANYWHERE or "
            "FieldMatchMode.PATH"
        )
    if match is FieldMatchMode.PATH and "" in instance.name.split("."):
        raise ValidationError(
            f"PreviewField(name={instance.name!r}, match=PATH): a path is keys joined by "
            "single dots, none of them empty"
        )


@attrs.frozen
class PreviewField:
    """One field rule: a key anywhere (the default) or a dotted path from the root.

    Raises:
        ValidationError: the name is empty or not a str, a path has an empty segment, or
            ``match`` is not a ``FieldMatchMode``.
    """

    name: str = attrs.field(validator=_check_field_name)
    match: FieldMatchMode = attrs.field(default=FieldMatchMode.ANYWHERE, validator=_check_match)


def _fields(role: str, value: Any) -> tuple[PreviewField, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(
            f"PreviewConfig({role}={value!r}): expected a list of PreviewField (or of str, "
            "each a key matched anywhere)"
        )
    fields = []
    for item in value:
        field = PreviewField(item) if isinstance(item, str) else item
        if not isinstance(field, PreviewField):
            raise ValidationError(
                f"PreviewConfig({role}=[..., {item!r}, ...]): expected PreviewField or str"
            )
        fields.append(field)
    return tuple(fields)


def _include(value: Any) -> tuple[PreviewField, ...]:
    return _fields("include", value)


def _exclude(value: Any) -> tuple[PreviewField, ...]:
    return _fields("exclude", value)


def _mask(value: Any) -> tuple[PreviewField, ...]:
    return _fields("mask", value)


def _check_mode(_instance: Any, _attribute: Any, mode: Any) -> None:
    if not isinstance(mode, PreviewMode):
        raise ValidationError(
            f"PreviewConfig(mode={mode!r}): expected PreviewMode.INCLUDE_ALL or "
            "PreviewMode.EXCLUDE_ALL"
        )


def _check_mask_string(_instance: Any, _attribute: Any, mask_string: Any) -> None:
    if not isinstance(mask_string, str):
        raise ValidationError(f"PreviewConfig(mask_string={mask_string!r}): expected a str")


def _check_budget(_instance: Any, _attribute: Any, budget: Any) -> None:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 2:
        raise ValidationError(
            f"PreviewConfig(max_preview_bytes={budget!r}): expected an int of at least 2 "
            "(the size of an empty preview, {})"
        )


@attrs.frozen
class PreviewConfig:
    """Which fields a preview keeps, which it masks, and its size in bytes.

    A field is shown when the mode is ``INCLUDE_ALL`` or it (or a field around it) matches
    ``include``, unless it matches ``exclude``, which always wins. A shown field matching
    ``mask`` shows ``mask_string`` instead of its value (its whole subtree). Rules may be
    given as plain strings: keys matched anywhere.

    Raises:
        ValidationError: a value of the wrong type, or ``max_preview_bytes`` below 2.
    """

    mode: PreviewMode = attrs.field(validator=_check_mode)
    include: tuple[PreviewField, ...] = attrs.field(default=(), converter=_include)
    exclude: tuple[PreviewField, ...] = attrs.field(default=(), converter=_exclude)
    mask: tuple[PreviewField, ...] = attrs.field(default=(), converter=_mask)
    mask_string: str = attrs.field(default="***", validator=_check_mask_string)
    max_preview_bytes: int = attrs.field(default=4096, validator=_check_budget)


def preview_size(preview: Any) -> int:
    """Bytes of ``preview`` as compact UTF-8 JSON: the measure ``max_preview_bytes`` bounds."""
    return len(_dumps(preview).encode())


def build_preview(value: Any, config: PreviewConfig) -> dict[str, Any]:
    """A JSON-ready dict of the fields of ``value`` that ``config`` selects, within budget.

    Mappings and lists are walked in their own order (depth first). Values JSON cannot hold
    are shown as text: dates in ISO 8601, bytes as ``"<n bytes>"``, anything else by
    ``str``; non-str keys become their ``str``. A value that is not a mapping shows under
    the key ``"value"`` (which no rule names).

    The budget is kept deterministically: fields are added in walk order while they fit
    (sizes are compact UTF-8 JSON, see :func:`preview_size`). The first one that does not
    fit is cut -- a string to its longest prefix that fits with ``"..."`` appended, a
    mapping or list to the members that fit -- or dropped if not even that fits (numbers,
    booleans and the mask string are never cut), and every field after it is dropped. The
    same value and config always give the same preview.

    Raises:
        ValidationError: ``config`` is not a ``PreviewConfig``.
    """
    if not isinstance(config, PreviewConfig):
        raise ValidationError(f"build_preview(config={config!r}): expected a PreviewConfig")
    walker = _Walker(config)
    included = config.mode is PreviewMode.INCLUDE_ALL
    if isinstance(value, Mapping):
        fitted = walker.mapping(value, (), included, config.max_preview_bytes)
        return fitted.value if isinstance(fitted, _Fitted) else {}
    room = config.max_preview_bytes - len(f'{{"{_ROOT_KEY}":}}')
    fitted = walker.fit(value, (), included, room)
    return {_ROOT_KEY: fitted.value} if isinstance(fitted, _Fitted) else {}


# -- the walk ---------------------------------------------------------------------------


@attrs.frozen
class _Fitted:
    """A (possibly cut) preview of one value, its size, and whether it was cut."""

    value: Any
    size: int
    cut: bool = False


class _Nothing(enum.Enum):
    """Outcomes that add no field: ``NONE_SELECTED`` (walk on) and ``NO_ROOM`` (stop)."""

    NONE_SELECTED = enum.auto()
    NO_ROOM = enum.auto()


_Outcome = _Fitted | _Nothing


@attrs.frozen
class _Rules:
    """One role's fields, indexed for the walk."""

    anywhere: frozenset[str]
    paths: frozenset[tuple[str, ...]]

    @classmethod
    def of(cls, fields: tuple[PreviewField, ...]) -> _Rules:
        anywhere = {f.name for f in fields if f.match is FieldMatchMode.ANYWHERE}
        paths = {tuple(f.name.split(".")) for f in fields if f.match is FieldMatchMode.PATH}
        return cls(frozenset(anywhere), frozenset(paths))

    def matches(self, path: tuple[str, ...]) -> bool:
        return path[-1] in self.anywhere or path in self.paths


class _Walker:
    def __init__(self, config: PreviewConfig) -> None:
        self.include = _Rules.of(config.include)
        self.exclude = _Rules.of(config.exclude)
        self.mask = _Rules.of(config.mask)
        self.mask_string = config.mask_string
        # Paths that lie above an included path: walked in EXCLUDE_ALL mode to reach it.
        self.above_included = frozenset(
            path[:length] for path in self.include.paths for length in range(1, len(path))
        )

    def _may_hold_included(self, path: tuple[str, ...]) -> bool:
        return bool(self.include.anywhere) or path in self.above_included

    def fit(self, value: Any, path: tuple[str, ...], included: bool, budget: int) -> _Outcome:
        if isinstance(value, Mapping):
            return self.mapping(value, path, included, budget)
        if isinstance(value, list | tuple):
            return self.sequence(value, path, included, budget)
        if not included:
            return _Nothing.NONE_SELECTED
        return _scalar(value, budget)

    def mapping(
        self, value: Mapping[Any, Any], path: tuple[str, ...], included: bool, budget: int
    ) -> _Outcome:
        if budget < 2:
            return _Nothing.NO_ROOM
        out: dict[str, Any] = {}
        used, cut = 2, False
        for raw_key, item in value.items():
            key = raw_key if isinstance(raw_key, str) else str(raw_key)
            if key in out:
                continue  # keys that differ only by type (1 and "1") show once
            inner = (*path, key)
            if self.exclude.matches(inner):
                continue
            shown = included or self.include.matches(inner)
            if not shown and not self._may_hold_included(inner):
                continue
            overhead = (1 if out else 0) + preview_size(key) + 1  # comma, "key", colon
            room = budget - used - overhead
            if shown and self.mask.matches(inner):
                fitted: _Outcome = _atomic(self.mask_string, room)
            else:
                fitted = self.fit(item, inner, shown, room) if room > 0 else _Nothing.NO_ROOM
            if fitted is _Nothing.NONE_SELECTED:
                continue
            if fitted is _Nothing.NO_ROOM:
                cut = True
                break
            assert isinstance(fitted, _Fitted)
            out[key] = fitted.value
            used += overhead + fitted.size
            if fitted.cut:
                cut = True
                break
        return self._container(out, used, cut, included)

    def sequence(
        self, value: list[Any] | tuple[Any, ...], path: tuple[str, ...], included: bool, budget: int
    ) -> _Outcome:
        if budget < 2:
            return _Nothing.NO_ROOM
        out: list[Any] = []
        used, cut = 2, False
        for item in value:
            overhead = 1 if out else 0
            room = budget - used - overhead
            fitted = self.fit(item, path, included, room) if room > 0 else _Nothing.NO_ROOM
            if fitted is _Nothing.NONE_SELECTED:
                continue
            if fitted is _Nothing.NO_ROOM:
                cut = True
                break
            assert isinstance(fitted, _Fitted)
            out.append(fitted.value)
            used += overhead + fitted.size
            if fitted.cut:
                cut = True
                break
        return self._container(out, used, cut, included)

    @staticmethod
    def _container(out: Any, used: int, cut: bool, included: bool) -> _Outcome:
        if included or out:
            return _Fitted(out, used, cut)
        # Walked only to reach included fields, and none came out.
        return _Nothing.NO_ROOM if cut else _Nothing.NONE_SELECTED


def _scalar(value: Any, budget: int) -> _Outcome:
    if value is None or isinstance(value, bool):
        return _atomic(value, budget)
    if isinstance(value, int):
        try:
            return _atomic(int(value), budget)
        except ValueError:  # too many digits for str(); the size is what matters here
            return _text(f"<int of {value.bit_length()} bits>", budget)
    if isinstance(value, float):
        finite = math.isfinite(value)
        return _atomic(float(value), budget) if finite else _text(str(value), budget)
    if isinstance(value, str):
        return _text(value, budget)
    if isinstance(value, datetime.date | datetime.time):
        return _text(value.isoformat(), budget)
    if isinstance(value, bytes | bytearray | memoryview):
        return _text(f"<{memoryview(value).nbytes} bytes>", budget)
    return _text(str(value), budget)


def _atomic(value: Any, budget: int) -> _Outcome:
    size = preview_size(value)
    return _Fitted(value, size) if size <= budget else _Nothing.NO_ROOM


def _text(value: str, budget: int) -> _Outcome:
    # Every character takes at least one byte, so a string longer than the budget cannot
    # fit whole, and measuring it is skipped (a 5 MiB string costs nothing here).
    if len(value) + 2 <= budget:
        size = preview_size(value)
        if size <= budget:
            return _Fitted(value, size)
    if preview_size(_ELLIPSIS) > budget:
        return _Nothing.NO_ROOM
    # The longest prefix that fits with the ellipsis: size grows with the prefix length.
    low, high = 0, min(len(value), budget)
    while low < high:
        middle = (low + high + 1) // 2
        if preview_size(value[:middle] + _ELLIPSIS) <= budget:
            low = middle
        else:
            high = middle - 1
    shown = value[:low] + _ELLIPSIS
    return _Fitted(shown, preview_size(shown), cut=True)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
