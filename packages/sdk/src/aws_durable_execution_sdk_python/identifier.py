"""Operation ids: deterministic, from an operation's position in its context.

The n-th operation (from 1) of a context gets ``blake2b("<prefix>-<n>")`` (``"<n>"`` at the
root, where there is no prefix), as 64 hex characters; a child context's prefix is its own
operation id. The service keys every checkpoint by this id, so the same code path yields the
same ids on every replay, and histories match those the real service records.
"""

from __future__ import annotations

import hashlib
import threading

import attrs

from aws_durable_execution_sdk_python._model.enums import OperationSubType, OperationType

__all__ = ["OperationIdSequence", "OperationIdentifier", "operation_id"]


def operation_id(prefix: str | None, position: int) -> str:
    raw = f"{prefix}-{position}" if prefix else str(position)
    return hashlib.blake2b(raw.encode()).hexdigest()[:64]


@attrs.frozen
class OperationIdentifier:
    """Where an operation sits: its id, its parent context and its name."""

    operation_id: str
    sub_type: OperationSubType
    parent_id: str | None = None
    name: str | None = None

    @property
    def operation_type(self) -> OperationType:
        return OperationType.from_sub_type(self.sub_type)


class OperationIdSequence:
    """Hands out the ids of one context in call order (thread-safe for map/parallel items)."""

    __slots__ = ("_counter", "_lock", "prefix")

    def __init__(self, prefix: str | None) -> None:
        self.prefix = prefix
        self._counter = 0
        self._lock = threading.Lock()

    def next_id(self) -> str:
        with self._lock:
            self._counter += 1
            position = self._counter
        return operation_id(self.prefix, position)

    def peek_id(self) -> str:
        """The id the next operation will get, without taking it."""
        return operation_id(self.prefix, self._counter + 1)
