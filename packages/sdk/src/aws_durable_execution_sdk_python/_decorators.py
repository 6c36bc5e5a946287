"""Decorators that turn functions with extra arguments into named durable callables."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from aws_durable_execution_sdk_python._validation import check_sync_function
from aws_durable_execution_sdk_python.config import ParallelBranch
from aws_durable_execution_sdk_python.types import StepContext

__all__ = [
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
]

P = ParamSpec("P")
T = TypeVar("T")


def durable_step(
    func: Callable[Concatenate[StepContext, P], T],
) -> Callable[P, Callable[[StepContext], T]]:
    """``@durable_step def charge(ctx, order_id)``: ``charge(order_id)`` is a step ``charge``.

    Raises:
        ValidationError: ``func`` is an ``async def``; refused here, where it is written.
    """
    check_sync_function(func, f"durable_step({func.__name__})")

    @functools.wraps(func)
    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[StepContext], T]:
        def step_body(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        step_body._original_name = func.__name__  # type: ignore[attr-defined]
        return step_body

    bind._original_name = func.__name__  # type: ignore[attr-defined]
    return bind


def _bind_named(func: Callable[..., T], decorator: str) -> Callable[..., Callable[..., T]]:
    """``f(first, *a, **kw)`` becomes ``f(*a, **kw)`` returning ``lambda first: f(first, ...)``."""
    check_sync_function(func, f"{decorator}({func.__name__})")

    @functools.wraps(func)
    def bind(*args: Any, **kwargs: Any) -> Callable[..., T]:
        def body(*leading: Any) -> T:
            return func(*leading, *args, **kwargs)

        body._original_name = func.__name__  # type: ignore[attr-defined]
        return body

    bind._original_name = func.__name__  # type: ignore[attr-defined]
    return bind


def durable_with_child_context(func: Callable[..., T]) -> Callable[..., Callable[..., T]]:
    """``@durable_with_child_context def block(ctx, x)``: ``run_in_child_context(block(x))``."""
    return _bind_named(func, "durable_with_child_context")


def durable_wait_for_callback(func: Callable[..., T]) -> Callable[..., Callable[..., T]]:
    """``@durable_wait_for_callback def notify(callback_id, ctx, x)``: a named submitter."""
    return _bind_named(func, "durable_wait_for_callback")


def original_name(func: Any) -> str | None:
    name = getattr(func, "_original_name", None)
    return name if isinstance(name, str) and name else None


def durable_parallel_branch(
    name: str | None = None,
) -> Callable[[Callable[..., T]], Callable[..., ParallelBranch[T]]]:
    """``@durable_parallel_branch(name="a") def b(ctx, x)``: ``b(x)`` is a named branch."""

    def decorator(func: Callable[..., T]) -> Callable[..., ParallelBranch[T]]:
        check_sync_function(func, f"durable_parallel_branch(name={name!r})({func.__name__})")

        @functools.wraps(func)
        def bind(*args: Any, **kwargs: Any) -> ParallelBranch[T]:
            def branch(context: Any) -> T:
                return func(context, *args, **kwargs)

            return ParallelBranch(branch, name)

        return bind

    return decorator
