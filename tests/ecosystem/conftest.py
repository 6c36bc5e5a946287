"""The published plugins' output directory lives for one test session (see ecosystem_common)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = os.environ.get("DURABLE_ECOSYSTEM_OUT")
    if out and Path(out).name.startswith("ecosystem-") and out.startswith(tempfile.gettempdir()):
        shutil.rmtree(out, ignore_errors=True)
