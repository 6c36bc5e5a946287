"""The conformance matcher fails when it should, and says where."""

from __future__ import annotations

import datetime
import logging
import random
import re
from pathlib import Path
from typing import Any

import pytest

from .matcher import (
    MatchError,
    load_requirement,
    log_records_for,
    match_history,
    match_logs,
    match_value,
    resolve_variables,
    substitute,
)

NOW = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def _event(event_id: int, event_type: str, **fields: Any) -> dict[str, Any]:
    return {"EventId": event_id, "EventType": event_type, "EventTimestamp": NOW, **fields}


HISTORY = [
    _event(1, "ExecutionStarted", Id="exec", ExecutionStartedDetails={}),
    _event(2, "StepStarted", Id="op-1", SubType="Step", Name="s", StepStartedDetails={}),
    _event(
        3,
        "StepFailed",
        Id="op-1",
        SubType="Step",
        Name="s",
        StepFailedDetails={
            "Error": {"Payload": {"ErrorType": "my.TransientError", "ErrorMessage": "boom"}},
            "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 3},
        },
    ),
    _event(4, "WaitStarted", Id="op-2", WaitStartedDetails={"Duration": 60}),
]


def _listed(event_id: int, event_type: str, **fields: Any) -> dict[str, Any]:
    return {"EventId": event_id, "EventType": event_type, "EventTimestamp": "*", **fields}


def test_matching_history_passes_and_binds() -> None:
    expected = [
        _listed(2, "StepStarted", Id="${ID1}", StepStartedDetails={}),
        _listed(
            3,
            "StepFailed",
            Id="${ID1}",
            StepFailedDetails={
                "Error": {"Payload": {"ErrorType": "${/.*TransientError$/}", "ErrorMessage": "*"}},
                "RetryDetails": {"CurrentAttempt": 1, "NextAttemptDelaySeconds": "${/^[0-5]$/}"},
            },
        ),
        _listed(4, "WaitStarted", Id="${ID2}", WaitStartedDetails={"Duration": 60}),
    ]
    assert match_history(expected, HISTORY) == {"ID1": "op-1", "ID2": "op-2"}


@pytest.mark.parametrize(
    ("listed", "message"),
    [
        pytest.param(
            _listed(4, "WaitStarted", WaitStartedDetails={"Duration": 61}),
            "EventId 4 (WaitStarted) at WaitStartedDetails.Duration: expected 61 (int), got 60",
            id="wrong-value",
        ),
        pytest.param(
            _listed(4, "WaitStarted", WaitStartedDetails={"Duration": "60"}),
            "expected '60' (str), got 60 (int)",
            id="wrong-type",
        ),
        pytest.param(
            _listed(3, "StepStarted"),
            "EventId 3 (StepStarted) at EventType: expected 'StepStarted'",
            id="wrong-event-type",
        ),
        pytest.param(
            _listed(4, "WaitStarted", Name="*"),
            "EventId 4 (WaitStarted) at Name: missing key",
            id="star-needs-key",
        ),
        pytest.param(
            _listed(4, "WaitStarted", WaitSucceededDetails={}),
            "at WaitSucceededDetails: missing key",
            id="empty-dict-needs-key",
        ),
        pytest.param(
            _listed(
                3,
                "StepFailed",
                StepFailedDetails={"Error": {"Payload": {"ErrorType": "${/Permanent/}"}}},
            ),
            "StepFailedDetails.Error.Payload.ErrorType: expected /Permanent/ to match, "
            "got 'my.TransientError'",
            id="regex-mismatch",
        ),
        pytest.param(
            _listed(
                3,
                "StepFailed",
                StepFailedDetails={"RetryDetails": {"NextAttemptDelaySeconds": "${/^[0-2]$/}"}},
            ),
            "NextAttemptDelaySeconds: expected /^[0-2]$/ to match, got '3'",
            id="regex-on-number",
        ),
        pytest.param(
            _listed(4, "WaitStarted", WaitStartedDetails="${/60/}"),
            "expected a string matching /60/",
            id="regex-on-mapping",
        ),
        pytest.param(
            _listed(9, "StepStarted"),
            "EventId 9 (StepStarted): no such event",
            id="missing-event",
        ),
        pytest.param(
            _listed(2, "StepStarted", StepStartedDetails=[]),
            "StepStartedDetails: expected a list, got {}",
            id="list-vs-mapping",
        ),
    ],
)
def test_history_mismatch(listed: dict[str, Any], message: str) -> None:
    with pytest.raises(MatchError, match=re.escape(message)):
        match_history([listed], HISTORY)


def test_binding_mismatch_across_events() -> None:
    expected = [_listed(2, "StepStarted", Id="${ID1}"), _listed(4, "WaitStarted", Id="${ID1}")]
    with pytest.raises(
        MatchError, match=re.escape("${ID1} was bound to 'op-1', here it is 'op-2'")
    ):
        match_history(expected, HISTORY)


def test_every_mismatch_is_reported() -> None:
    expected = [_listed(2, "StepStarted", Name="t"), _listed(4, "WaitStarted", Name="w")]
    with pytest.raises(MatchError) as raised:
        match_history(expected, HISTORY)
    assert len(raised.value.mismatches) == 2


def test_lists_must_have_the_same_length() -> None:
    assert match_value([1, "*"], [1, 2], {}) == []
    assert match_value([1, 2], [1, 2, 3], {}) == [
        "<root>: expected a list of 2 items, got 3: [1, 2, 3]"
    ]
    assert match_value({"a": [1]}, {"a": []}, {}) == ["a: expected a list of 1 items, got 0: []"]
    assert match_value([{"x": 1}], [{"x": 2}], {}) == ["[0].x: expected 1 (int), got 2 (int)"]


def test_values_compare_with_types() -> None:
    assert match_value(None, None, {}) == []
    assert match_value(None, "x", {}) != []
    assert match_value(True, 1, {}) != []
    assert match_value(1, 1.0, {}) != []
    assert match_value({"a": 1}, {"a": 1, "b": 2}, {}) == []  # only the listed keys


def test_variables_are_generated_and_substituted() -> None:
    variables = resolve_variables({"INPUT_1": "${GEN_STR:8}"}, random.Random(1))
    assert re.fullmatch(r"[A-Za-z0-9]{8}", variables["INPUT_1"])
    assert substitute({"a": ["Hello, ${INPUT_1}!", "${ID1}"]}, {"INPUT_1": "x.y"}) == {
        "a": ["Hello, x.y!", "${ID1}"]
    }
    # Inside a /regex/ the value is escaped, so it matches literally.
    assert substitute("/${INPUT_1}/", {"INPUT_1": "x.y"}, in_regex=True) == r"/x\.y/"
    with pytest.raises(ValueError, match="GEN_STR"):
        resolve_variables({"X": "literal"}, random.Random())


def test_load_requirement(tmp_path: Path) -> None:
    path = tmp_path / "9-9.yaml"
    path.write_text(
        "Variables:\n  INPUT_1: ${GEN_STR:5}\nInput: ${INPUT_1}\n"
        "ExpectedResult:\n  ExecutionStatus: SUCCEEDED\n  Result: Hi ${INPUT_1}\n"
        "ExpectedExecutionHistory:\n  - EventId: 2\n    Id: ${ID1}\n"
        "    Name: ${INPUT_1}\n    Payload: '\"${INPUT_1}\"'\n"
        "ExpectedLogs:\n  - match:\n      message: '/${INPUT_1}/'\n"
    )
    requirement = load_requirement(path, random.Random(3))
    value = requirement.variables["INPUT_1"]
    assert requirement.id == "9-9"
    assert requirement.input == value
    assert requirement.result == f"Hi {value}"
    assert requirement.has_result
    # Variables are resolved in the history too; bindings such as ${ID1} stay.
    assert requirement.history == [
        {"EventId": 2, "Id": "${ID1}", "Name": value, "Payload": f'"{value}"'}
    ]
    assert requirement.logs == [{"match": {"message": f"/{re.escape(value)}/"}}]


def test_load_requirement_callback_actions(tmp_path: Path) -> None:
    path = tmp_path / "9-7.yaml"
    path.write_text(
        "Variables:\n  CB: ${GEN_STR:4}\n  P: ${GEN_STR:6}\nInput: ${CB}\n"
        "CallbackActions:\n  - CallbackName: ${CB}\n    Operation: success\n"
        "    Payload: ${P}\n    Delay: 1\n"
        "  - CallbackName: '*'\n    Operation: failure\n    Payload:\n      ErrorType: E\n"
    )
    requirement = load_requirement(path, random.Random(5))
    cb, payload = requirement.variables["CB"], requirement.variables["P"]
    assert requirement.callback_actions == [
        {"CallbackName": cb, "Operation": "success", "Payload": payload, "Delay": 1},
        {"CallbackName": "*", "Operation": "failure", "Payload": {"ErrorType": "E"}},
    ]
    path.write_text("Input:\n")
    assert load_requirement(path).callback_actions == []


def test_empty_result_is_none_and_absent_result_is_not_checked(tmp_path: Path) -> None:
    path = tmp_path / "9-8.yaml"
    path.write_text("Input:\nExpectedResult:\n  ExecutionStatus: FAILED\n  Result:\n")
    requirement = load_requirement(path)
    assert requirement.has_result and requirement.result is None
    assert requirement.expected_status == "FAILED"
    path.write_text("Input:\n")
    assert not load_requirement(path).has_result


RECORDS = [
    {"message": "Greeting step started for: abc", "level": "INFO"},
    {"message": "Greeting step completed with: Hello, abc!", "level": "INFO"},
    {"message": "Greeting step started for: abc", "level": "INFO"},
]


@pytest.mark.parametrize(
    ("entry", "fails"),
    [
        ({"match": {"message": "/started for: abc/"}, "count": 2}, False),
        ({"match": {"message": "/started for: abc/"}, "count": 1}, True),
        ({"match": {"message": "Greeting step started for: abc"}, "count": 2}, False),
        ({"match": {"message": "started for: abc"}, "count": 2}, True),  # exact, not search
        ({"match": {"message": "/nothing/"}}, True),  # default: at least one
        ({"match": {"message": "/Hello/"}, "min_count": 2}, True),
        ({"match": {"message": "/Greeting/"}, "max_count": 2}, True),
        ({"match": {"message": "/Greeting/"}, "min_count": 3, "max_count": 3}, False),
        ({"match": {"level": "ERROR"}, "count": 0}, False),
        ({"match": {"missing_field": "/./"}, "count": 1}, True),
    ],
)
def test_match_logs(entry: dict[str, Any], fails: bool) -> None:
    if fails:
        with pytest.raises(MatchError, match=r"ExpectedLogs\[0\]"):
            match_logs([entry], RECORDS)
    else:
        match_logs([entry], RECORDS)


def test_match_logs_refuses_unsupported_keys() -> None:
    with pytest.raises(ValueError, match="before"):
        match_logs([{"match": {"message": "x"}, "before": 1}], RECORDS)


def test_log_records_are_those_of_the_execution() -> None:
    def record(message: str, **extra: Any) -> logging.LogRecord:
        made = logging.LogRecord("root", logging.INFO, __file__, 1, message, ("x",), None)
        made.__dict__.update(extra)
        return made

    records = [
        record("mine %s", executionArn="arn:1"),
        record("other %s", executionArn="arn:2"),
        record("no arn %s"),
        record("also mine %s", durableExecutionArn="arn:1", operationId="op"),
    ]
    found = log_records_for(records, "arn:1")
    assert [r["message"] for r in found] == ["mine x", "also mine x"]
    assert found[1]["operationId"] == "op"
    assert found[0]["level"] == "INFO"


# -- ExpectedLogs ordering, history bindings, structured records ----------------------------

PLUGIN_RECORDS = [
    {"message": "m", "plugin": "P", "hook": "invocation-start", "first": True},
    {"message": "m", "plugin": "P", "hook": "operation-start", "op": "id-1", "n": 2},
    {"message": "Greeting step running for: abc"},
    {"message": "m", "plugin": "P", "hook": "invocation-end", "status": "SUCCEEDED"},
    {"message": "m", "plugin": "P", "hook": "invocation-start", "first": False},
    {"message": "m", "plugin": "P", "hook": "invocation-end", "status": "PENDING"},
]
START = {"plugin": "P", "hook": "invocation-start"}
FIRST_START = {**START, "first": True}
GREETING = {"message": "/Greeting step/"}


@pytest.mark.parametrize(
    ("entry", "fails"),
    [
        ({"match": GREETING, "after": [FIRST_START]}, False),
        ({"match": GREETING, "after": FIRST_START}, False),  # one map for a list of one
        ({"match": GREETING, "before": [{"hook": "invocation-end"}]}, False),
        ({"match": GREETING, "after": [FIRST_START, {"hook": "operation-start"}]}, False),
        ({"match": GREETING, "after": [{"hook": "invocation-end"}]}, True),
        ({"match": GREETING, "before": [FIRST_START]}, True),
        ({"match": GREETING, "after": [{"hook": "never"}]}, True),  # P must match something
        ({"match": {"hook": "never"}, "count": 0, "after": [{"hook": "never"}]}, True),
        ({"match": {"hook": "never"}, "count": 0, "after": [FIRST_START]}, False),
        # Each matched record needs a P before it: the first end has the first start,
        # the second end the second start (P need not come after every earlier match).
        ({"match": {"hook": "invocation-end"}, "count": 2, "after": [START]}, False),
        # ... but the first end has no replay start before it.
        ({"match": {"hook": "invocation-end"}, "after": [{**START, "first": False}]}, True),
        ({"match": {"hook": "invocation-start"}, "count": 2, "before": [GREETING]}, True),
        ({"match": {"hook": "invocation-start"}, "before": [{"status": "PENDING"}]}, False),
    ],
)
def test_match_logs_ordering(entry: dict[str, Any], fails: bool) -> None:
    if fails:
        with pytest.raises(MatchError, match=r"ExpectedLogs\[0\]"):
            match_logs([entry], PLUGIN_RECORDS)
    else:
        match_logs([entry], PLUGIN_RECORDS)


@pytest.mark.parametrize(
    ("fields", "count"),
    [
        ({"op": "${ID1}"}, 1),
        ({"op": "/^${ID1}$/"}, 1),
        ({"op": "${ID2}"}, 0),
        ({"n": "/^\\d+$/"}, 1),  # numbers are searched as their JSON text
        ({"first": "/^true$/"}, 1),  # so are booleans
        ({"first": "/.*/"}, 2),  # key presence
        ({"first": "true"}, 0),  # exact values keep their type
        ({"status": "/.*/"}, 2),
    ],
)
def test_match_logs_fields(fields: dict[str, Any], count: int) -> None:
    bindings = {"ID1": "id-1", "ID2": "id-2"}
    match_logs([{"match": fields, "count": count}], PLUGIN_RECORDS, bindings)


def test_match_logs_bindings_come_from_the_history() -> None:
    events = [_event(2, "StepStarted", Id="id-1")]
    bindings = match_history([{"EventId": 2, "Id": "${ID1}"}], events)
    entry = {"match": {"op": "${ID1}"}, "count": 1, "after": [{"first": True}]}
    match_logs([entry], PLUGIN_RECORDS, bindings)
    with pytest.raises(ValueError, match="ID9"):
        match_logs([{"match": {"op": "${ID9}"}}], PLUGIN_RECORDS, bindings)
    with pytest.raises(ValueError, match="ID9"):
        match_logs([{"match": {"op": "x"}, "after": [{"op": "/${ID9}/"}]}], PLUGIN_RECORDS)


def test_match_logs_refuses_malformed_ordering() -> None:
    with pytest.raises(ValueError, match="after"):
        match_logs([{"match": {"message": "x"}, "after": ["x"]}], RECORDS)
    with pytest.raises(ValueError, match="within"):
        match_logs([{"match": {"message": "x"}, "within": 1}], RECORDS)


def test_structured_records_carry_their_json_fields() -> None:
    def record(message: str, **extra: Any) -> logging.LogRecord:
        made = logging.LogRecord("conformance", logging.INFO, __file__, 1, message, (), None)
        made.__dict__.update(extra)
        return made

    records = [
        record('{"hook": "operation-end", "name": "greet", "durableExecutionArn": "arn:1"}'),
        record('{"hook": "x", "durableExecutionArn": "arn:2"}'),
        record("{not json", executionArn="arn:1"),
        record('["a list"]', executionArn="arn:1"),
    ]
    found = log_records_for(records, "arn:1")
    assert [r["message"][:2] for r in found] == ['{"', "{n", '["']
    # The JSON's fields win over LogRecord attributes of the same name (name = logger's).
    assert found[0]["name"] == "greet"
    assert found[0]["hook"] == "operation-end"
    assert found[1]["name"] == "conformance"
