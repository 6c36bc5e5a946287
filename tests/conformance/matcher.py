"""Conformance requirements (YAML) and the matchers that check a run against them.

Matching rules (``shared/conformance/README.md``): ``'*'`` and ``{}`` accept any value
but the key must be present; a whole-string ``${NAME}`` binds on first use and must be equal
wherever it appears again; ``${/regex/}`` is a regex search on the value (numbers are
stringified first); dicts compare only the listed keys; lists must have the same length;
anything else must be equal, types included (``Duration: 60`` is not ``"60"``).
"""

from __future__ import annotations

import logging
import random
import re
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

__all__ = [
    "MatchError",
    "Requirement",
    "load_requirement",
    "log_records_for",
    "match_history",
    "match_logs",
    "match_value",
    "resolve_variables",
    "substitute",
]

_BINDING = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_REGEX = re.compile(r"^\$\{/(.*)/\}$", re.DOTALL)
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_GEN_STR = re.compile(r"^\$\{GEN_STR:(\d+)\}$")
_LOG_COUNT_KEYS = ("count", "min_count", "max_count")


class MatchError(AssertionError):
    """Every mismatch found, one per line (event id, path, expected vs actual)."""

    def __init__(self, mismatches: list[str]) -> None:
        self.mismatches = mismatches
        super().__init__("\n".join(mismatches))


@attrs.frozen
class Requirement:
    """One requirement file with its ``Variables`` resolved and substituted."""

    id: str
    path: Path
    description: str
    variables: dict[str, str]
    input: Any
    expected_result: dict[str, Any] | None
    history: list[dict[str, Any]]
    logs: list[dict[str, Any]] | None
    async_invoke: bool
    callback_actions: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def expected_status(self) -> str | None:
        return self.expected_result.get("ExecutionStatus") if self.expected_result else None

    @property
    def has_result(self) -> bool:
        return self.expected_result is not None and "Result" in self.expected_result

    @property
    def result(self) -> Any:
        return self.expected_result.get("Result") if self.expected_result else None


def resolve_variables(spec: Mapping[str, Any] | None, rng: random.Random) -> dict[str, str]:
    """``{NAME: '${GEN_STR:n}'}`` -> ``{NAME: <n random letters and digits>}``."""
    out: dict[str, str] = {}
    for name, value in (spec or {}).items():
        generated = _GEN_STR.match(value) if isinstance(value, str) else None
        if generated is None:
            raise ValueError(f"variable {name}={value!r}: only ${{GEN_STR:n}} is supported")
        alphabet = string.ascii_letters + string.digits
        out[name] = "".join(rng.choice(alphabet) for _ in range(int(generated.group(1))))
    return out


def substitute(value: Any, variables: Mapping[str, str], *, in_regex: bool = False) -> Any:
    """Replace ``${NAME}`` for the names in ``variables`` inside every string of ``value``.

    With ``in_regex``, values land inside ``/.../`` patterns escaped, so they match literally.
    Other ``${...}`` (bindings such as ``${ID1}``, regexes) are left alone.
    """
    if isinstance(value, str):
        regex = in_regex and len(value) >= 2 and value.startswith("/") and value.endswith("/")

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in variables:
                return found.group(0)
            return re.escape(variables[name]) if regex else variables[name]

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: substitute(v, variables, in_regex=in_regex) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables, in_regex=in_regex) for v in value]
    return value


def load_requirement(path: Path | str, rng: random.Random | None = None) -> Requirement:
    """Load a requirement file; ``rng`` draws the ``${GEN_STR:n}`` values."""
    path = Path(path)
    data = yaml.safe_load(path.read_text())
    variables = resolve_variables(data.get("Variables"), rng or random.Random())
    expected = data.get("ExpectedResult")
    logs = data.get("ExpectedLogs")
    return Requirement(
        id=path.stem,
        path=path,
        description=data.get("description", ""),
        variables=variables,
        input=substitute(data.get("Input"), variables),
        expected_result=substitute(expected, variables) if expected is not None else None,
        history=substitute(list(data.get("ExpectedExecutionHistory") or []), variables),
        logs=substitute(logs, variables, in_regex=True) if logs is not None else None,
        async_invoke=bool(data.get("AsyncInvoke", False)),
        callback_actions=substitute(list(data.get("CallbackActions") or []), variables),
    )


# -- values and histories -------------------------------------------------------------------


def _show(path: str) -> str:
    return path or "<root>"


def match_value(expected: Any, actual: Any, bindings: dict[str, Any], path: str = "") -> list[str]:
    """Mismatches between ``expected`` (a requirement fragment) and ``actual``; binds names."""
    if expected == "*" or (isinstance(expected, dict) and not expected):
        return []
    if isinstance(expected, str):
        binding = _BINDING.match(expected)
        if binding is not None:
            name = binding.group(1)
            if name not in bindings:
                bindings[name] = actual
                return []
            bound = bindings[name]
            if type(bound) is type(actual) and bound == actual:
                return []
            return [f"{_show(path)}: ${{{name}}} was bound to {bound!r}, here it is {actual!r}"]
        pattern = _REGEX.match(expected)
        if pattern is not None:
            return _match_regex(pattern.group(1), actual, path)
    if isinstance(expected, dict):
        if not isinstance(actual, Mapping):
            return [f"{_show(path)}: expected a mapping, got {actual!r}"]
        mismatches: list[str] = []
        for key, sub in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                mismatches.append(f"{where}: missing key (expected {sub!r})")
            else:
                mismatches += match_value(sub, actual[key], bindings, where)
        return mismatches
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{_show(path)}: expected a list, got {actual!r}"]
        if len(expected) != len(actual):
            return [
                f"{_show(path)}: expected a list of {len(expected)} items, "
                f"got {len(actual)}: {actual!r}"
            ]
        mismatches = []
        for index, (sub, item) in enumerate(zip(expected, actual, strict=True)):
            mismatches += match_value(sub, item, bindings, f"{path}[{index}]")
        return mismatches
    if type(expected) is type(actual) and expected == actual:
        return []
    return [
        f"{_show(path)}: expected {expected!r} ({type(expected).__name__}), "
        f"got {actual!r} ({type(actual).__name__})"
    ]


def _match_regex(pattern: str, actual: Any, path: str) -> list[str]:
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        actual = str(actual)
    if not isinstance(actual, str):
        return [f"{_show(path)}: expected a string matching /{pattern}/, got {actual!r}"]
    if re.search(pattern, actual) is None:
        return [f"{_show(path)}: expected /{pattern}/ to match, got {actual!r}"]
    return []


def match_history(
    expected_events: Iterable[Mapping[str, Any]],
    actual_events: list[Mapping[str, Any]],
    bindings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Match each listed event with the actual event of the same ``EventId``.

    Returns the bindings made (``${ID1}`` ...). Raises ``MatchError`` listing every mismatch.
    """
    bindings = {} if bindings is None else bindings
    by_id = {event.get("EventId"): event for event in actual_events}
    mismatches: list[str] = []
    for expected in expected_events:
        event_id = expected.get("EventId")
        label = f"EventId {event_id} ({expected.get('EventType', '?')})"
        actual = by_id.get(event_id)
        if actual is None:
            mismatches.append(f"{label}: no such event; history has EventIds {sorted(by_id)}")
            continue
        for line in match_value(dict(expected), actual, bindings):
            mismatches.append(f"{label} at {line}")
    if mismatches:
        raise MatchError(mismatches)
    return bindings


# -- logs ------------------------------------------------------------------------------------


def log_records_for(
    records: Iterable[logging.LogRecord], execution_arn: str
) -> list[dict[str, Any]]:
    """The records that carry ``execution_arn`` (``executionArn`` or ``durableExecutionArn``),
    as JSON-like dicts: ``message``, ``level`` and the record's extra fields."""
    out: list[dict[str, Any]] = []
    for record in records:
        fields = vars(record)
        if execution_arn not in (fields.get("executionArn"), fields.get("durableExecutionArn")):
            continue
        entry = {k: v for k, v in fields.items() if k not in ("msg", "args", "message")}
        entry["message"] = record.getMessage()
        entry["level"] = record.levelname
        out.append(entry)
    return out


def _log_field_matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, str) and len(expected) >= 2 and expected[0] == expected[-1] == "/":
        return isinstance(actual, str) and re.search(expected[1:-1], actual) is not None
    return type(expected) is type(actual) and expected == actual


def match_logs(
    expected_logs: Iterable[Mapping[str, Any]], records: list[Mapping[str, Any]]
) -> None:
    """Check each ``ExpectedLogs`` entry's ``count`` / ``min_count`` / ``max_count``.

    Raises ``MatchError`` listing every failed entry. ``before`` / ``after`` are not
    supported yet and raise ``ValueError`` rather than pass unchecked.
    """
    mismatches: list[str] = []
    for index, entry in enumerate(expected_logs):
        unknown = set(entry) - {"match", *_LOG_COUNT_KEYS}
        if unknown:
            raise ValueError(f"ExpectedLogs[{index}]: unsupported keys {sorted(unknown)}")
        fields = entry["match"]
        found = [
            r
            for r in records
            if all(k in r and _log_field_matches(v, r[k]) for k, v in fields.items())
        ]
        count = len(found)
        bounds = {k: entry[k] for k in _LOG_COUNT_KEYS if k in entry} or {"min_count": 1}
        failed = (
            ("count" in bounds and count != bounds["count"])
            or ("min_count" in bounds and count < bounds["min_count"])
            or ("max_count" in bounds and count > bounds["max_count"])
        )
        if failed:
            messages = [r.get("message") for r in records]
            mismatches.append(
                f"ExpectedLogs[{index}] {dict(fields)!r}: expected {bounds}, found {count} "
                f"matching records; messages were {messages!r}"
            )
    if mismatches:
        raise MatchError(mismatches)
