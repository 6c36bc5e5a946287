"""Decorators that turn functions with extra arguments into named durable callables."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from aws_durable_execution_sdk_python.types import StepContext

__all__ = ["durable_step"]

P = ParamSpec("P")
T = TypeVar("T")


def durable_step(
    func: Callable[Concatenate[StepContext, P], T],
) -> Callable[P, Callable[[StepContext], T]]:
    """``@durable_step def charge(ctx, order_id)``: ``charge(order_id)`` is a step ``charge``."""

    @functools.wraps(func)
    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[StepContext], T]:
        def step_body(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        step_body._original_name = func.__name__  # type: ignore[attr-defined]
        return step_body

    bind._original_name = func.__name__  # type: ignore[attr-defined]
    return bind


def original_name(func: Any) -> str | None:
    name = getattr(func, "_original_name", None)
    return name if isinstance(name, str) and name else None
