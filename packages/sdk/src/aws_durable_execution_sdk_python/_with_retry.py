"""``with_retry``: retry a block of durable code (not just one step) with durable backoff.

Each attempt calls ``func(context, attempt)``; a failure asks the retry strategy, and a
retry waits with a durable ``wait`` (so a long backoff suspends the function instead of
keeping it running). By default the loop runs in its own child context, so a final failure
surfaces as ``ChildContextError`` with the original as its cause.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import attrs

from aws_durable_execution_sdk_python._retry_strategies import (
    RetryStrategy,
    RetryStrategyConfig,
    as_retry_strategy,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python.config import ChildConfig
from aws_durable_execution_sdk_python.exceptions import (
    SerDesError,
    UnrecoverableError,
    ValidationError,
)
from aws_durable_execution_sdk_python.types import DurableContext

__all__ = ["WithRetryConfig", "with_retry"]

T = TypeVar("T")

_NOT_RETRYABLE = (UnrecoverableError, ValidationError, SerDesError)


def _retry_strategy(value: RetryStrategy | RetryStrategyConfig | None) -> RetryStrategy | None:
    return as_retry_strategy(value, "WithRetryConfig")


@attrs.frozen
class WithRetryConfig(Generic[T]):
    """``retry_strategy`` defaults to ``create_retry_strategy()`` (3 attempts); a
    ``RetryStrategyConfig`` means the strategy built from it, as for ``StepConfig``.

    Raises:
        ValidationError: ``retry_strategy`` is neither a strategy, a config nor None.
    """

    retry_strategy: RetryStrategy | None = attrs.field(default=None, converter=_retry_strategy)
    wrap_with_run_in_child_context: bool = True
    child_context_config: ChildConfig[T] | None = None


def with_retry(
    context: DurableContext,
    func: Callable[[Any, int], T],
    config: WithRetryConfig[T] | None = None,
    name: str | None = None,
) -> T:
    """Run ``func(context, attempt)`` until it succeeds or the strategy gives up.

    Raises:
        ChildContextError: the last attempt failed (when wrapped in a child context).
        ValidationError: ``func`` is not callable.
    """
    if not callable(func):
        raise ValidationError(f"with_retry(func={func!r}): expected a callable")
    config = config or WithRetryConfig()
    strategy = config.retry_strategy or create_retry_strategy()

    def attempts(ctx: DurableContext) -> T:
        attempt = 1
        while True:
            try:
                return func(ctx, attempt)
            except _NOT_RETRYABLE:
                # docs/decisions.md, "Non-retryable SDK exceptions inside steps": the same
                # rule for a retried block as for a step; no strategy is asked.
                raise
            except Exception as error:
                decision = strategy(error, attempt)
                if not decision.should_retry:
                    raise
                backoff = f"{name}-backoff-{attempt}" if name else None
                ctx.wait(max(1, int(decision.delay_seconds)), name=backoff)
                attempt += 1

    if config.wrap_with_run_in_child_context:
        result: T = context.run_in_child_context(
            attempts, name=name, config=config.child_context_config
        )
        return result
    return attempts(context)
