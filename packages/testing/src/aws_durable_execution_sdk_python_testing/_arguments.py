"""Checks of what a test hands the runner, made once where the value enters.

Each helper raises ``DurableFunctionsTestError`` naming the argument and the fix, so a
mistake in a test reads as one, not as a failure deep inside an execution.
"""

from __future__ import annotations

import enum
import json
import math
import re
from typing import Any

from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = [
    "RunnerMode",
    "check_name",
    "check_seconds",
    "function_key",
    "normalize_input",
    "qualifier",
    "require_durable_handler",
]

NAME = re.compile(r"[a-zA-Z0-9_-]+")
# A target may be named by function name, "name:qualifier", or a full or partial ARN.
_FUNCTION_ARN = re.compile(
    r"^(?:arn:[^:]+:lambda:[^:]+:\d{12}:function:|\d{12}:function:|function:)?"
    r"(?P<name>[a-zA-Z0-9_.-]+)(?::(?P<qualifier>[a-zA-Z0-9$_.-]+))?$"
)


class RunnerMode(enum.StrEnum):
    """Where a runner's executions run; tests written for the existing library read
    ``durable_runner.mode == "local"`` to skip what only a deployed function can do."""

    LOCAL = "local"
    CLOUD = "cloud"


def require_durable_handler(handler: Any, what: str = "handler") -> None:
    """Refuse a handler that ``@durable_execution`` did not wrap.

    An undecorated handler would be given the durable invocation input as its event and
    return something that is not an invocation output; every retry would fail the same way,
    ending in an error that says nothing about the cause.
    """
    if not callable(handler):
        raise DurableFunctionsTestError(f"{what} must be callable, got {handler!r}")
    # The decorator leaves the user's function on the Lambda handler it returns (and
    # functools.wraps carries it through further wrapping decorators).
    if getattr(handler, "_durable_handler", None) is None:
        name = getattr(handler, "__qualname__", None) or repr(handler)
        raise DurableFunctionsTestError(
            f"{what} {name} is not a durable handler: decorate it with "
            "@durable_execution (from aws_durable_execution_sdk_python); a plain Lambda "
            "handler can only be a chained-invoke target (runner.register_function)"
        )


def check_seconds(call: str, seconds: Any, *, allow_infinity: bool = False) -> float:
    """A finite (or, if allowed, infinite), non-negative number of seconds, or a
    ``DurableFunctionsTestError``."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise DurableFunctionsTestError(
            f"{call}(seconds={seconds!r}): expected a number of seconds, "
            f"got {type(seconds).__name__}"
        )
    if math.isnan(seconds) or seconds < 0 or (math.isinf(seconds) and not allow_infinity):
        raise DurableFunctionsTestError(
            f"{call}(seconds={seconds!r}): expected a finite number of seconds >= 0 "
            "(the virtual clock never moves back)"
        )
    return float(seconds)


def normalize_input(value: Any) -> str:
    """As the existing runner does: valid JSON text is kept verbatim, anything else dumped."""
    if isinstance(value, bytes):
        value = value.decode()
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return json.dumps(value)
        return value
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as error:
        raise DurableFunctionsTestError(
            f"run(input=...) must be JSON serialisable, got {type(value).__name__}: {error}"
        ) from error


def function_key(function_name: str) -> str:
    match = _FUNCTION_ARN.match(function_name)
    return match.group("name") if match else function_name


def qualifier(function_name: str) -> str:
    """The version an invoke names; aliases run $LATEST here (one code version locally)."""
    match = _FUNCTION_ARN.match(function_name)
    found = match.group("qualifier") if match else None
    if found and (found.isdigit() or found in ("$LATEST", "$LATEST.PUBLISHED")):
        return found
    return "$LATEST"


def check_name(what: str, value: str) -> None:
    if not NAME.fullmatch(value):
        raise DurableFunctionsTestError(
            f"{what}={value!r}: use letters, digits, '-' and '_' only (an ARN segment)"
        )
