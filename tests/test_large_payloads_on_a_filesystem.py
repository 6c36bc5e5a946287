"""Large payloads through replay in the runner: a step returns a value of 1 KiB, 300 KiB or
5 MiB stored by FileSystemSerDes, the execution waits (a new invocation), and a second step
uses the value read back from the file, in both storage modes, both path encodings and both
invocation modes. The runner's views and timeline show the preview and load the value.

The handler lives at module level, so the subprocess sandbox can import it; the base
directory travels in the input.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import ChildConfig, Duration, MapConfig, StepConfig
from aws_durable_execution_sdk_python.filesystem_serdes import (
    OPERATION_PAYLOAD_LIMIT_BYTES,
    FileSystemPathEncoding,
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
)
from aws_durable_execution_sdk_python.preview import PreviewConfig, PreviewMode, build_preview
from aws_durable_execution_sdk_python.serdes import EXTENDED_TYPES_SERDES, SerDesContext
from aws_durable_execution_sdk_python_testing import (
    CallbackSuccess,
    DurableFunctionTestRunner,
    InvocationStatus,
)

SIZES = {"1 KiB": 1024, "300 KiB": 300 * 1024, "5 MiB": 5 * 1024 * 1024}
PREVIEW = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=["id", "size"], max_preview_bytes=256)


def make_value(size: int) -> dict[str, Any]:
    """A record of about ``size`` bytes whose text is not one repeated character."""
    chunk = hashlib.sha256(str(size).encode()).hexdigest()
    text = (chunk * (size // len(chunk) + 1))[:size]
    return {"id": f"blob-{size}", "size": size, "text": text, "tags": ("large", size)}


def digest(value: dict[str, Any]) -> str:
    return hashlib.sha256(value["text"].encode()).hexdigest()


def _serdes(event: dict[str, Any]) -> FileSystemSerDes:
    return FileSystemSerDes(
        event["base"],
        FileSystemSerDesConfig(
            storage_mode=FileSystemSerDesMode[event["mode"]],
            path_encoding=FileSystemPathEncoding[event["encoding"]],
            generate_preview=lambda value: build_preview(value, PREVIEW),
        ),
    )


@durable_execution
def large_payloads(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    config = StepConfig(serdes=_serdes(event))
    values = {
        size: context.step(lambda _, size=size: make_value(size), f"produce-{size}", config)
        for size in event["sizes"]
    }
    context.wait(Duration.from_minutes(5), name="pause")
    # On the second invocation every produced value comes back from its checkpoint.
    return {
        str(size): context.step(
            lambda _, value=value: {"digest": digest(value), "tags": list(value["tags"])},
            f"consume-{size}",
        )
        for size, value in values.items()
    }


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_values_would_not_fit_a_checkpoint_inline(size: int) -> None:
    inline = EXTENDED_TYPES_SERDES.serialize(make_value(size), SerDesContext("op", "arn"))
    assert (len(inline.encode()) > OPERATION_PAYLOAD_LIMIT_BYTES) is (size > 1024)


def test_without_the_filesystem_the_300_kib_value_fails_the_checkpoint(tmp_path: Path) -> None:
    @durable_execution
    def inline(event: Any, context: DurableContext) -> None:
        context.step(lambda _: make_value(300 * 1024), "produce")

    with DurableFunctionTestRunner(inline) as runner:
        result = runner.run(timeout=30)
    assert result.status is InvocationStatus.FAILED
    assert "payload size" in str(result.error)


def _expected_path(
    base: Path, encoding: FileSystemPathEncoding, arn: str, operation_id: str
) -> Path:
    if encoding is FileSystemPathEncoding.HASH:
        arn_hash = hashlib.sha256(arn.encode()).hexdigest()
        return base / arn_hash / f"{hashlib.sha256(operation_id.encode()).hexdigest()}.json"
    execution_name, invocation_id = arn.split("/durable-execution/")[1].split("/")
    return base / "test-function" / execution_name / invocation_id / f"{operation_id}.json"


@pytest.mark.parametrize("invocation_mode", ["in-process", "subprocess"])
@pytest.mark.parametrize("mode", list(FileSystemSerDesMode), ids=lambda m: m.value)
@pytest.mark.parametrize("encoding", list(FileSystemPathEncoding), ids=lambda e: e.value)
def test_values_round_trip_through_replay(
    tmp_path: Path,
    invocation_mode: str,
    mode: FileSystemSerDesMode,
    encoding: FileSystemPathEncoding,
) -> None:
    event = {
        "base": str(tmp_path),
        "mode": mode.name,
        "encoding": encoding.name,
        "sizes": list(SIZES.values()),
    }
    with DurableFunctionTestRunner(large_payloads, invocation_mode=invocation_mode) as runner:
        result = runner.run(input=event, timeout=60)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.invocation_count == 2  # the consuming steps ran after the wait
    assert result.result == {
        str(size): {"digest": digest(make_value(size)), "tags": ["large", size]}
        for size in SIZES.values()
    }

    written = []
    for size in SIZES.values():
        step = result.get_step(f"produce-{size}")
        pointer = json.loads(step.raw_result)
        assert step.result == make_value(size)  # loaded from the file, types kept
        if mode is FileSystemSerDesMode.OVERFLOW and size == 1024:
            assert set(pointer) == {"data"}
            assert step.preview is None
            continue
        path = _expected_path(tmp_path, encoding, result.execution_arn, step.operation_id)
        assert pointer == {"file": str(path), "preview": {"id": f"blob-{size}", "size": size}}
        assert step.preview == {"id": f"blob-{size}", "size": size}
        assert path.read_text() == EXTENDED_TYPES_SERDES.serialize(
            make_value(size), SerDesContext()
        )
        written.append(path)
        # The pointer is what kept the operation under the service's limit.
        assert len(step.raw_result.encode()) < 1024 < OPERATION_PAYLOAD_LIMIT_BYTES
    files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert files == sorted(written)  # no temporary file left, no file for an inline value


def test_the_timeline_shows_previews_not_values(tmp_path: Path) -> None:
    event = {"base": str(tmp_path), "mode": "ALWAYS", "encoding": "URI", "sizes": [300 * 1024]}
    with DurableFunctionTestRunner(large_payloads) as runner:
        result = runner.run(input=event, timeout=30)
    timeline = result.format_timeline()
    line = next(line for line in timeline.splitlines() if "StepSucceeded" in line)
    assert "produce-307200" in line
    assert 'preview {"id": "blob-307200", "size": 307200}' in line
    assert max(len(line) for line in timeline.splitlines()) < 200


def test_the_timeline_names_the_file_when_there_is_no_preview(tmp_path: Path) -> None:
    @durable_execution
    def no_preview(event: Any, context: DurableContext) -> None:
        context.step(
            lambda _: "x" * 300_000, "produce", StepConfig(serdes=FileSystemSerDes(tmp_path))
        )

    with DurableFunctionTestRunner(no_preview) as runner:
        result = runner.run(timeout=30)
    step = result.get_step("produce")
    assert step.result == "x" * 300_000
    assert step.preview is None
    line = next(line for line in result.format_timeline().splitlines() if "StepSucceeded" in line)
    assert "file " in line and line.endswith(".json")


def test_the_timeline_shows_an_inline_value_as_the_value(tmp_path: Path) -> None:
    event = {"base": str(tmp_path), "mode": "OVERFLOW", "encoding": "URI", "sizes": [1024]}
    with DurableFunctionTestRunner(large_payloads) as runner:
        result = runner.run(input=event, timeout=30)
    timeline = result.format_timeline().splitlines()
    line = next(text for text in timeline if "produce-1024" in text and "Succeeded" in text)
    assert '-> {"id": "blob-1024", "size": 1024' in line


def test_other_operations_keep_a_file_shaped_answer_as_data() -> None:
    @durable_execution
    def answered(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(name="upload")
        return callback.result()

    answer = {"file": "/nowhere/report.json", "preview": {"pages": 3}}
    with DurableFunctionTestRunner(answered) as runner:
        result = runner.run(callbacks={"upload": CallbackSuccess(answer)}, timeout=30)
    callback = result.get_callback("upload")
    assert callback.result == answer  # the submitter's data, not a pointer to load
    assert callback.preview is None


def test_a_deleted_file_leaves_the_pointer_readable_in_the_views(tmp_path: Path) -> None:
    event = {"base": str(tmp_path), "mode": "ALWAYS", "encoding": "HASH", "sizes": [1024]}
    with DurableFunctionTestRunner(large_payloads) as runner:
        result = runner.run(input=event, timeout=30)
    step = result.get_step("produce-1024")
    Path(json.loads(step.raw_result)["file"]).unlink()
    # A test reading a pointer whose file is gone sees the pointer, not an exception.
    assert step.result == json.loads(step.raw_result)
    assert step.preview == {"id": "blob-1024", "size": 1024}


def test_a_missing_file_on_replay_fails_the_execution_naming_it(tmp_path: Path) -> None:
    event = {"base": str(tmp_path), "mode": "ALWAYS", "encoding": "URI", "sizes": [1024]}

    @durable_execution
    def deleting(event: dict[str, Any], context: DurableContext) -> None:
        config = StepConfig(serdes=_serdes(event))
        context.step(lambda _: make_value(1024), "produce", config)
        context.step(lambda _: [p.unlink() for p in tmp_path.rglob("*.json")] and None, "delete")
        context.wait(Duration.from_seconds(1), name="pause")

    with DurableFunctionTestRunner(deleting) as runner:
        result = runner.run(input=event, timeout=30)
    assert result.status is InvocationStatus.FAILED
    message = result.error.message if result.error else ""
    assert "does not exist" in message
    assert str(tmp_path) in message
    assert result.get_step("produce").operation_id in message


@durable_execution
def in_contexts(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    serdes = _serdes(event)
    made = context.run_in_child_context(
        lambda child: make_value(300 * 1024), "child", ChildConfig(serdes=serdes)
    )
    mapped = context.map(
        [1024, 300 * 1024],
        lambda child, size, index, items: make_value(size),
        "sizes",
        MapConfig(item_serdes=serdes),
    )
    context.wait(Duration.from_seconds(10), name="pause")
    return {"child": digest(made), "mapped": [digest(v) for v in mapped.get_results()]}


@pytest.mark.parametrize("invocation_mode", ["in-process", "subprocess"])
def test_child_contexts_and_map_items_store_their_results_too(
    tmp_path: Path, invocation_mode: str
) -> None:
    event = {"base": str(tmp_path), "mode": "OVERFLOW", "encoding": "HASH", "sizes": []}
    with DurableFunctionTestRunner(in_contexts, invocation_mode=invocation_mode) as runner:
        result = runner.run(input=event, timeout=60)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    big = digest(make_value(300 * 1024))
    assert result.result == {"child": big, "mapped": [digest(make_value(1024)), big]}
    child = result.get_context("child")
    assert child.preview == {"id": "blob-307200", "size": 307200}
    assert child.result == make_value(300 * 1024)
    items = result.get_context("sizes").child_operations
    assert [item.preview for item in items] == [None, {"id": "blob-307200", "size": 307200}]
    assert [item.result for item in items] == [make_value(1024), make_value(300 * 1024)]
    assert len(list(tmp_path.rglob("*.json"))) == 2  # the child's and the big item's
