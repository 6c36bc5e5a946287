"""Conformance requirements (YAML) and the matchers that check a run against them.

Matching rules (``shared/conformance/README.md``): ``'*'`` and ``{}`` accept any value
but the key must be present; a whole-string ``${NAME}`` binds on first use and must be equal
wherever it appears again; ``${/regex/}`` is a regex search on the value (numbers are
stringified first); dicts compare only the listed keys; lists must have the same length;
anything else must be equal, types included (``Duration: 60`` is not ``"60"``).
``ExpectedLogs`` entries match log records by fields (exact or ``/regex/``), counted
(``count`` / ``min_count`` / ``max_count``) and ordered (``before`` / ``after``): see
:func:`match_logs`.
"""

from __future__ import annotations

import json
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


def _json_fields(message: str) -> dict[str, Any]:
    """The fields of a message that is a JSON object (a structured log line), else none."""
    if not message.startswith("{"):
        return {}
    try:
        parsed = json.loads(message)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def log_records_for(
    records: Iterable[logging.LogRecord], execution_arn: str
) -> list[dict[str, Any]]:
    """The records that carry ``execution_arn`` (``executionArn`` or ``durableExecutionArn``),
    as JSON-like dicts: ``message``, ``level`` and the record's extra fields.

    A message that is a JSON object is a structured record, as CloudWatch reads it: its
    fields are the record's fields too, over the ``LogRecord`` attributes of the same name
    (``name``, ``module`` ... cannot be passed as extras).
    """
    out: list[dict[str, Any]] = []
    for record in records:
        entry = {k: v for k, v in vars(record).items() if k not in ("msg", "args", "message")}
        entry["message"] = record.getMessage()
        entry["level"] = record.levelname
        entry.update(_json_fields(entry["message"]))
        if execution_arn not in (entry.get("executionArn"), entry.get("durableExecutionArn")):
            continue
        out.append(entry)
    return out


def _log_field_matches(expected: Any, actual: Any) -> bool:
    """Exact (types too), or ``/regex/`` searched in the value as its JSON log line shows it
    (numbers and booleans as JSON: ``2``, ``true``)."""
    if isinstance(expected, str) and len(expected) >= 2 and expected[0] == expected[-1] == "/":
        if not isinstance(actual, str):
            if not (actual is None or isinstance(actual, int | float)):
                return False
            actual = json.dumps(actual)
        return re.search(expected[1:-1], actual) is not None
    return type(expected) is type(actual) and expected == actual


def _bind_fields(
    fields: Mapping[str, Any], bindings: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """Fields with the history's bindings in: a whole ``${ID1}`` is the bound value itself,
    one inside a ``/regex/`` its escaped text. A name the history did not bind is an error."""

    def bind(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        whole = _BINDING.match(value)
        if whole is not None:
            if whole.group(1) not in bindings:
                raise ValueError(f"{where}: ${{{whole.group(1)}}} is not bound by the history")
            return bindings[whole.group(1)]
        regex = len(value) >= 2 and value[0] == value[-1] == "/"

        def replace(found: re.Match[str]) -> str:
            name = found.group(1)
            if name not in bindings:
                raise ValueError(f"{where}: ${{{name}}} is not bound by the history")
            text = str(bindings[name])
            return re.escape(text) if regex else text

        return _VARIABLE.sub(replace, value)

    return {key: bind(value) for key, value in fields.items()}


def _patterns(entry: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """An entry's ``before`` / ``after``: a list of field maps (or one map)."""
    value = entry.get(key, [])
    value = [value] if isinstance(value, Mapping) else value
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValueError(f"{where}: {key!r} must be a list of field maps, got {value!r}")
    return value


def _matching(fields: Mapping[str, Any], records: list[Mapping[str, Any]]) -> list[int]:
    return [
        index
        for index, record in enumerate(records)
        if all(k in record and _log_field_matches(v, record[k]) for k, v in fields.items())
    ]


def match_logs(
    expected_logs: Iterable[Mapping[str, Any]],
    records: list[Mapping[str, Any]],
    bindings: Mapping[str, Any] | None = None,
) -> None:
    """Check each ``ExpectedLogs`` entry: its ``count`` / ``min_count`` / ``max_count``
    (at least one by default) and its ``before`` / ``after`` ordering.

    ``records`` are in the order they were logged. ``after: [P, ...]``: every record the
    entry matches has, for each field map ``P``, a record matching ``P`` logged earlier;
    ``before``: one logged later. A ``P`` that matches no record at all fails the entry
    (even when the entry itself matches none). ``bindings`` are the history's (``${ID1}``).
    Raises ``MatchError`` listing every failed entry; malformed entries raise ``ValueError``.
    """
    bindings = bindings or {}
    mismatches: list[str] = []
    for index, entry in enumerate(expected_logs):
        where = f"ExpectedLogs[{index}]"
        unknown = set(entry) - {"match", "before", "after", *_LOG_COUNT_KEYS}
        if unknown:
            raise ValueError(f"{where}: unsupported keys {sorted(unknown)}")
        fields = _bind_fields(entry["match"], bindings, where)
        order = {
            key: [_bind_fields(p, bindings, where) for p in _patterns(entry, key, where)]
            for key in ("before", "after")
        }
        found = _matching(fields, records)
        count = len(found)
        bounds = {k: entry[k] for k in _LOG_COUNT_KEYS if k in entry} or {"min_count": 1}
        failed = (
            ("count" in bounds and count != bounds["count"])
            or ("min_count" in bounds and count < bounds["min_count"])
            or ("max_count" in bounds and count > bounds["max_count"])
        )
        messages = [r.get("message") for r in records]
        if failed:
            mismatches.append(
                f"{where} {fields!r}: expected {bounds}, found {count} "
                f"matching records; messages were {messages!r}"
            )
        for key, patterns in order.items():
            for pattern in patterns:
                others = _matching(pattern, records)
                if key == "after":
                    bad = [i for i in found if not others or min(others) >= i]
                else:
                    bad = [i for i in found if not others or max(others) <= i]
                if bad or not others:
                    mismatches.append(
                        f"{where} {fields!r}: records {bad} are not {key} a record matching "
                        f"{pattern!r} (those are {others}); messages were {messages!r}"
                    )
    if mismatches:
        raise MatchError(mismatches)
