"""``SQLiteStore``: the in-memory service's executions kept in one SQLite file.

Standard library ``sqlite3``, one connection guarded by a lock (the server's threads share
it), WAL journal. A save writes only what changed since the last one (the service's
``ChangeTracker``): the execution's row upserted, its operations stored since then upserted
by id, its new history events appended, its live timers replaced, all in one transaction.
So saving after each of N checkpoints costs O(changes), never O(N).

The connection holds SQLite's exclusive lock for its whole life (``locking_mode`` is
``EXCLUSIVE``): a second store, in this process or another, on the same file is refused at
once. Two servers resuming the same executions would invoke each of them twice. The lock
is the operating system's, so a server that is killed leaves no stale lock behind.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

from aws_durable_execution_sdk_python.lambda_service import OperationType
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store.restore import (
    SavedExecution,
    callbacks_of,
    restore,
    saved_timers,
)
from aws_durable_execution_sdk_python_testing._store.snapshot import (
    CREATION_FIELDS,
    SavedCallback,
    SavedTimer,
    decode_event,
    decode_operation,
    encode_event,
    encode_operation,
    encode_record,
)
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = ["SCHEMA_VERSION", "SQLiteStore"]

#: Bumped whenever a table or a saved dict changes shape; another version is refused.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL,
    operation_id TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (arn, operation_id)
);
CREATE TABLE events (
    arn TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (arn, event_id)
) WITHOUT ROWID;
CREATE TABLE timers (
    arn TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (arn, seq)
) WITHOUT ROWID;
CREATE TABLE callbacks (
    callback_id TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX callbacks_by_arn ON callbacks (arn);
"""
_TABLES = frozenset({"meta", "executions", "operations", "events", "timers", "callbacks"})
_CLOCK = "clock"
_VERSION = "schema_version"

# sqlite3's message fragment -> (what happened to the file, what to do).
_EXPLAINED = {
    "unable to open": ("cannot be opened", "check that its directory exists and is writable"),
    "readonly": ("cannot be written", "check the file's and its directory's permissions"),
    "locked": (
        "is in use",
        "another durable-local server (or store) has it open: stop it, or use another file",
    ),
    "busy": (
        "is in use",
        "another durable-local server (or store) has it open: stop it, or use another file",
    ),
    "not a database": (
        "is not a SQLite database",
        "point --store at a new file, or at one a durable-local server created",
    ),
    "malformed": ("is corrupt", "move it away (keep it for a bug report) and use a new file"),
    "disk I/O": ("cannot be read or written", "check the disk and the file"),
    "full": ("cannot be written: the disk is full", "free some space"),
    "closed": ("is closed", "the server closed its store; open a new one"),
}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


class SQLiteStore:
    """Executions, histories, timers and callback ids of one service, in ``path``.

    Raises (from the constructor):
        DurableFunctionsTestError: the path cannot be opened or written, is not a SQLite
            database, is corrupt, holds another schema version or another program's
            tables, or another store has it open.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        # Events already saved, per execution (history is append-only); its keys are the
        # executions that have a row, whose creation fields are written already.
        self._saved_events: dict[str, int] = {}
        try:
            # timeout=0: a file another store holds is refused now, not after a wait.
            self._db = sqlite3.connect(
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            self._fail(error)
        try:
            self._db.execute("PRAGMA locking_mode = EXCLUSIVE")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._transaction():
                self._prepare()
        except sqlite3.Error as error:
            self._db.close()
            self._fail(error)
        except BaseException:
            self._db.close()
            raise

    # -- opening ---------------------------------------------------------------------------

    def _fail(self, error: sqlite3.Error) -> NoReturn:
        """Raise what went wrong with the file, in words, and what to do about it."""
        text = str(error)
        what, hint = next(
            (explained for fragment, explained in _EXPLAINED.items() if fragment in text),
            ("failed", "check the file, or point --store at a new one"),
        )
        raise DurableFunctionsTestError(
            f"SQLite store {str(self.path)!r} {what} ({text}): {hint}"
        ) from error

    def _refuse(self, why: str) -> NoReturn:
        raise DurableFunctionsTestError(f"SQLite store {str(self.path)!r} {why}")

    def _prepare(self) -> None:
        tables = {
            row[0]
            for row in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        tables.discard("sqlite_sequence")
        if not tables:
            self._create()
            return
        if "meta" not in tables or not tables <= _TABLES:
            self._refuse(
                f"holds tables of another program ({', '.join(sorted(tables))}): point "
                "--store at a new file, or at one a durable-local server created"
            )
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_VERSION,)).fetchone()
        if row is None or row[0] != str(SCHEMA_VERSION):
            self._refuse(
                f"has schema version {'none' if row is None else row[0]}, and this version "
                f"reads version {SCHEMA_VERSION}: use the durable-local version that wrote "
                "it, or point --store at a new file"
            )
        for (arn,) in self._db.execute("SELECT arn FROM executions"):
            self._saved_events[arn] = 0
        for arn, count in self._db.execute("SELECT arn, COUNT(*) FROM events GROUP BY arn"):
            self._saved_events[arn] = count

    def _create(self) -> None:
        # executescript would commit the open transaction; each statement runs on its own.
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)", (_VERSION, str(SCHEMA_VERSION))
        )

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` when the body raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- the store protocol ------------------------------------------------------------------

    def load_into(self, service: InMemoryDurableService) -> list[str]:
        """Restore every saved execution into ``service``; returns their ARNs.

        Raises:
            DurableFunctionsTestError: the file cannot be read, or holds data this version
                does not understand.
        """
        # What the service holds already is saved with the next save, with what changes.
        service.changes.record_from(service.executions)
        with self._lock:
            try:
                executions = list(self._read())
                row = self._db.execute("SELECT value FROM meta WHERE key = ?", (_CLOCK,)).fetchone()
                return restore(service, executions, None if row is None else float(row[0]))
            except sqlite3.Error as error:
                self._fail(error)
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                self._refuse(
                    f"holds data this version cannot read ({error!r}): it was written by "
                    "another version, or edited; point --store at a new file"
                )

    def _read(self) -> Iterator[SavedExecution]:
        db = self._db
        rows = db.execute("SELECT arn, created, data FROM executions ORDER BY seq").fetchall()
        for arn, created, data in rows:
            operations = db.execute(
                "SELECT data FROM operations WHERE arn = ? ORDER BY seq", (arn,)
            ).fetchall()
            events = db.execute(
                "SELECT data FROM events WHERE arn = ? ORDER BY event_id", (arn,)
            ).fetchall()
            timers = db.execute(
                "SELECT data FROM timers WHERE arn = ? ORDER BY seq", (arn,)
            ).fetchall()
            callbacks = db.execute("SELECT data FROM callbacks WHERE arn = ?", (arn,)).fetchall()
            self._saved_events[arn] = len(events)
            yield SavedExecution(
                {**json.loads(created), **json.loads(data)},
                tuple(decode_operation(json.loads(row[0])) for row in operations),
                tuple(decode_event(json.loads(row[0])) for row in events),
                tuple(SavedTimer.from_dict(json.loads(row[0])) for row in timers),
                tuple(SavedCallback.from_dict(json.loads(row[0])) for row in callbacks),
            )

    def save(self, service: InMemoryDurableService) -> None:
        """Write what changed in ``service`` since the last save, in one transaction.

        Raises:
            DurableFunctionsTestError: the write failed (nothing of it is kept; the changes
                are written by the next save that succeeds).
        """
        service.changes.record_from(service.executions)  # a first save writes everything
        changed = service.changes.drain()
        if not changed:
            # A read-only request: no transaction at all. The clock is saved with the next
            # change; a restart never sets it back anyway.
            return
        with self._lock:
            saved_events = dict(self._saved_events)
            try:
                with self._transaction():
                    for arn, operation_ids in changed.items():
                        self._save_execution(service, arn, operation_ids)
                    self._db.execute(
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (_CLOCK, repr(service.clock.now())),
                    )
            except BaseException as error:
                self._saved_events = saved_events
                service.changes.restore(changed)
                if isinstance(error, sqlite3.Error):
                    self._fail(error)
                raise

    def _save_execution(
        self, service: InMemoryDurableService, arn: str, operation_ids: list[str]
    ) -> None:
        db = self._db
        record = service.executions.get(arn)
        if record is None:  # deleted: nothing of it stays
            for table in ("executions", "operations", "events", "timers", "callbacks"):
                db.execute(f"DELETE FROM {table} WHERE arn = ?", (arn,))
            self._saved_events.pop(arn, None)
            return
        state = _dumps(encode_record(record, changing_only=True))
        if arn in self._saved_events:
            db.execute("UPDATE executions SET data = ? WHERE arn = ?", (state, arn))
        else:
            everything = encode_record(record)
            created = {name: everything[name] for name in CREATION_FIELDS}
            db.execute(
                "INSERT INTO executions (arn, created, data) VALUES (?, ?, ?)",
                (arn, _dumps(created), state),
            )
        stored = []
        for operation_id in operation_ids:
            op = record.operations.get(operation_id)
            if op is None:
                db.execute(
                    "DELETE FROM operations WHERE arn = ? AND operation_id = ?",
                    (arn, operation_id),
                )
                continue
            stored.append(op)
            db.execute(
                "INSERT INTO operations (arn, operation_id, data) VALUES (?, ?, ?) "
                "ON CONFLICT (arn, operation_id) DO UPDATE SET data = excluded.data",
                (arn, operation_id, _dumps(encode_operation(op))),
            )
        callback_ops = [op for op in stored if op.operation_type is OperationType.CALLBACK]
        db.executemany(
            "INSERT OR REPLACE INTO callbacks (callback_id, arn, data) VALUES (?, ?, ?)",
            [
                (saved.callback_id, arn, _dumps(saved.to_dict()))
                for saved in callbacks_of(service, callback_ops)
            ],
        )
        events = record.history.events
        start = self._saved_events.get(arn, 0)
        db.executemany(
            "INSERT OR REPLACE INTO events (arn, event_id, data) VALUES (?, ?, ?)",
            [(arn, event["EventId"], _dumps(encode_event(event))) for event in events[start:]],
        )
        self._saved_events[arn] = len(events)
        db.execute("DELETE FROM timers WHERE arn = ?", (arn,))
        db.executemany(
            "INSERT INTO timers (arn, seq, data) VALUES (?, ?, ?)",
            [(arn, timer.seq, _dumps(timer.to_dict())) for timer in saved_timers(service, arn)],
        )

    @property
    def rows_written(self) -> int:
        """Rows inserted, updated or deleted through this store so far (for measuring)."""
        with self._lock:
            return self._db.total_changes

    def close(self) -> None:
        """Close the file (and release its lock); later calls do nothing."""
        with self._lock:
            self._db.close()
