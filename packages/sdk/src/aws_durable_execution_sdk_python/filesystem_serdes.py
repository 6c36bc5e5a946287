"""``FileSystemSerDes``: values too large for a checkpoint live in files on a shared file
system, and the checkpoint keeps a pointer and an optional preview (values layer, beside
``serdes``).

The service caps an operation's payload at 256 KiB. Wrapped around any ``SerDes``, this one
writes the serialised value to ``<base>/...`` (EFS or S3 Files mounted in every invocation,
never ``/tmp``, which the next invocation may not see) and checkpoints one of::

    {"data": "<the serialised value, inline>"}
    {"file": "<absolute path>"}
    {"file": "<absolute path>", "preview": {...}}
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import attrs

from aws_durable_execution_sdk_python.exceptions import SerDesError, ValidationError
from aws_durable_execution_sdk_python.serdes import EXTENDED_TYPES_SERDES, SerDes, SerDesContext

__all__ = [
    "OPERATION_PAYLOAD_LIMIT_BYTES",
    "OVERFLOW_THRESHOLD_BYTES",
    "FileSystemPathEncoding",
    "FileSystemSerDes",
    "FileSystemSerDesConfig",
    "FileSystemSerDesMode",
    "GeneratePreview",
    "StoredPayload",
    "parse_payload",
]

OPERATION_PAYLOAD_LIMIT_BYTES = 256 * 1024  # the service's per-operation payload cap
# OVERFLOW keeps 1 KiB of head room below the cap (for the update around the payload).
OVERFLOW_THRESHOLD_BYTES = OPERATION_PAYLOAD_LIMIT_BYTES - 1024

# botocore's DurableExecutionArn pattern: partition, region, account, function, qualifier,
# then the execution name and the invocation id the URI layout is built from.
_EXECUTION_ARN = re.compile(
    r"arn:([a-zA-Z0-9-]+):lambda:([a-zA-Z0-9-]+):(\d{12}):function:(?P<function>[a-zA-Z0-9_-]+)"
    r":(\$LATEST(?:\.PUBLISHED)?|[0-9]+)/durable-execution/(?P<execution>[a-zA-Z0-9_-]+)"
    r"/(?P<invocation>[a-zA-Z0-9_-]+)"
)
_DATA, _FILE, _PREVIEW = "data", "file", "preview"


class FileSystemSerDesMode(enum.Enum):
    """When a value goes to a file: ``ALWAYS``, or on ``OVERFLOW`` of the inline size."""

    ALWAYS = "ALWAYS"
    OVERFLOW = "OVERFLOW"


class FileSystemPathEncoding(enum.Enum):
    """How a value's file is named.

    ``URI``: ``<base>/<function>/<execution name>/<invocation id>/<quoted op id>.json``,
    readable when browsing the file system (one quoted ARN segment in place of the first
    three when the ARN has another shape). ``HASH``: ``<base>/<sha256(arn)>/<sha256(op
    id)>.json``, fixed-length names whatever the ARN and id.
    """

    URI = "URI"
    HASH = "HASH"


class GeneratePreview(Protocol):
    """Builds the small JSON object a pointer shows in place of its value (e.g. a
    ``preview.build_preview`` call)."""

    def __call__(self, value: Any, /) -> Mapping[str, Any]: ...


def _check_enum(kind: type[enum.Enum]) -> Any:
    def check(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            choices = " or ".join(f"{kind.__name__}.{member.name}" for member in kind)
            raise ValidationError(
                f"FileSystemSerDesConfig({attribute.name}={value!r}): expected {choices}"
            )

    return check


def _check_generator(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and not callable(value):
        raise ValidationError(
            f"FileSystemSerDesConfig(generate_preview={value!r}): expected a function from "
            "the value to a JSON object, e.g. lambda value: build_preview(value, config)"
        )


def _check_serdes(_instance: Any, _attribute: Any, value: Any) -> None:
    if not isinstance(value, SerDes):
        raise ValidationError(
            f"FileSystemSerDesConfig(serdes={value!r}): expected a SerDes instance (the "
            "codec of the stored value; EXTENDED_TYPES_SERDES by default)"
        )


@attrs.frozen
class FileSystemSerDesConfig:
    """Where and how ``FileSystemSerDes`` stores values.

    Raises:
        ValidationError: a field of the wrong type.
    """

    storage_mode: FileSystemSerDesMode = attrs.field(
        default=FileSystemSerDesMode.ALWAYS, validator=_check_enum(FileSystemSerDesMode)
    )
    path_encoding: FileSystemPathEncoding = attrs.field(
        default=FileSystemPathEncoding.URI, validator=_check_enum(FileSystemPathEncoding)
    )
    generate_preview: GeneratePreview | None = attrs.field(default=None, validator=_check_generator)
    serdes: SerDes[Any] = attrs.field(default=EXTENDED_TYPES_SERDES, validator=_check_serdes)


@attrs.frozen
class StoredPayload:
    """A checkpoint payload written by ``FileSystemSerDes``: inline ``data``, or a ``file``
    with an optional ``preview``. Parsed by :func:`parse_payload`."""

    data: str | None = None
    file: str | None = None
    preview: dict[str, Any] | None = None

    def __attrs_post_init__(self) -> None:
        inline = isinstance(self.data, str) and self.file is None and self.preview is None
        pointer = (
            self.data is None
            and isinstance(self.file, str)
            and bool(self.file)
            and (self.preview is None or isinstance(self.preview, dict))
        )
        if not (inline or pointer):
            raise ValidationError(
                f"StoredPayload(data={self.data!r}, file={self.file!r}, preview="
                f"{self.preview!r}): expected data (a str) alone, or a non-empty file path "
                "with an optional preview dict"
            )

    def read(self, operation_id: str = "") -> str:
        """The serialised value: the inline data, or the file's content.

        Raises:
            SerDesError: the file is missing or cannot be read; names the path, the
                operation and the likely fix.
        """
        if self.file is None:  # then data is set: checked when made
            return str(self.data)
        whose = f"the value of operation {operation_id}" if operation_id else "the value"
        try:
            return Path(self.file).read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise SerDesError(
                f"FileSystemSerDes: {whose} is stored in {self.file}, which does not exist; "
                "check that the file system is mounted at the same base path in every "
                "invocation and that nothing deletes the files of running executions"
            ) from error
        except (OSError, UnicodeDecodeError) as error:
            raise SerDesError(
                f"FileSystemSerDes: {whose} is stored in {self.file}, which cannot be read "
                f"({type(error).__name__}: {error}); check the file's permissions and that "
                "only FileSystemSerDes writes there"
            ) from error


def parse_payload(payload: str) -> StoredPayload:
    """The pointer or inline envelope in a ``FileSystemSerDes`` checkpoint payload.

    Raises:
        SerDesError: ``payload`` is neither ``{"data": str}`` nor ``{"file": str}`` (with an
            optional ``"preview"`` object).
    """
    try:
        body = json.loads(payload)
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict):
        keys = body.keys()
        data, file, preview = body.get(_DATA), body.get(_FILE), body.get(_PREVIEW)
        if keys == {_DATA} and isinstance(data, str):
            return StoredPayload(data=data)
        if (
            keys in ({_FILE}, {_FILE, _PREVIEW})
            and isinstance(file, str)
            and file
            and (preview is None or isinstance(preview, dict))
        ):
            return StoredPayload(file=file, preview=preview)
    shown = payload if len(payload) <= 80 else payload[:77] + "..."
    raise SerDesError(
        'FileSystemSerDes: expected a payload {"data": "..."} or {"file": "...", '
        f'"preview"?: {{...}}}}, got {shown!r}; was it written by another SerDes?'
    )


class FileSystemSerDes(SerDes[Any]):
    """Stores each value in a file under ``base_path`` and checkpoints a pointer to it.

    Pass it as an operation's serdes (``StepConfig(serdes=...)``, ``ChildConfig``,
    ``MapConfig``...). ``base_path`` must be a directory every invocation of the function
    mounts at the same path, such as an EFS or S3 Files mount; ``/tmp`` is per sandbox and
    loses values between invocations in production. A file is written atomically (a
    temporary file renamed into place), so a crash never leaves half a value, and rewriting
    the same value to the same path on a re-run is harmless.

    Raises:
        ValidationError: ``base_path`` is missing, not a directory or not writable, or
            ``config`` is not a ``FileSystemSerDesConfig``.
    """

    def __init__(
        self, base_path: str | os.PathLike[str], config: FileSystemSerDesConfig | None = None
    ) -> None:
        if config is None:
            config = FileSystemSerDesConfig()
        if not isinstance(config, FileSystemSerDesConfig):
            raise ValidationError(
                f"FileSystemSerDes(config={config!r}): expected a FileSystemSerDesConfig"
            )
        self.base_path = _usable_base(base_path)
        self.config = config

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str | None:
        inner = self.config.serdes.serialize(value, serdes_context)
        if inner is None:
            return None
        if not isinstance(inner, str):
            raise SerDesError(
                f"FileSystemSerDes: {type(self.config.serdes).__name__}.serialize returned "
                f"{type(inner).__name__}, not str"
            )
        if self.config.storage_mode is FileSystemSerDesMode.OVERFLOW:
            inline = _dumps({_DATA: inner})
            if len(inline.encode()) <= OVERFLOW_THRESHOLD_BYTES:
                return inline
        path = self._path(serdes_context)
        pointer: dict[str, Any] = {_FILE: str(path)}
        if self.config.generate_preview is not None:
            # Before the write: a preview that fails leaves no file without a checkpoint.
            pointer[_PREVIEW] = _preview(self.config.generate_preview, value)
        text = _dumps(pointer)
        if len(text.encode()) > OPERATION_PAYLOAD_LIMIT_BYTES:
            raise SerDesError(
                f"FileSystemSerDes: the pointer with its preview is {len(text.encode())} "
                f"bytes, over the {OPERATION_PAYLOAD_LIMIT_BYTES}-byte operation limit; make "
                "generate_preview return less (PreviewConfig.max_preview_bytes bounds it)"
            )
        _write_atomically(path, inner, serdes_context.operation_id)
        return text

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        try:
            stored = parse_payload(data)
        except SerDesError as error:
            raise SerDesError(f"{error} (operation {serdes_context.operation_id})") from error
        return self.config.serdes.deserialize(
            stored.read(serdes_context.operation_id), serdes_context
        )

    def _path(self, context: SerDesContext) -> Path:
        operation_id, arn = context.operation_id, context.durable_execution_arn
        if not operation_id or not arn:
            raise SerDesError(
                "FileSystemSerDes needs the operation id and execution ARN of the value "
                f"(got operation_id={operation_id!r}, durable_execution_arn={arn!r}); it "
                "names files after them, so use it as an operation's serdes"
            )
        if self.config.path_encoding is FileSystemPathEncoding.HASH:
            return self.base_path / _sha256(arn) / f"{_sha256(operation_id)}.json"
        parsed = _EXECUTION_ARN.fullmatch(arn)
        if parsed is None:
            directory = self.base_path / _segment(arn)
        else:
            directory = self.base_path.joinpath(
                *(_segment(parsed[group]) for group in ("function", "execution", "invocation"))
            )
        return directory / f"{_segment(operation_id)}.json"


def _usable_base(base_path: Any) -> Path:
    if not isinstance(base_path, str | os.PathLike) or not os.fspath(base_path):
        raise ValidationError(
            f"FileSystemSerDes(base_path={base_path!r}): expected the path of a directory "
            "(the mount point of a shared file system such as EFS or S3 Files)"
        )
    # Resolved once: a later chdir must not move where values are stored and read.
    path = Path(os.path.abspath(os.fspath(base_path)))
    if not path.exists():
        raise ValidationError(
            f"FileSystemSerDes(base_path={base_path!r}): {path} does not exist; mount the "
            "file system there (the function's file system configuration) or create it"
        )
    if not path.is_dir():
        raise ValidationError(
            f"FileSystemSerDes(base_path={base_path!r}): {path} is not a directory"
        )
    # Permission bits do not tell (root, ACLs, read-only mounts, NFS): try a file.
    probe = path / f".durable-probe-{secrets.token_hex(8)}"
    try:
        os.close(os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.unlink(probe)
    except OSError as error:
        raise ValidationError(
            f"FileSystemSerDes(base_path={base_path!r}): {path} is not writable "
            f"({error.strerror or error}); give the function write access (for EFS, an "
            "access point owned by its user) or choose another directory"
        ) from error
    return path


def _preview(generate: GeneratePreview, value: Any) -> dict[str, Any]:
    try:
        preview = generate(value)
    except Exception as error:
        raise SerDesError(
            f"FileSystemSerDes: generate_preview raised {type(error).__name__}: {error}"
        ) from error
    if not isinstance(preview, Mapping):
        raise SerDesError(
            f"FileSystemSerDes: generate_preview returned {type(preview).__name__}; expected "
            "a mapping (a JSON object)"
        )
    if not all(isinstance(key, str) for key in preview):
        raise SerDesError("FileSystemSerDes: generate_preview must return a mapping with str keys")
    try:
        return dict(json.loads(_dumps(dict(preview))))
    except (TypeError, ValueError) as error:
        raise SerDesError(
            f"FileSystemSerDes: generate_preview returned something JSON cannot hold "
            f"({error}); return plain dicts, lists, str, finite numbers, bool and None"
        ) from error


def _write_atomically(path: Path, text: str, operation_id: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the whole new one.

    The content goes to a temporary file in the same directory, is flushed to the file
    system, then renamed over ``path``: a rename within a directory is atomic on POSIX
    file systems and on EFS.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0o666 less the umask, as for any file the function writes (mkstemp's 0o600
        # would hide values from other functions sharing the file system).
        fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        try:
            with os.fdopen(fd, "wb", closefd=False) as file:
                file.write(text.encode())
                file.flush()
                os.fsync(file.fileno())
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise SerDesError(
            f"FileSystemSerDes could not write the value of operation {operation_id} to "
            f"{path}: {error}"
        ) from error
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # Makes the rename itself durable; some file systems cannot open directories.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _segment(text: str) -> str:
    quoted = quote(text, safe="")
    # quote() keeps dots, and "." or ".." would name a directory that is not this one.
    return quoted.replace(".", "%2E") if quoted in {".", ".."} else quoted


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
