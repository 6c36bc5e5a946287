"""The serdes module: extended-format round trips, the exact wire format, and every handled
bad input raising a SerDesError that names the operation and the type."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_primitives, json_values, serializable_values

from aws_durable_execution_sdk_python.exceptions import (
    ExecutionError,
    SerDesError,
    ValidationError,
)
from aws_durable_execution_sdk_python.serdes import (
    DEFAULT_JSON_SERDES,
    EXTENDED_TYPES_SERDES,
    TYPE_TOKEN,
    VALUE_TOKEN,
    JsonSerDes,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
    deserialize,
    from_envelope,
    register_extended_type,
    serialize,
    to_envelope,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/x/y"
CTX = SerDesContext("op-1", ARN)


def assert_same(actual: Any, expected: Any) -> None:
    """Equality that also checks types all the way down (True == 1, (1,) != [1] is not enough)."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, list | tuple):
        assert len(actual) == len(expected)
        for got, want in zip(actual, expected, strict=True):
            assert_same(got, want)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same(actual[key], expected[key])
    elif isinstance(expected, float | decimal.Decimal):
        assert repr(actual) == repr(expected)  # keeps -0.0 and Decimal("1.50") apart
    elif isinstance(expected, datetime.datetime):
        assert actual == expected
        assert actual.utcoffset() == expected.utcoffset()
    else:
        assert actual == expected


# -- properties -------------------------------------------------------------------------------


@given(serializable_values())
def test_extended_round_trip_keeps_value_and_types(value: Any) -> None:
    data = serialize(None, value, "op-1", ARN)
    assert_same(deserialize(None, data, "op-1", ARN), value)
    assert_same(EXTENDED_TYPES_SERDES.deserialize(data, CTX), value)


@given(serializable_values())
def test_extended_output_is_compact_json(value: Any) -> None:
    data = EXTENDED_TYPES_SERDES.serialize(value, CTX)
    assert data == json.dumps(json.loads(data), separators=(",", ":"))


@given(serializable_values())
def test_non_primitives_are_enveloped(value: Any) -> None:
    decoded = json.loads(EXTENDED_TYPES_SERDES.serialize(value, CTX))
    if SerDes.is_primitive(value):
        assert decoded == value
    else:
        assert isinstance(decoded, dict)
        assert decoded.keys() == {TYPE_TOKEN, VALUE_TOKEN}


@given(json_primitives())
def test_primitives_are_plain_json(value: Any) -> None:
    assert SerDes.is_primitive(value)
    data = EXTENDED_TYPES_SERDES.serialize(value, CTX)
    assert data == json.dumps(value, separators=(",", ":"))
    assert_same(EXTENDED_TYPES_SERDES.deserialize(data, CTX), value)


@given(serializable_values())
def test_envelope_helpers_round_trip(value: Any) -> None:
    assert_same(from_envelope(to_envelope(value)), value)


@given(st.text())
def test_pass_through_is_identity(text: str) -> None:
    serdes = PassThroughSerDes()
    assert serdes.serialize(text, CTX) == text
    assert serdes.deserialize(text, CTX) == text
    assert serialize(serdes, text, "op-1", ARN) == text


@given(json_values())
def test_json_serdes_round_trips(value: Any) -> None:
    data = DEFAULT_JSON_SERDES.serialize(value, CTX)
    assert data == json.dumps(value)
    assert_same(DEFAULT_JSON_SERDES.deserialize(data, CTX), value)
    assert_same(deserialize(JsonSerDes(), data, "op-1", ARN), value)


# -- exact format -----------------------------------------------------------------------------

UTC = datetime.UTC


@pytest.mark.parametrize(
    ("value", "data"),
    [
        ({"a": 1}, '{"t":"m","v":{"a":{"t":"i","v":1}}}'),
        ((1, "a"), '{"t":"t","v":[{"t":"i","v":1},{"t":"s","v":"a"}]}'),
        (decimal.Decimal("1.50"), '{"t":"d","v":"1.50"}'),
        ([1, 2, [3]], "[1,2,[3]]"),
        (None, "null"),
        ("x", '"x"'),
        (True, "true"),
        (1.5, "1.5"),
        ([], "[]"),
        ({}, '{"t":"m","v":{}}'),
        ((), '{"t":"t","v":[]}'),
        (b"hi", '{"t":"B","v":"aGk="}'),
        (
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            '{"t":"u","v":"12345678-1234-5678-1234-567812345678"}',
        ),
        (
            datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
            '{"t":"dt","v":"2024-01-02T03:04:05+00:00"}',
        ),
        (datetime.date(2024, 1, 2), '{"t":"D","v":"2024-01-02"}'),
        (
            (None, True, 1.0, [1]),
            '{"t":"t","v":[{"t":"n","v":null},{"t":"b","v":true},{"t":"f","v":1.0},'
            '{"t":"l","v":[{"t":"i","v":1}]}]}',
        ),
        ([1, (2,)], '{"t":"l","v":[{"t":"i","v":1},{"t":"t","v":[{"t":"i","v":2}]}]}'),
        ({1: "x"}, '{"t":"m","v":{"1":{"t":"s","v":"x"}}}'),
    ],
)
def test_exact_format(value: Any, data: str) -> None:
    assert EXTENDED_TYPES_SERDES.serialize(value, CTX) == data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            '{"t":"dt","v":"2024-01-02T03:04:05Z"}',
            datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        ),
        ('{"t":"f","v":2}', 2.0),
        ('{"t":"m","v":{"1":{"t":"s","v":"x"}}}', {"1": "x"}),
        ('{"t":"i","v":7}', 7),
    ],
)
def test_decodes_other_writers(data: str, expected: Any) -> None:
    assert_same(EXTENDED_TYPES_SERDES.deserialize(data, CTX), expected)


@pytest.mark.parametrize("value", [bytearray(b"ab"), memoryview(b"ab")])
def test_byte_buffers_come_back_as_bytes(value: Any) -> None:
    assert_same(EXTENDED_TYPES_SERDES.deserialize(serialize(None, value, "1", ARN), CTX), b"ab")


@pytest.mark.parametrize(
    ("value", "primitive"),
    [
        (None, True),
        (True, True),
        (1, True),
        (1.5, True),
        ("s", True),
        ([1, [2, ["x", None]]], True),
        ((1,), False),
        ({}, False),
        ([1, {}], False),
        (b"x", False),
    ],
)
def test_is_primitive(value: Any, primitive: bool) -> None:
    assert SerDes.is_primitive(value) is primitive


# -- registered types -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    label: tuple[str, ...]


def _register_point() -> None:
    register_extended_type(
        "test-point",
        Point,
        lambda p: to_envelope({"x": p.x, "label": p.label})[VALUE_TOKEN],
        lambda v: Point(**from_envelope({TYPE_TOKEN: "m", VALUE_TOKEN: v})),
    )


def test_registered_type_round_trips_nested() -> None:
    _register_point()
    _register_point()  # the same tag and class again is allowed
    value = [Point(1, ("a",)), {"p": Point(2, ())}]
    data = serialize(None, value, "op-1", ARN)
    assert json.loads(data)["v"][0] == {
        "t": "test-point",
        "v": {"x": {"t": "i", "v": 1}, "label": {"t": "t", "v": [{"t": "s", "v": "a"}]}},
    }
    assert deserialize(None, data, "op-1", ARN) == value


@pytest.mark.parametrize(
    ("tag", "cls"),
    [("m", Point), ("", Point), ("test-other", dict), ("test-other", bool)],
)
def test_conflicting_registration_is_rejected(tag: str, cls: type) -> None:
    _register_point()
    with pytest.raises(ValidationError):
        register_extended_type(tag, cls, lambda v: v, lambda v: v)


# -- bad inputs -------------------------------------------------------------------------------


class Opaque:
    pass


@dataclasses.dataclass
class Order:
    order_id: str


@pytest.mark.parametrize(
    ("value", "fragments"),
    [
        (set(), ["'set'", "custom SerDes"]),
        (object(), ["'object'"]),
        (Opaque(), ["Opaque'"]),
        (Order("o-1"), ["Order'", "JSON-friendly"]),
        (frozenset({1}), ["'frozenset'"]),
        ({(1, 2): 1}, ["'tuple'", "key"]),
        ({None: 1}, ["'NoneType'", "key"]),
        ({True: 1}, ["'bool'", "key"]),
        ({1: "a", "1": "b"}, ["collide", "'1'"]),
        (float("nan"), ["'float'", "nan"]),
        ([1.0, float("inf")], ["'float'", "inf", "value[1]"]),
        ({"a": [1, {2}]}, ["'set'", "value['a'][1]"]),
        ((1, Opaque()), ["Opaque'", "value[1]"]),
    ],
    ids=repr,
)
def test_unsupported_values(value: Any, fragments: list[str]) -> None:
    with pytest.raises(SerDesError) as caught:
        serialize(None, value, "op-1", ARN, "charge")
    message = str(caught.value)
    assert message.startswith("Cannot serialize result of operation 'charge' (id op-1): ")
    for fragment in fragments:
        assert fragment in message
    assert isinstance(caught.value.__cause__, SerDesError)
    assert not isinstance(caught.value, ExecutionError)


def test_self_containing_value_is_rejected() -> None:
    loop: list[Any] = [1, ()]
    loop.append(loop)
    with pytest.raises(SerDesError, match="contains itself"):
        serialize(None, loop, "op-1", ARN)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ('{"a":1}', "Malformed envelope"),
        ('{"t":"i"}', "Malformed envelope"),
        ('{"v":1}', "Malformed envelope"),
        ('{"t":"i","v":1,"x":2}', "Malformed envelope"),
        ('[{"t":"i","v":1}]', "Malformed envelope"),
        ('{"t":"m","v":{"a":1}}', "Malformed envelope"),
        ('{"t":"l","v":{}}', "Malformed envelope"),
        ('{"t":"i","v":"1"}', "Malformed envelope"),
        ('{"t":"i","v":true}', "Malformed envelope"),
        ('{"t":"n","v":0}', "Malformed envelope"),
        ('{"t":"u","v":"not-a-uuid"}', "Malformed envelope"),
        ('{"t":"d","v":"one"}', "Malformed envelope"),
        ('{"t":"B","v":"!!"}', "Malformed envelope"),
        ('{"t":"dt","v":"yesterday"}', "Malformed envelope"),
        ('{"t":"zz","v":1}', "unknown type tag 'zz'"),
        ('{"t":1,"v":1}', "unknown type tag 1"),
        ("not json", "invalid JSON"),
        ('{"t":"s","v":"a"', "invalid JSON"),
        ("NaN", "invalid JSON"),
        ("[1,Infinity]", "invalid JSON"),
    ],
)
def test_undecodable_data(data: str, fragment: str) -> None:
    with pytest.raises(SerDesError) as caught:
        deserialize(None, data, "op-1", ARN, "charge")
    message = str(caught.value)
    assert message.startswith("Cannot deserialize result of operation 'charge' (id op-1): ")
    assert fragment in message
    assert caught.value.__cause__ is not None


class Exploding(SerDes[Any]):
    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        if value == []:
            raise SerDesError("own words")
        raise ValueError("cannot encode")

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        raise KeyError("missing")


class ReturnsInt(SerDes[Any]):
    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        return 42  # type: ignore[return-value]

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return data


class Recording(SerDes[Any]):
    def __init__(self) -> None:
        self.contexts: list[SerDesContext] = []

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        self.contexts.append(serdes_context)
        return str(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        self.contexts.append(serdes_context)
        return data


@pytest.mark.parametrize(
    ("call", "fragments", "cause"),
    [
        (
            lambda: serialize(Exploding(), Order("o"), "op-1", ARN, "charge"),
            ["Cannot serialize", "Exploding", "ValueError", "cannot encode", "Order'"],
            ValueError,
        ),
        (
            lambda: deserialize(Exploding(), "x", "op-1", ARN, "charge"),
            ["Cannot deserialize", "Exploding", "KeyError", "missing"],
            KeyError,
        ),
        (
            lambda: serialize(ReturnsInt(), "v", "op-1", ARN, "charge"),
            ["ReturnsInt.serialize returned 'int'", "'str'", "must return str"],
            type(None),
        ),
        (
            lambda: serialize(PassThroughSerDes(), {"a": 1}, "op-1", ARN, "charge"),
            ["PassThroughSerDes.serialize returned 'dict'"],
            type(None),
        ),
        (
            lambda: serialize(DEFAULT_JSON_SERDES, {1, 2}, "op-1", ARN, "charge"),
            ["JsonSerDes raised TypeError for a value of type 'set'"],
            TypeError,
        ),
        (
            lambda: deserialize(DEFAULT_JSON_SERDES, "{", "op-1", ARN, "charge"),
            ["JsonSerDes raised JSONDecodeError"],
            json.JSONDecodeError,
        ),
        (
            lambda: serialize(Exploding(), [], "op-1", ARN, "charge"),
            ["Exploding raised SerDesError for a value of type 'list': own words"],
            SerDesError,
        ),
    ],
)
def test_custom_serdes_failures(call: Any, fragments: list[str], cause: type) -> None:
    with pytest.raises(SerDesError) as caught:
        call()
    message = str(caught.value)
    assert "operation 'charge' (id op-1)" in message
    for fragment in fragments:
        assert fragment in message
    assert type(caught.value.__cause__) is cause


def test_operation_without_name_is_named_by_id() -> None:
    with pytest.raises(SerDesError, match=r"^Cannot serialize result of operation \(id 7\): "):
        serialize(None, {1, 2}, "7", ARN)


def test_helpers_pass_the_operation_context() -> None:
    serdes = Recording()
    assert serialize(serdes, 5, "op-9", ARN) == "5"
    assert deserialize(serdes, "5", "op-9", ARN) == "5"
    assert serdes.contexts == [SerDesContext("op-9", ARN)] * 2


def test_context_is_frozen() -> None:
    with pytest.raises(AttributeError):
        CTX.operation_id = "other"  # type: ignore[misc]
