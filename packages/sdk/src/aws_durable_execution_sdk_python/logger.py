"""``context.logger``: a replay-aware logger that adds the execution's coordinates.

While a context re-walks operations that earlier invocations already ran, its logger is
silent, so each message appears once per execution, not once per invocation. Every record
carries ``executionArn`` and, where known, ``parentId``, ``operationId``, ``operationName``
and ``attempt`` as ``extra`` fields, which any ``logging`` handler or JSON formatter can use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["Logger", "LoggerInterface"]


class LoggerInterface(Protocol):
    """What a logger must offer to stand behind ``context.logger`` (stdlib, Powertools...)."""

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...
    def info(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...
    def warning(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...
    def error(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...
    def exception(self, msg: object, *args: Any, **kwargs: Any) -> Any: ...


def never_replaying() -> bool:
    """For loggers of code that really runs (a step body): never silenced."""
    return False


class Logger:
    """Wraps a logger: merges the durable ``extra`` fields and drops records during replay."""

    __slots__ = ("_extra", "_is_replaying", "_logger")

    def __init__(
        self,
        logger: LoggerInterface | None = None,
        extra: Mapping[str, Any] | None = None,
        is_replaying: Callable[[], bool] = never_replaying,
    ) -> None:
        self._logger: LoggerInterface = logger if logger is not None else logging.getLogger()
        self._extra = {k: v for k, v in (extra or {}).items() if v is not None}
        self._is_replaying = is_replaying

    @property
    def extra(self) -> dict[str, Any]:
        return dict(self._extra)

    def get_logger(self) -> LoggerInterface:
        return self._logger

    def with_extra(self, **fields: Any) -> Logger:
        return Logger(self._logger, {**self._extra, **fields}, self._is_replaying)

    def derive(self, is_replaying: Callable[[], bool], **fields: Any) -> Logger:
        """More fields and another replay test, in one step (the per-operation logger)."""
        return Logger(self._logger, {**self._extra, **fields}, is_replaying)

    def with_is_replaying(self, is_replaying: Callable[[], bool]) -> Logger:
        return Logger(self._logger, self._extra, is_replaying)

    def with_logger(self, logger: LoggerInterface) -> Logger:
        return Logger(logger, self._extra, self._is_replaying)

    def _emit(
        self, method: str, msg: object, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        if self._is_replaying():
            return
        extra = kwargs.pop("extra", None)
        merged = {**self._extra, **(extra or {})}
        target = getattr(self._logger, method)
        if isinstance(self._logger, logging.Logger):
            kwargs.setdefault("stacklevel", 3)
        target(msg, *args, extra=merged, **kwargs)

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("debug", msg, args, kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("info", msg, args, kwargs)

    def warning(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("warning", msg, args, kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("error", msg, args, kwargs)

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("exception", msg, args, kwargs)

    def critical(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self._emit("critical", msg, args, kwargs)
