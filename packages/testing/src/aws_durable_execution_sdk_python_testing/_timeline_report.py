"""Timelines of a failing test's executions, written for ``--durable-timeline=DIR``.

The pytest plugin watches each durable test (``_run_watch``); when one fails, every
execution its runners started (locally, or in the cloud as its history showed it) is saved
as an HTML timeline named after the test's node id, and the failure report lists the files.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult

__all__ = ["file_stem", "write_timelines"]

# File names stay well under the 255 bytes most file systems allow.
_MAX_STEM = 120


def file_stem(nodeid: str) -> str:
    """``tests/test_a.py::test_b[x/y]`` -> ``tests_test_a.py__test_b_x_y_``: one path
    component, safe on every file system; long ids keep a hash of the whole id."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", nodeid.replace("::", "__")).strip(".") or "test"
    if len(stem) > _MAX_STEM:
        digest = hashlib.sha256(nodeid.encode()).hexdigest()[:10]
        stem = f"{stem[: _MAX_STEM - 11]}-{digest}"
    return stem


def write_timelines(
    results: Sequence[DurableFunctionTestResult], directory: str | os.PathLike[str], nodeid: str
) -> list[Path]:
    """One HTML file per execution (``<stem>.html``, or ``<stem>-1.html``, ``-2``... when the
    test ran several); returns the paths written.

    Raises:
        OSError: the directory cannot be created or a file cannot be written.
    """
    if not results:
        return []
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(nodeid)
    paths: list[Path] = []
    for number, result in enumerate(results, start=1):
        name = f"{stem}.html" if len(results) == 1 else f"{stem}-{number}.html"
        path = folder / name
        result.save_timeline(path)
        paths.append(path)
    return paths
