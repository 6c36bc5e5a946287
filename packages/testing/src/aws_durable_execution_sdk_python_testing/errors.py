"""Errors the testing package raises at test authors (not execution failures)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "DurableFunctionsLocalRunnerError",
    "DurableFunctionsTestError",
    "FaultNotFiredError",
    "InvalidFaultError",
    "StuckExecutionError",
]


class DurableFunctionsTestError(Exception):
    """A lookup, assertion helper or runner call was used wrongly."""


class DurableFunctionsLocalRunnerError(DurableFunctionsTestError):
    """The local runner cannot go on."""


class StuckExecutionError(DurableFunctionsLocalRunnerError):
    """The execution waits for something nothing will ever deliver."""


class InvalidFaultError(DurableFunctionsTestError):
    """A fault (``faults`` module) or a fault option of the runner has an invalid value."""


class FaultNotFiredError(DurableFunctionsTestError):
    """The run ended but some declared faults never fired (a misspelt operation name, a
    call number the execution never reached): the test did not exercise what it meant to.

    ``faults`` lists them; ``result`` is the run's result all the same.
    """

    def __init__(self, message: str, faults: tuple[Any, ...], result: Any) -> None:
        super().__init__(message)
        self.faults = faults
        self.result = result
