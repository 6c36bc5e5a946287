"""Plugin hook calls made in a sandbox child, reported to the runner as they happen.

The plugins run where the handler runs, in the child; ``result.hook_events`` lives in the
runner. Each call is sent at once (not at the end of the invocation), so the calls made
before a crash are still recorded. Infos are frozen SDK values and travel pickled; one
that cannot be pickled (a plugin's own object in it) is reported by its ``repr``.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python_testing.hooks import HookEvent

__all__ = ["ForwardingEvents", "decode_hook_event", "encode_hook_event"]


def encode_hook_event(event: HookEvent) -> str:
    try:
        data = pickle.dumps(event)
    except Exception:  # an info holding something pickle cannot carry
        data = pickle.dumps(HookEvent(event.hook, repr(event.info)))
    return base64.b64encode(data).decode()


def decode_hook_event(text: str) -> HookEvent:
    event = pickle.loads(base64.b64decode(text))
    if not isinstance(event, HookEvent):
        raise TypeError(f"the sandbox sent {type(event).__name__} as a hook event")
    return event


class ForwardingEvents(list[HookEvent]):
    """The list a ``HookRecorder`` appends to, sending each event on instead of keeping it."""

    def __init__(self, send: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self._send = send

    def append(self, event: HookEvent) -> None:
        self._send({"op": "hook", "event": encode_hook_event(event)})
