"""Argument checks shared by the context's methods; each raises ``ValidationError``."""

from __future__ import annotations

import math
from typing import Any

from aws_durable_execution_sdk_python.config import MAX_WAIT_SECONDS, Duration
from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = ["check_callable", "check_name", "wait_seconds"]

_MAX_NAME_LENGTH = 256  # OperationName in botocore's model: 1..256 printable ASCII


def check_name(name: object, operation: str) -> str | None:
    """``None`` means unnamed; ``""`` is a mistake (docs/decisions.md, "Names: None is
    unnamed, empty is invalid")."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValidationError(f"{operation}(name={name!r}): name must be a str or None")
    if not name:
        raise ValidationError(
            f"{operation}(name=''): name must not be empty; pass name=None for an unnamed operation"
        )
    if len(name) > _MAX_NAME_LENGTH:
        raise ValidationError(
            f"{operation}(name=...): name is {len(name)} characters, the service allows at "
            f"most {_MAX_NAME_LENGTH}"
        )
    if not name.isascii() or not name.isprintable():
        raise ValidationError(
            f"{operation}(name={name!r}): the service accepts only printable ASCII in names"
        )
    return name


def check_callable(func: Any, operation: str, what: str = "func") -> None:
    if not callable(func):
        raise ValidationError(f"{operation}({what}={func!r}): expected a callable")


def wait_seconds(duration: object, operation: str) -> int:
    if isinstance(duration, Duration):
        seconds = duration.seconds
    elif isinstance(duration, int | float) and not isinstance(duration, bool):
        if isinstance(duration, float) and not math.isfinite(duration):
            raise ValidationError(
                f"{operation}(duration={duration!r}): must be a finite number of seconds"
            )
        if duration < 0:
            raise ValidationError(f"{operation}(duration={duration!r}): must not be negative")
        seconds = int(duration)
    else:
        raise ValidationError(
            f"{operation}(duration={duration!r}): expected a Duration, "
            "e.g. Duration.from_seconds(30)"
        )
    if seconds < 1:
        raise ValidationError(
            f"{operation}(duration={duration!r}): duration must be at least 1 second"
        )
    if seconds > MAX_WAIT_SECONDS:
        raise ValidationError(
            f"{operation}(duration={duration!r}): the service allows at most "
            f"{MAX_WAIT_SECONDS} seconds"
        )
    return seconds
