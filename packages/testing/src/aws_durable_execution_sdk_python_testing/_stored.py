"""Checkpoint payloads written by ``FileSystemSerDes``: recognised for the result views and
the timeline, which show the preview and load the value from its file.

Only steps and contexts (child contexts, map, parallel, ``wait_for_callback``,
``wait_for_condition``) can store one: invoke results and callback answers come from other
functions and systems, whose ``{"file": ...}`` is their own data and is left alone.
"""

from __future__ import annotations

import json

from aws_durable_execution_sdk_python.exceptions import SerDesError
from aws_durable_execution_sdk_python.filesystem_serdes import StoredPayload, parse_payload

__all__ = [
    "STORING_EVENT_PREFIXES",
    "inline_stored",
    "stored_payload",
    "stored_summary",
    "stored_text",
]

# History events of the operations whose results a user's serdes writes.
STORING_EVENT_PREFIXES = ("Step", "Context")


def stored_payload(payload: str | None) -> StoredPayload | None:
    """The ``FileSystemSerDes`` envelope in ``payload``, or None for any other payload."""
    if not payload or not payload.startswith("{"):
        return None
    try:
        return parse_payload(payload)
    except SerDesError:
        return None


def stored_text(payload: str | None) -> str | None:
    """The serialised value inside a ``FileSystemSerDes`` payload (read from its file), or
    None when ``payload`` is no such envelope or its file cannot be read.

    The views then decode the payload itself, so reading a result never raises in a test
    because a file was deleted after the run; the SDK, by contrast, fails the execution
    when it replays such a pointer.
    """
    stored = stored_payload(payload)
    if stored is None:
        return None
    try:
        return stored.read()
    except SerDesError:
        return None


def stored_summary(event_type: str, payload: str | None) -> str | None:
    """How the timeline shows a pointer: ``preview {...}`` or ``file <path>``; None for a
    payload that is no pointer (or an event whose payload no user serdes wrote)."""
    if not event_type.startswith(STORING_EVENT_PREFIXES):
        return None
    stored = stored_payload(payload)
    if stored is None or stored.file is None:
        return None
    if stored.preview is not None:
        shown = json.dumps(stored.preview, ensure_ascii=False)
        return f"preview {shown if len(shown) <= 120 else shown[:117] + '...'}"
    return f"file {stored.file}"


def inline_stored(event_type: str, payload: str) -> str:
    """The serialised value inside an inline ``{"data": ...}`` envelope, else ``payload``."""
    if not event_type.startswith(STORING_EVENT_PREFIXES):
        return payload
    stored = stored_payload(payload)
    return stored.data if stored is not None and stored.data is not None else payload
