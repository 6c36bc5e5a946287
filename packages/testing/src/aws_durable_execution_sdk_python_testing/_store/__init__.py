"""Stores that keep a local server's executions across restarts, behind ``ExecutionStore``.

The in-memory service stays the engine; a store only saves its state after each change and
puts it back into a fresh service on start. ``open_store`` turns the server's ``--store``
option into a store: ``memory`` (none: nothing survives the process) or ``sqlite:PATH``.
"""

from __future__ import annotations

from typing import Protocol

from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store.sqlite import SQLiteStore
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["ExecutionStore", "SQLiteStore", "open_store"]

_SQLITE = "sqlite:"
_FORMS = "'memory' (the default: nothing is kept) or 'sqlite:PATH' (for example sqlite:runs.db)"


class ExecutionStore(Protocol):
    """Where a service's executions survive the process (the server holds its lock)."""

    def load_into(self, service: InMemoryDurableService) -> list[str]:
        """Restore every saved execution (records, operations, history, timers, callback
        ids, the clock's position) into a fresh ``service``; returns their ARNs.

        Executions that were mid-invocation get stale tokens and are queued in
        ``service.ready`` for a new invocation, with those that were waiting for one.
        """
        ...

    def save(self, service: InMemoryDurableService) -> None:
        """Write what changed since the last save (``service.changes``), atomically; the
        first save writes everything the service holds."""
        ...

    def close(self) -> None: ...


def open_store(spec: str) -> ExecutionStore | None:
    """The store ``spec`` names: ``None`` for ``memory``, a ``SQLiteStore`` for ``sqlite:PATH``.

    Raises:
        DurableFunctionsTestError: another spec, an empty path, or a file that cannot be
            used as a store (named, with what to do).
    """
    if spec == "memory":
        return None
    if spec.startswith(_SQLITE):
        path = spec.removeprefix(_SQLITE)
        if not path.strip():
            raise DurableFunctionsTestError(f"store={spec!r}: give the file, as sqlite:PATH")
        return SQLiteStore(path)
    raise DurableFunctionsTestError(f"store={spec!r}: expected {_FORMS}")
