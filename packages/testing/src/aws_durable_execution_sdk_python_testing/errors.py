"""Errors the testing package raises at test authors (not execution failures)."""

from __future__ import annotations

__all__ = ["DurableFunctionsLocalRunnerError", "DurableFunctionsTestError", "StuckExecutionError"]


class DurableFunctionsTestError(Exception):
    """A lookup, assertion helper or runner call was used wrongly."""


class DurableFunctionsLocalRunnerError(DurableFunctionsTestError):
    """The local runner cannot go on."""


class StuckExecutionError(DurableFunctionsLocalRunnerError):
    """The execution waits for something nothing will ever deliver."""
