"""Polling with ``wait_for_condition``: configs, decisions and the backoff wait strategy.

A wait strategy is any callable ``(state, attempts_made) -> WaitForConditionDecision``.
:func:`create_wait_strategy` builds the usual one: stop as soon as the condition holds,
otherwise wait with exponential backoff and jitter, and fail after ``max_attempts``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from aws_durable_execution_sdk_python._duration import Duration, Numeric, as_duration
from aws_durable_execution_sdk_python._retry_strategies import JitterStrategy, backoff_seconds
from aws_durable_execution_sdk_python.exceptions import ValidationError, WaitForConditionError

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python.serdes import SerDes

__all__ = [
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitStrategyConfig",
    "create_wait_strategy",
]

T = TypeVar("T")


@attrs.frozen
class WaitForConditionDecision:
    """Go on polling after ``delay``, or stop (the condition holds)."""

    should_continue: bool
    delay: Duration = attrs.Factory(Duration)

    @property
    def delay_seconds(self) -> int:
        return self.delay.seconds

    @classmethod
    def continue_waiting(cls, delay: Duration | int) -> WaitForConditionDecision:
        return cls(True, delay if isinstance(delay, Duration) else Duration(delay))

    @classmethod
    def stop_polling(cls) -> WaitForConditionDecision:
        return cls(False)


def _positive_int(owner: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{owner}({name}={value!r}): must be an int of at least 1")
    return value


@attrs.frozen(init=False)
class WaitStrategyConfig(Generic[T]):
    """Backoff for polling: 60 attempts, 5 s initial, 5 min max, x1.5, full jitter."""

    should_continue_polling: Callable[[T], bool]
    max_attempts: int
    initial_delay: Duration
    max_delay: Duration
    backoff_rate: float
    jitter_strategy: JitterStrategy

    def __init__(
        self,
        should_continue_polling: Callable[[T], bool],
        max_attempts: int = 60,
        initial_delay: Duration | Numeric | None = None,
        max_delay: Duration | Numeric | None = None,
        backoff_rate: Numeric = 1.5,
        jitter_strategy: JitterStrategy | str = JitterStrategy.FULL,
        *,
        initial_delay_seconds: Numeric | None = None,
        max_delay_seconds: Numeric | None = None,
    ) -> None:
        owner = "WaitStrategyConfig"
        if not callable(should_continue_polling):
            raise ValidationError(f"{owner}(should_continue_polling=...): expected a callable")
        if isinstance(backoff_rate, bool) or not isinstance(backoff_rate, int | float):
            raise ValidationError(f"{owner}(backoff_rate={backoff_rate!r}): expected a number")
        if not math.isfinite(backoff_rate) or backoff_rate <= 0:
            raise ValidationError(f"{owner}(backoff_rate={backoff_rate!r}): must be > 0")
        try:
            jitter = JitterStrategy(jitter_strategy)
        except ValueError:
            raise ValidationError(
                f"{owner}(jitter_strategy={jitter_strategy!r}): expected NONE, FULL or HALF"
            ) from None
        initial = (
            as_duration(initial_delay, initial_delay_seconds, "initial_delay")
            if initial_delay is not None or initial_delay_seconds is not None
            else Duration(5)
        )
        maximum = (
            as_duration(max_delay, max_delay_seconds, "max_delay")
            if max_delay is not None or max_delay_seconds is not None
            else Duration(300)
        )
        self.__attrs_init__(
            should_continue_polling,
            _positive_int(owner, "max_attempts", max_attempts),
            initial,
            maximum,
            float(backoff_rate),
            jitter,
        )

    @property
    def initial_delay_seconds(self) -> int:
        return self.initial_delay.seconds

    @property
    def max_delay_seconds(self) -> int:
        return self.max_delay.seconds


def create_wait_strategy(
    config: WaitStrategyConfig[T],
) -> Callable[[T, int], WaitForConditionDecision]:
    """Stop once the condition holds (checked first); else back off; fail when out of tries."""
    if not isinstance(config, WaitStrategyConfig):
        raise ValidationError(f"create_wait_strategy({config!r}): expected a WaitStrategyConfig")

    def strategy(state: T, attempts_made: int) -> WaitForConditionDecision:
        if not config.should_continue_polling(state):
            return WaitForConditionDecision.stop_polling()
        if attempts_made >= config.max_attempts:
            raise WaitForConditionError(
                f"wait_for_condition exhausted {config.max_attempts} attempts before the "
                "condition was met"
            )
        seconds = backoff_seconds(
            config.initial_delay_seconds,
            config.backoff_rate,
            attempts_made,
            config.max_delay_seconds,
            config.jitter_strategy,
        )
        return WaitForConditionDecision.continue_waiting(Duration(seconds))

    return strategy


@attrs.frozen
class WaitForConditionConfig(Generic[T]):
    """How to poll (``wait_strategy``), from which state, and how the state is stored."""

    wait_strategy: Callable[[T, int], WaitForConditionDecision]
    initial_state: T
    serdes: SerDes[Any] | None = None

    def __attrs_post_init__(self) -> None:
        if not callable(self.wait_strategy):
            raise ValidationError(
                f"WaitForConditionConfig(wait_strategy={self.wait_strategy!r}): expected a "
                "callable (state, attempt) -> WaitForConditionDecision"
            )
