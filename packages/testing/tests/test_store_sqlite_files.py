"""The SQLite store's file: one store at a time holds it (in this process or another), a
killed server leaves its saves and no lock, ``open_store`` takes ``memory`` or
``sqlite:PATH``, and every way the file can be unusable is a ``DurableFunctionsTestError``
naming it and what to do.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from clock_support import StoppedClock
from store_support import open_file, reload

from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._store import SQLiteStore, open_store
from aws_durable_execution_sdk_python_testing._store.sqlite import SCHEMA_VERSION
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "executions.db"


# -- one store per file -----------------------------------------------------------------------


def test_a_second_store_on_the_same_file_is_refused_until_the_first_closes(db: Path):
    with open_file(db):
        with pytest.raises(DurableFunctionsTestError, match="is in use") as refused:
            SQLiteStore(db)
        assert str(db) in str(refused.value)
    with open_file(db):
        pass


def test_a_store_in_another_process_is_refused_too(db: Path):
    script = (
        "import sys\n"
        "from aws_durable_execution_sdk_python_testing._store import SQLiteStore\n"
        "from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError\n"
        "try:\n"
        "    SQLiteStore(sys.argv[1])\n"
        "except DurableFunctionsTestError as error:\n"
        "    print(error)\n"
        "    sys.exit(3)\n"
    )
    with open_file(db):
        child = subprocess.run(
            [sys.executable, "-c", script, str(db)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    assert child.returncode == 3, child.stderr
    assert "is in use" in child.stdout


# -- open_store and unusable files ------------------------------------------------------------


def test_open_store_names_memory_or_a_sqlite_file(db: Path):
    assert open_store("memory") is None
    store = open_store(f"sqlite:{db}")
    assert isinstance(store, SQLiteStore)
    store.close()


@pytest.mark.parametrize(
    "spec",
    ["", "Memory", "sqlite", "sqlite:", "sqlite:  ", "postgres://localhost/db", "file:x.db"],
)
def test_open_store_refuses_other_specs_naming_the_accepted_forms(spec: str):
    with pytest.raises(DurableFunctionsTestError, match="sqlite:PATH"):
        open_store(spec)


def _text_file(path: Path) -> None:
    path.write_text("these are my notes, not a database\n" * 200)


def _corrupt(path: Path) -> None:
    service = InMemoryDurableService(StoppedClock())
    for index in range(30):
        service.start_execution("fn", f"run-{index}", json.dumps({"pad": "x" * 500}))
    with open_file(path) as store:
        store.save(service)
    data = bytearray(path.read_bytes())
    data[100:] = bytes(range(256)) * ((len(data) - 100) // 256 + 1)
    path.write_bytes(bytes(data[: len(data)]))


def _other_version(path: Path) -> None:
    with open_file(path):
        pass
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")


def _other_program(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")


def _edited_row(path: Path) -> None:
    service = InMemoryDurableService(StoppedClock())
    service.start_execution("fn", "run", "{}")
    with open_file(path) as store:
        store.save(service)
    with contextlib.closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("UPDATE executions SET data = '{\"arn\": 1}'")


@pytest.mark.parametrize(
    ("prepare", "relative", "message"),
    [
        pytest.param(lambda path: None, "missing/executions.db", "cannot be opened", id="no dir"),
        pytest.param(lambda path: path.mkdir(), "adir", "cannot be opened", id="a directory"),
        pytest.param(_text_file, "notes.txt", "is not a SQLite database", id="not sqlite"),
        pytest.param(_corrupt, "corrupt.db", "is corrupt|not a SQLite", id="corrupt"),
        pytest.param(_other_version, "old.db", "schema version 99", id="schema version"),
        pytest.param(_other_program, "app.db", "tables of another program", id="other tables"),
        pytest.param(_edited_row, "edited.db", "cannot read", id="unreadable row"),
    ],
)
def test_an_unusable_file_is_an_error_naming_it_and_what_to_do(
    tmp_path: Path, prepare: Callable[[Path], None], relative: str, message: str
):
    path = tmp_path / relative
    prepare(path)
    with pytest.raises(DurableFunctionsTestError, match=message) as error, open_file(path) as store:
        store.load_into(InMemoryDurableService(StoppedClock()))
    assert str(path) in str(error.value)
    assert re.search(r": [a-z][^:]{10,}$", str(error.value)), "ends with what to do"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_a_file_without_write_permission_is_an_error_naming_it(db: Path):
    with open_file(db):
        pass
    db.chmod(0o444)
    service = InMemoryDurableService(StoppedClock())
    service.start_execution("fn", "run", "{}")
    with pytest.raises(DurableFunctionsTestError, match=re.escape(str(db))), open_file(db) as store:
        store.save(service)


def test_the_schema_version_is_written_in_the_file(db: Path):
    with open_file(db):
        pass
    with contextlib.closing(sqlite3.connect(db)) as raw:
        version = raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        mode = raw.execute("PRAGMA journal_mode").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    assert mode == ("wal",)


def test_a_killed_server_leaves_its_saves_and_no_lock_behind(db: Path):
    script = (
        "import os, sys\n"
        "from aws_durable_execution_sdk_python_testing._service.service import "
        "InMemoryDurableService\n"
        "from aws_durable_execution_sdk_python_testing._store import SQLiteStore\n"
        "service = InMemoryDurableService()\n"
        "store = SQLiteStore(sys.argv[1])\n"
        "record = service.start_execution('fn', 'survivor', '{}')\n"
        "store.save(service)\n"
        "print(record.arn, flush=True)\n"
        "os._exit(9)  # killed: no close, no checkpoint of the journal\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(db)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.returncode == 9, child.stderr
    assert list(reload(db).executions) == [child.stdout.strip()]
