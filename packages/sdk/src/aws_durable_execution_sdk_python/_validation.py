"""Argument checks shared by the context's methods; each raises ``ValidationError``."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python.config import MAX_WAIT_SECONDS, Duration
from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = [
    "check_callable",
    "check_name",
    "check_sync_function",
    "function_name",
    "refusing_coroutines",
    "wait_seconds",
]

R = TypeVar("R")

_SYNC_ONLY = (
    "durable operations run synchronous functions: define it with def (a synchronous body "
    "may call asyncio.run(...) for async code)"
)

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
    """A synchronous callable; an ``async def`` would only hand back a coroutine to store."""
    if not callable(func):
        raise ValidationError(f"{operation}({what}={func!r}): expected a callable")
    check_sync_function(func, f"{operation}({what}={function_name(func)})")


def check_sync_function(func: Any, where: str) -> None:
    """Refuse an ``async def`` (or a callable whose ``__call__`` is one) before it runs.

    Caught here, at the call, no coroutine is ever created, so nothing warns that one was
    never awaited; ``inspect`` sees through ``functools.partial`` too.
    """
    if _is_async(func) or (
        not inspect.isroutine(func)
        and not isinstance(func, functools.partial)
        # Not a callability test (that was done): is the instance's __call__ an async def?
        and _is_async(getattr(type(func), "__call__", None))  # noqa: B004
    ):
        raise ValidationError(
            f"{where}: {function_name(func)} is an async function, but {_SYNC_ONLY}"
        )


def refusing_coroutines(func: Callable[..., R], where: str) -> Callable[..., R]:
    """``func``, refusing a coroutine it returns (a sync function that calls an async one).

    The coroutine is closed first, so Python does not warn that it was never awaited; the
    ``ValidationError`` is raised inside the operation's body, like any error of the body.
    """

    def call(*args: Any) -> R:
        result = func(*args)
        if inspect.iscoroutine(result):
            result.close()
            raise ValidationError(
                f"{where}: {function_name(func)} returned a coroutine (a call of an async "
                f"function that nothing awaited); {_SYNC_ONLY}"
            )
        return result

    return call


def function_name(func: Any) -> str:
    """How messages name a user's function: its qualified name, through partials."""
    original = getattr(func, "_original_name", None)
    if isinstance(original, str) and original:
        return original
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__qualname__", None)
    return name if isinstance(name, str) else type(func).__qualname__


def _is_async(func: Any) -> bool:
    return func is not None and (
        inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
    )


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
