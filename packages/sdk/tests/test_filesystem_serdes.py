"""FileSystemSerDes on its own: the checkpoint payload shapes, the path layout of each
encoding, when OVERFLOW writes a file, atomic and idempotent writes, and every handled bad
input (a base path, a config, a payload, a missing file) with a message naming the fix."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import json_values, serializable_values

from aws_durable_execution_sdk_python import filesystem_serdes
from aws_durable_execution_sdk_python.exceptions import SerDesError, ValidationError
from aws_durable_execution_sdk_python.filesystem_serdes import (
    OVERFLOW_THRESHOLD_BYTES,
    FileSystemPathEncoding,
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
    StoredPayload,
    parse_payload,
)
from aws_durable_execution_sdk_python.preview import PreviewConfig, PreviewMode, build_preview
from aws_durable_execution_sdk_python.serdes import (
    EXTENDED_TYPES_SERDES,
    PassThroughSerDes,
    SerDes,
    SerDesContext,
)

ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST"
    "/durable-execution/run-7/0b9f8e2c-1d2e-4f00-9a0b-0c1d2e3f4a5b"
)
CTX = SerDesContext("1a2b3c", ARN)
ALWAYS, OVERFLOW = FileSystemSerDesMode.ALWAYS, FileSystemSerDesMode.OVERFLOW
URI, HASH = FileSystemPathEncoding.URI, FileSystemPathEncoding.HASH


def _files(base: Path) -> list[Path]:
    return sorted(path for path in base.rglob("*") if path.is_file())


def _config(**fields: Any) -> FileSystemSerDesConfig:
    return FileSystemSerDesConfig(**fields)


# -- payload shapes and layout -----------------------------------------------------------


def test_always_writes_the_value_to_a_file_and_checkpoints_a_pointer(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(str(tmp_path))
    payload = serdes.serialize({"order": "o-1"}, CTX)
    path = tmp_path / "orders" / "run-7" / "0b9f8e2c-1d2e-4f00-9a0b-0c1d2e3f4a5b" / "1a2b3c.json"
    assert json.loads(payload) == {"file": str(path)}
    assert path.read_text() == EXTENDED_TYPES_SERDES.serialize({"order": "o-1"}, CTX)
    assert _files(tmp_path) == [path]
    assert serdes.deserialize(payload, CTX) == {"order": "o-1"}


def test_uri_quotes_the_operation_id(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path)
    payload = serdes.serialize(1, SerDesContext("a/b c", ARN))
    assert json.loads(payload)["file"].endswith(
        "/0b9f8e2c-1d2e-4f00-9a0b-0c1d2e3f4a5b/a%2Fb%20c.json"
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:fn/durable-execution/replay/1a2b",
        "not an arn at all",
        "..",
    ],
)
def test_uri_falls_back_to_one_quoted_arn_segment(tmp_path: Path, arn: str) -> None:
    payload = FileSystemSerDes(tmp_path).serialize("x", SerDesContext("op", arn))
    segment = quote(arn, safe="").replace(".", "%2E") if arn == ".." else quote(arn, safe="")
    assert json.loads(payload) == {"file": str(tmp_path / segment / "op.json")}
    assert (tmp_path / segment / "op.json").is_file()


def test_hash_names_the_directory_and_file_by_sha256(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path, _config(path_encoding=HASH))
    payload = serdes.serialize([1, 2], CTX)
    arn_hash = hashlib.sha256(ARN.encode()).hexdigest()
    op_hash = hashlib.sha256(b"1a2b3c").hexdigest()
    assert json.loads(payload) == {"file": str(tmp_path / arn_hash / f"{op_hash}.json")}
    assert serdes.deserialize(payload, CTX) == [1, 2]


def test_a_relative_base_path_is_resolved_once(tmp_path: Path, monkeypatch: Any) -> None:
    (tmp_path / "store").mkdir()
    monkeypatch.chdir(tmp_path)
    serdes = FileSystemSerDes("store")
    monkeypatch.chdir("/")
    payload = serdes.serialize(1, CTX)
    assert json.loads(payload)["file"].startswith(str(tmp_path / "store") + os.sep)
    assert serdes.deserialize(payload, CTX) == 1


def test_the_inner_serdes_is_configurable(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path, _config(serdes=PassThroughSerDes()))
    payload = serdes.serialize("raw text", CTX)
    assert Path(json.loads(payload)["file"]).read_text() == "raw text"
    assert serdes.deserialize(payload, CTX) == "raw text"


def test_a_none_from_the_inner_serdes_stores_nothing(tmp_path: Path) -> None:
    class NoneForNone(SerDes[Any]):
        def serialize(self, value: Any, serdes_context: SerDesContext) -> str | None:
            return None if value is None else json.dumps(value)

        def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
            return json.loads(data)

    serdes = FileSystemSerDes(tmp_path, _config(serdes=NoneForNone()))
    assert serdes.serialize(None, CTX) is None
    assert _files(tmp_path) == []


# -- OVERFLOW ---------------------------------------------------------------------------


def test_overflow_keeps_a_small_value_inline_and_writes_no_file(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path, _config(storage_mode=OVERFLOW))
    payload = serdes.serialize({"a": 1}, CTX)
    assert json.loads(payload) == {"data": EXTENDED_TYPES_SERDES.serialize({"a": 1}, CTX)}
    assert _files(tmp_path) == []
    assert serdes.deserialize(payload, CTX) == {"a": 1}


def test_overflow_writes_a_file_only_above_the_threshold(tmp_path: Path) -> None:
    assert OVERFLOW_THRESHOLD_BYTES == 256 * 1024 - 1024
    serdes = FileSystemSerDes(tmp_path, _config(storage_mode=OVERFLOW, serdes=PassThroughSerDes()))
    envelope_overhead = len('{"data":""}')
    at_limit = "x" * (OVERFLOW_THRESHOLD_BYTES - envelope_overhead)
    inline = serdes.serialize(at_limit, CTX)
    assert len(inline.encode()) == OVERFLOW_THRESHOLD_BYTES
    assert json.loads(inline) == {"data": at_limit}
    assert _files(tmp_path) == []
    over = serdes.serialize(at_limit + "x", CTX)
    assert set(json.loads(over)) == {"file"}
    assert serdes.deserialize(over, CTX) == at_limit + "x"


def test_overflow_measures_utf8_bytes_not_characters(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path, _config(storage_mode=OVERFLOW, serdes=PassThroughSerDes()))
    # 100k three-byte characters: 300 KB on the wire, though only 100k characters.
    payload = serdes.serialize("€" * 100_000, CTX)
    assert set(json.loads(payload)) == {"file"}


# -- previews ---------------------------------------------------------------------------


def test_a_pointer_carries_the_preview(tmp_path: Path) -> None:
    config = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=["id"])
    serdes = FileSystemSerDes(
        tmp_path, _config(generate_preview=lambda value: build_preview(value, config))
    )
    payload = serdes.serialize({"id": "o-1", "rows": list(range(10))}, CTX)
    body = json.loads(payload)
    assert body["preview"] == {"id": "o-1"}
    assert parse_payload(payload) == StoredPayload(file=body["file"], preview={"id": "o-1"})
    assert serdes.deserialize(payload, CTX) == {"id": "o-1", "rows": list(range(10))}


def test_an_inline_value_has_no_preview(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(
        tmp_path, _config(storage_mode=OVERFLOW, generate_preview=lambda value: {"n": 1})
    )
    assert set(json.loads(serdes.serialize("small", CTX))) == {"data"}


@pytest.mark.parametrize(
    ("generate", "message"),
    [
        (lambda value: ["not", "a", "dict"], "mapping"),
        (lambda value: {"when": object()}, "JSON"),
        (lambda value: {"x": float("nan")}, "JSON"),
        (lambda value: {1: "int key"}, "str keys"),
        (lambda value: {"big": "y" * 300_000}, "operation limit"),
        (lambda value: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_a_bad_preview_fails_before_any_file_is_written(
    tmp_path: Path, generate: Any, message: str
) -> None:
    serdes = FileSystemSerDes(tmp_path, _config(generate_preview=generate))
    with pytest.raises(SerDesError, match=message) as caught:
        serdes.serialize({"a": 1}, CTX)
    assert "generate_preview" in str(caught.value)
    assert _files(tmp_path) == []


# -- writes -----------------------------------------------------------------------------


def test_rewriting_the_same_value_is_idempotent(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path)
    first = serdes.serialize({"a": [1, 2]}, CTX)
    second = serdes.serialize({"a": [1, 2]}, CTX)
    assert first == second
    assert len(_files(tmp_path)) == 1
    assert serdes.deserialize(first, CTX) == {"a": [1, 2]}


def test_a_write_that_fails_midway_leaves_the_old_file_whole_and_no_temp(
    tmp_path: Path, monkeypatch: Any
) -> None:
    serdes = FileSystemSerDes(tmp_path)
    payload = serdes.serialize("old value", CTX)
    path = Path(json.loads(payload)["file"])

    def crash(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(filesystem_serdes.os, "fsync", crash)
    with pytest.raises(SerDesError, match="No space left") as caught:
        serdes.serialize("new value " * 1000, CTX)
    assert str(path) in str(caught.value)
    assert "1a2b3c" in str(caught.value)
    assert _files(tmp_path) == [path]
    assert serdes.deserialize(payload, CTX) == "old value"


def test_the_file_appears_only_once_it_is_complete(tmp_path: Path, monkeypatch: Any) -> None:
    serdes = FileSystemSerDes(tmp_path)
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def observing_replace(source: Any, target: Any) -> None:
        seen.append((Path(source).read_text(), str(Path(target).exists())))
        real_replace(source, target)

    monkeypatch.setattr(filesystem_serdes.os, "replace", observing_replace)
    serdes.serialize("complete", CTX)
    assert seen == [('"complete"', "False")]


# -- reading back ----------------------------------------------------------------------


def test_a_missing_file_names_the_path_the_operation_and_the_fix(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path)
    payload = serdes.serialize("v", CTX)
    path = json.loads(payload)["file"]
    os.unlink(path)
    with pytest.raises(SerDesError) as caught:
        serdes.deserialize(payload, CTX)
    message = str(caught.value)
    assert path in message
    assert "1a2b3c" in message
    assert "does not exist" in message
    assert "mounted" in message


def test_an_unreadable_file_names_the_path_and_the_operation(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path)
    payload = serdes.serialize("v", CTX)
    path = Path(json.loads(payload)["file"])
    path.unlink()
    path.mkdir()  # a directory where the file should be: reading fails, as root too
    with pytest.raises(SerDesError, match="cannot be read") as caught:
        serdes.deserialize(payload, CTX)
    assert str(path) in str(caught.value)
    assert "1a2b3c" in str(caught.value)


def test_a_file_that_is_not_utf8_cannot_be_read(tmp_path: Path) -> None:
    serdes = FileSystemSerDes(tmp_path)
    payload = serdes.serialize("v", CTX)
    Path(json.loads(payload)["file"]).write_bytes(b"\xff\xfe")
    with pytest.raises(SerDesError, match="cannot be read"):
        serdes.deserialize(payload, CTX)


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "null",
        "[]",
        '"a string"',
        "{}",
        '{"x": 1}',
        '{"data": 1}',
        '{"file": 3}',
        '{"file": ""}',
        '{"file": "p", "data": "x"}',
        '{"file": "p", "preview": []}',
        '{"data": "1", "preview": {}}',
    ],
)
def test_a_payload_that_is_neither_envelope_is_refused(tmp_path: Path, payload: str) -> None:
    with pytest.raises(SerDesError, match="FileSystemSerDes") as caught:
        FileSystemSerDes(tmp_path).deserialize(payload, CTX)
    assert "1a2b3c" in str(caught.value)
    with pytest.raises(SerDesError):
        parse_payload(payload)


@pytest.mark.parametrize(
    "context", [SerDesContext("", ARN), SerDesContext("op", ""), SerDesContext()]
)
def test_serialising_outside_an_operation_is_refused(
    tmp_path: Path, context: SerDesContext
) -> None:
    with pytest.raises(SerDesError, match="operation id and execution ARN"):
        FileSystemSerDes(tmp_path).serialize("v", context)


# -- construction ------------------------------------------------------------------------


@pytest.fixture
def unwritable_dir(tmp_path: Path) -> Iterator[str]:
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        yield str(locked)
        locked.chmod(0o700)
        return
    # root writes through permission bits; sysfs refuses new files to everyone.
    if not os.path.isdir("/sys") or _can_create("/sys"):
        pytest.skip("no directory here refuses writes to root")
    yield "/sys"


def _can_create(directory: str) -> bool:
    try:
        fd, name = tempfile.mkstemp(dir=directory)
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def test_a_base_path_that_is_not_writable_is_refused(unwritable_dir: str) -> None:
    with pytest.raises(ValidationError, match="not writable") as caught:
        FileSystemSerDes(unwritable_dir)
    assert unwritable_dir in str(caught.value)


def test_a_missing_base_path_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "efs"
    with pytest.raises(ValidationError, match="does not exist") as caught:
        FileSystemSerDes(missing)
    assert str(missing) in str(caught.value)


def test_a_base_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(ValidationError, match="not a directory"):
        FileSystemSerDes(tmp_path / "f")


def test_the_writability_probe_leaves_nothing_behind(tmp_path: Path) -> None:
    FileSystemSerDes(tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda base: FileSystemSerDes(3), "base_path"),  # type: ignore[arg-type]
        (lambda base: FileSystemSerDes(None), "base_path"),  # type: ignore[arg-type]
        (lambda base: FileSystemSerDes(""), "base_path"),
        (lambda base: FileSystemSerDes(base, {"storage_mode": "ALWAYS"}), "config"),  # type: ignore[arg-type]
        (lambda base: _config(storage_mode="ALWAYS"), "storage_mode"),
        (lambda base: _config(storage_mode=URI), "storage_mode"),
        (lambda base: _config(path_encoding="URI"), "path_encoding"),
        (lambda base: _config(path_encoding=None), "path_encoding"),
        (lambda base: _config(generate_preview=3), "generate_preview"),
        (
            lambda base: _config(generate_preview=PreviewConfig(PreviewMode.INCLUDE_ALL)),
            "generate_preview",
        ),
        (lambda base: _config(serdes=json), "serdes"),
        (lambda base: _config(serdes=None), "serdes"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build(tmp_path)


# -- properties -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fs-serdes-property")


_op_ids = st.text(min_size=1, max_size=20)
_arns = st.sampled_from([ARN, "arn:aws:lambda:us-east-1:123456789012:function:f/x"]) | st.text(
    min_size=1, max_size=30
).filter(lambda text: "\x00" not in text)


@settings(max_examples=60)
@given(
    value=serializable_values() | json_values(),
    mode=st.sampled_from(list(FileSystemSerDesMode)),
    encoding=st.sampled_from(list(FileSystemPathEncoding)),
    operation_id=_op_ids.filter(lambda text: "\x00" not in text),
    arn=_arns,
)
def test_every_value_round_trips(
    shared_base: Path,
    value: Any,
    mode: FileSystemSerDesMode,
    encoding: FileSystemPathEncoding,
    operation_id: str,
    arn: str,
) -> None:
    context = SerDesContext(operation_id, arn)
    if encoding is URI and len(quote(arn, safe="").encode()) > 200:
        return
    serdes = FileSystemSerDes(shared_base, _config(storage_mode=mode, path_encoding=encoding))
    payload = serdes.serialize(value, context)
    assert serdes.deserialize(payload, context) == value
    stored = parse_payload(payload)
    if mode is OVERFLOW:
        assert stored.data is not None and stored.file is None
    else:
        assert stored.file is not None and Path(stored.file).is_file()
        assert Path(stored.file).is_relative_to(shared_base)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"data": "1", "file": "/p.json"},
        {"data": "1", "preview": {}},
        {"file": ""},
        {"file": 3},
        {"data": 1},
        {"file": "/p.json", "preview": []},
    ],
)
def test_a_stored_payload_is_inline_data_or_a_file(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="StoredPayload"):
        StoredPayload(**fields)


def test_a_stored_payload_reads_its_inline_data() -> None:
    assert StoredPayload(data='"v"').read() == '"v"'
