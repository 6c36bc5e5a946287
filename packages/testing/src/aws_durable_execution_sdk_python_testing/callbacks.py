"""Answers to callbacks, declared up front: ``run(callbacks={"approval": ...})``.

Each action may carry a ``delay`` in virtual seconds after the callback is created, so it
interleaves exactly with waits and timeouts: a 5 s callback timeout beats a reply delayed
8 s, and a reply after 1 s beats a 5 s wait. Keys match the callback's name, the name of
its ``wait_for_callback`` (whose inner callback is ``"<name> create callback id"``),
``"*"`` for any callback, or ``"/regex/"``. A value is a success payload, an action, a list
of actions, or a function called with the :class:`CreatedCallback` that returns those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

__all__ = [
    "CallbackFailure",
    "CallbackHeartbeat",
    "CallbackSuccess",
    "CallbackTimeout",
    "CreatedCallback",
    "encode_callback_result",
]


@attrs.frozen
class CallbackSuccess:
    """Complete the callback with ``result`` (text as is, other values as JSON)."""

    result: Any = None
    delay: float = 0


@attrs.frozen
class CallbackFailure:
    """Fail the callback with an error, as ``SendDurableExecutionCallbackFailure`` does."""

    error_type: str | None = None
    error_message: str | None = None
    error_data: str | None = None
    stack_trace: list[str] | None = None
    delay: float = 0


@attrs.frozen
class CallbackHeartbeat:
    """Keep the callback alive (resets its heartbeat timeout)."""

    delay: float = 0


@attrs.frozen
class CallbackTimeout:
    """Nobody answers: the callback times out now, as its timeout firing would make it.

    It does not need a timeout configured; the clock does not move to a deadline.
    """

    delay: float = 0


@attrs.frozen
class CreatedCallback:
    """A callback the execution just created, as declared actions see it."""

    callback_id: str
    name: str | None
    operation_id: str
    execution_arn: str
    wait_for_callback_name: str | None = None


Action = CallbackSuccess | CallbackFailure | CallbackHeartbeat | CallbackTimeout
_ACTIONS = (CallbackSuccess, CallbackFailure, CallbackHeartbeat, CallbackTimeout)
ActionSpec = Action | Sequence[Action] | Callable[[CreatedCallback], Any] | Any

_INNER_SUFFIX = "create callback id"


def encode_callback_result(value: Any) -> str | None:
    """What ``SendDurableExecutionCallbackSuccess`` carries: text as is, else JSON."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _matches(key: str, callback: CreatedCallback) -> bool:
    if key == "*":
        return True
    names = [n for n in (callback.name, callback.wait_for_callback_name) if n]
    if len(key) > 1 and key.startswith("/") and key.endswith("/"):
        pattern = re.compile(key[1:-1])
        return any(pattern.search(n) for n in names)
    return key in names


def wait_for_callback_name(name: str | None) -> str | None:
    """``"approval create callback id"`` belongs to ``wait_for_callback(name="approval")``."""
    if name is None or not name.endswith(_INNER_SUFFIX):
        return None
    return name[: -len(_INNER_SUFFIX)].rstrip() or None


def actions_for(spec: Mapping[str, ActionSpec] | None, callback: CreatedCallback) -> list[Action]:
    """The actions declared for ``callback`` (the first matching key wins)."""
    if not spec:
        return []
    for key, value in spec.items():
        if _matches(key, callback):
            return _normalise(value, callback)
    return []


def _normalise(value: Any, callback: CreatedCallback) -> list[Action]:
    if isinstance(value, _ACTIONS):
        return [value]
    if callable(value):
        produced = value(callback)
        return [] if produced is None else _normalise(produced, callback)
    if isinstance(value, list | tuple) and all(isinstance(v, _ACTIONS) for v in value):
        return list(value)
    return [CallbackSuccess(value)]
