"""Serialisation of checkpointed values: the ``SerDes`` interface, the built-in codecs and the
helpers every operation calls (values layer, below the operations).

The default, ``ExtendedTypeSerDes``, writes plain JSON for JSON-native data and a tagged
envelope (``{"t": tag, "v": value}``) otherwise, so replay returns the types the first run saw.
"""

from __future__ import annotations

import abc
import base64
import datetime
import decimal
import json
import math
import uuid
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

import attrs

from aws_durable_execution_sdk_python.exceptions import SerDesError, ValidationError

__all__ = [
    "DEFAULT_JSON_SERDES",
    "EXTENDED_TYPES_SERDES",
    "TYPE_TOKEN",
    "VALUE_TOKEN",
    "ExtendedTypeSerDes",
    "JsonSerDes",
    "PassThroughSerDes",
    "SerDes",
    "SerDesContext",
    "deserialize",
    "from_envelope",
    "register_extended_type",
    "serialize",
    "to_envelope",
]

T = TypeVar("T")

TYPE_TOKEN = "t"
VALUE_TOKEN = "v"

_FIX_HINT = "Return JSON-friendly data or pass a custom SerDes in the operation's config."
_TOO_DEEP = f"the value is nested too deeply or contains itself. {_FIX_HINT}"


@attrs.frozen
class SerDesContext:
    """Which operation a value belongs to, for SerDes that store data per operation."""

    operation_id: str = ""
    durable_execution_arn: str = ""


class SerDes(abc.ABC, Generic[T]):
    """Turns an operation's value into the string checkpointed for it, and back.

    Pass an instance in an operation's config to control how its data is stored. Methods may
    raise anything: the engine re-raises it as a ``SerDesError`` naming the operation.
    """

    @abc.abstractmethod
    def serialize(self, value: T, serdes_context: SerDesContext) -> str | None:
        """Return the string to checkpoint for ``value``.

        ``None`` is accepted for a ``None`` value only: the checkpoint then carries no
        payload, and reading it back gives ``None`` without calling ``deserialize``.
        """

    @abc.abstractmethod
    def deserialize(self, data: str, serdes_context: SerDesContext) -> T:
        """Rebuild the value from a checkpointed string."""

    @staticmethod
    def is_primitive(obj: object) -> bool:
        """Whether ``obj`` is JSON as is: None, str, int, float, bool, or lists of those."""
        if obj is None or isinstance(obj, str | int | float):
            return True
        if isinstance(obj, list):
            return all(SerDes.is_primitive(item) for item in obj)
        return False


class PassThroughSerDes(SerDes[str]):
    """Stores a string unchanged; the default for callback results, which arrive as text."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


class JsonSerDes(SerDes[Any]):
    """Plain ``json.dumps``/``json.loads``; the default for invoke payloads, which functions
    in any language may read. Errors are json's own (the helpers wrap them).

    NaN and infinity are refused (``ValueError``): ``json.dumps`` would write ``NaN``, which
    is not JSON and which other languages' parsers reject.
    """

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        try:
            return json.dumps(value, allow_nan=False)
        except ValueError as error:
            where = _non_finite_path(value)
            if where is None:
                raise  # a circular reference or an int too long to print: json says which
            raise ValueError(
                f"NaN and infinity are not valid JSON (found at {where}); "
                "return None or a string instead"
            ) from error

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        return json.loads(data)


class ExtendedTypeSerDes(SerDes[Any]):
    """The default: plain JSON for primitives, a ``{"t": tag, "v": value}`` envelope otherwise.

    Raises:
        SerDesError: an unsupported type or a non-finite float on the way in; invalid JSON,
            a malformed envelope or an unknown tag on the way out.
    """

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str:
        try:
            primitive = SerDes.is_primitive(value)
        except RecursionError as error:
            raise SerDesError(_TOO_DEEP) from error
        if not primitive:
            return _dumps(to_envelope(value))
        try:
            return _dumps(value)
        except ValueError as error:
            # A NaN/inf float (or an int too long to print): enveloping names the element.
            to_envelope(value)
            raise SerDesError(f"cannot write the value as JSON: {error}. {_FIX_HINT}") from error

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        try:
            obj = json.loads(data, parse_constant=_reject_constant)
        except ValueError as error:  # JSONDecodeError is a ValueError
            raise SerDesError(f"invalid JSON: {error}") from error
        return obj if SerDes.is_primitive(obj) else from_envelope(obj)


# -- the extended codec table -------------------------------------------------------------


@attrs.frozen
class _TypeCodec:
    tag: str
    types: tuple[type[Any], ...]
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


# One table keyed by tag. Encoding finds a value's tag along its MRO, so the most specific
# class wins (bool over int, datetime over date, a registered subclass over its base)
# whatever the registration order.
_CODECS: dict[str, _TypeCodec] = {}
_TAG_BY_TYPE: dict[type[Any], str] = {}


def register_extended_type(
    tag: str, cls: type, encode: Callable[[Any], Any], decode: Callable[[Any], Any]
) -> None:
    """Teach ``ExtendedTypeSerDes`` one more type, written as ``{"t": tag, "v": encode(obj)}``.

    ``encode`` returns JSON data; it should ``to_envelope`` nested values so they keep their
    types, and ``decode`` rebuild them with ``from_envelope``. Re-registering the same tag and
    class replaces the codec.

    Raises:
        ValidationError: the tag is empty, or the tag or the class is taken by another.
    """
    if not isinstance(tag, str) or not tag:
        raise ValidationError(f"register_extended_type: tag must be a non-empty str, got {tag!r}")
    existing = _CODECS.get(tag)
    if existing is not None and existing.types != (cls,):
        taken_by = ", ".join(_type_name(t) for t in existing.types)
        raise ValidationError(f"register_extended_type: tag {tag!r} is taken by {taken_by}")
    owner = _TAG_BY_TYPE.get(cls)
    if owner is not None and owner != tag:
        raise ValidationError(
            f"register_extended_type: {_type_name(cls)} already has the tag {owner!r}"
        )
    _CODECS[tag] = _TypeCodec(tag, (cls,), encode, decode)
    _TAG_BY_TYPE[cls] = tag


def to_envelope(value: Any) -> dict[str, Any]:
    """The JSON-ready envelope of ``value``, every nested element enveloped too.

    Raises:
        SerDesError: ``value`` holds a type with no codec, a non-finite float or a bad key.
    """
    try:
        return _encode(value)
    except _EncodeError as error:
        raise SerDesError(error.message()) from error.__cause__
    except RecursionError as error:
        raise SerDesError(_TOO_DEEP) from error


def from_envelope(obj: Any) -> Any:
    """Rebuild a value from its (already JSON-decoded) envelope.

    Raises:
        SerDesError: ``obj`` is not an envelope, its tag is unknown or its value is wrong.
    """
    if not isinstance(obj, dict) or obj.keys() != {TYPE_TOKEN, VALUE_TOKEN}:
        got = repr(obj) if len(repr(obj)) <= 80 else repr(obj)[:77] + "..."
        raise SerDesError(
            f"Malformed envelope: expected an object with exactly the keys {TYPE_TOKEN!r} "
            f"and {VALUE_TOKEN!r}, got {got}"
        )
    tag = obj[TYPE_TOKEN]
    codec = _CODECS.get(tag) if isinstance(tag, str) else None
    if codec is None:
        raise SerDesError(
            f"unknown type tag {tag!r} in envelope; custom tags must be registered with "
            "register_extended_type before their data is deserialised"
        )
    try:
        return codec.decode(obj[VALUE_TOKEN])
    except SerDesError:
        raise
    except Exception as error:
        raise SerDesError(
            f"Malformed envelope: bad value for tag {tag!r} ({type(error).__name__}: {error})"
        ) from error


class _EncodeError(Exception):
    """Carries the failing element's path outwards, so successful encoding pays nothing."""

    def __init__(self, problem: str, hint: str = _FIX_HINT) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.path: list[str] = []  # innermost step first

    def message(self) -> str:
        steps = self.path[::-1]
        if len(steps) > 12:
            steps = [*steps[:12], "..."]
        where = f" at value{''.join(steps)}" if steps else ""
        return f"{self.problem}{where}. {self.hint}"


def _encode(value: Any) -> dict[str, Any]:
    tag = next(filter(None, map(_TAG_BY_TYPE.get, type(value).__mro__)), None)
    if tag is None:
        raise _EncodeError(f"unsupported type {_type_name(type(value))!r}")
    codec = _CODECS[tag]
    try:
        encoded = codec.encode(value)
    except (_EncodeError, RecursionError):
        raise
    except Exception as error:  # only registered codecs get here
        raise _EncodeError(
            f"encoding type {_type_name(type(value))!r} with tag {codec.tag!r} failed "
            f"({type(error).__name__}: {error})"
        ) from error
    return {TYPE_TOKEN: codec.tag, VALUE_TOKEN: encoded}


def _encode_float(value: float) -> float:
    if not math.isfinite(value):
        raise _EncodeError(
            f"unsupported value {value!r} of type 'float'",
            "NaN and infinity are not valid JSON: return None or a string instead, or pass "
            "a custom SerDes in the operation's config.",
        )
    return float(value)


def _encode_items(items: Iterable[Any]) -> list[dict[str, Any]]:
    encoded = []
    for index, item in enumerate(items):
        try:
            encoded.append(_encode(item))
        except _EncodeError as error:
            error.path.append(f"[{index}]")
            raise
    return encoded


def _encode_dict(mapping: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    encoded: dict[str, dict[str, Any]] = {}
    for key, item in mapping.items():
        if isinstance(key, str):
            name = key
        elif isinstance(key, int) and not isinstance(key, bool):
            name = str(int(key))
        else:
            raise _EncodeError(
                f"unsupported dict key {key!r} of type {_type_name(type(key))!r}",
                "Use str or int keys, or pass a custom SerDes in the operation's config.",
            )
        if name in encoded:  # an int key and a str key with the same digits would merge
            raise _EncodeError(
                f"dict keys collide as {name!r} once int keys become strings",
                "Use keys of one type, or pass a custom SerDes in the operation's config.",
            )
        try:
            encoded[name] = _encode(item)
        except _EncodeError as error:
            error.path.append(f"[{key!r}]")
            raise
    return encoded


def _expect(value: Any, kind: type[Any] | tuple[type[Any], ...], tag: str) -> Any:
    # JSON true/false load as bool, an int subclass: keep them out of 'i' and 'f'.
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise SerDesError(
        f"Malformed envelope: tag {tag!r} cannot hold a {_type_name(type(value))!r} value"
    )


def _decode_datetime(value: Any) -> datetime.datetime:
    text: str = _expect(value, str, "dt")
    if text.endswith(("Z", "z")):  # as other SDKs and JavaScript's toISOString() write it
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text)


def _decoder(tag: str, kind: type[Any], build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: build(_expect(value, kind, tag))


for _codec in (
    _TypeCodec("n", (type(None),), lambda v: None, _decoder("n", type(None), lambda v: v)),
    _TypeCodec("s", (str,), lambda v: v, _decoder("s", str, lambda v: v)),
    _TypeCodec("b", (bool,), bool, _decoder("b", bool, lambda v: v)),
    _TypeCodec("i", (int,), int, _decoder("i", int, lambda v: v)),
    _TypeCodec("f", (float,), _encode_float, lambda v: float(_expect(v, (int, float), "f"))),
    _TypeCodec(
        "B",
        (bytes, bytearray, memoryview),
        lambda v: base64.b64encode(memoryview(v).tobytes()).decode("ascii"),
        _decoder("B", str, lambda v: base64.b64decode(v, validate=True)),
    ),
    _TypeCodec("u", (uuid.UUID,), str, _decoder("u", str, uuid.UUID)),
    _TypeCodec("d", (decimal.Decimal,), str, _decoder("d", str, decimal.Decimal)),
    _TypeCodec("dt", (datetime.datetime,), lambda v: v.isoformat(), _decode_datetime),
    _TypeCodec(
        "D",
        (datetime.date,),
        lambda v: v.isoformat(),
        _decoder("D", str, datetime.date.fromisoformat),
    ),
    _TypeCodec(
        "t", (tuple,), _encode_items, _decoder("t", list, lambda v: tuple(map(from_envelope, v)))
    ),
    _TypeCodec(
        "l", (list,), _encode_items, _decoder("l", list, lambda v: list(map(from_envelope, v)))
    ),
    _TypeCodec(
        "m",
        (dict,),
        _encode_dict,
        _decoder("m", dict, lambda v: {k: from_envelope(i) for k, i in v.items()}),
    ),
):
    _CODECS[_codec.tag] = _codec
    _TAG_BY_TYPE.update(dict.fromkeys(_codec.types, _codec.tag))
del _codec


def _dumps(obj: Any) -> str:
    try:
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)
    except TypeError as error:  # a registered encoder returned something JSON cannot hold
        raise SerDesError(f"cannot write the value as JSON: {error}. {_FIX_HINT}") from error


def _non_finite_path(value: Any) -> str | None:
    """Where the first NaN/infinity sits in JSON-like data, e.g. ``value['a'][1]``."""
    pending: list[tuple[str, Any]] = [("value", value)]
    seen: set[int] = set()
    while pending:
        path, item = pending.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return path
            continue
        if not isinstance(item, dict | list | tuple) or id(item) in seen:
            continue
        seen.add(id(item))
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        # Reversed onto the stack, so the first element in order is reported.
        pending.extend((f"{path}[{key!r}]", inner) for key, inner in reversed(list(pairs)))
    return None


def _reject_constant(name: str) -> Any:
    raise SerDesError(f"invalid JSON: {name} is not a JSON value")


def _type_name(cls: type[Any]) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


# -- singletons and the engine's helpers --------------------------------------------------

DEFAULT_JSON_SERDES = JsonSerDes()
EXTENDED_TYPES_SERDES = ExtendedTypeSerDes()


def serialize(
    serdes: SerDes[Any] | None,
    value: Any,
    operation_id: str,
    durable_execution_arn: str,
    operation_name: str | None = None,
    *,
    subject: str | None = None,
) -> str | None:
    """Serialise an operation's value with ``serdes`` (extended types when None).

    Returns ``None`` only when a custom SerDes returned ``None`` for a ``None`` value: the
    operation then checkpoints no payload (docs/decisions.md, "Lenient where existing code
    has one obvious meaning"). ``subject`` names the value in messages (default: the
    operation's result, e.g. ``"the payload of invoke 'charge' (id 1a2b) to 'billing'"``).

    Raises:
        SerDesError: the SerDes failed or returned a non-str. It names the operation and the
            type, is chained from the original error and is never wrapped.
    """
    codec: SerDes[Any] = EXTENDED_TYPES_SERDES if serdes is None else serdes
    value_type = _type_name(type(value))
    try:
        data = codec.serialize(value, SerDesContext(operation_id, durable_execution_arn))
    except Exception as error:
        detail = _explain(codec, error, f" for a value of type {value_type!r}")
        raise _failure("serialize", operation_id, operation_name, subject, detail) from error
    if data is None and value is None:
        return None
    if not isinstance(data, str):
        must = "it must return str (or None for a None value)"
        detail = (
            f"{type(codec).__name__}.serialize returned {_type_name(type(data))!r} for a value "
            f"of type {value_type!r}; {must}."
        )
        raise _failure("serialize", operation_id, operation_name, subject, detail)
    return data


def deserialize(
    serdes: SerDes[Any] | None,
    data: str,
    operation_id: str,
    durable_execution_arn: str,
    operation_name: str | None = None,
    *,
    subject: str | None = None,
) -> Any:
    """Rebuild an operation's value with ``serdes`` (extended types when None).

    Raises:
        SerDesError: the SerDes failed. It names the operation, is chained from the original
            error and is never wrapped.
    """
    codec: SerDes[Any] = EXTENDED_TYPES_SERDES if serdes is None else serdes
    try:
        return codec.deserialize(data, SerDesContext(operation_id, durable_execution_arn))
    except Exception as error:
        detail = _explain(codec, error, "")
        raise _failure("deserialize", operation_id, operation_name, subject, detail) from error


def _explain(codec: SerDes[Any], error: Exception, subject: str) -> str:
    # The extended codec's own errors already name the type and the fix.
    if isinstance(error, SerDesError) and isinstance(codec, ExtendedTypeSerDes):
        return str(error)
    return f"{type(codec).__name__} raised {type(error).__name__}{subject}: {error}"


def _failure(
    verb: str, operation_id: str, operation_name: str | None, subject: str | None, detail: str
) -> SerDesError:
    if subject is None:
        named = f"{operation_name!r} " if operation_name else ""
        subject = f"result of operation {named}(id {operation_id})"
    return SerDesError(f"Cannot {verb} {subject}: {detail}")
