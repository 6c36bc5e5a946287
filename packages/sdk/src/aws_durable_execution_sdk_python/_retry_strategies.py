"""Retry strategies: configs, the strategies built from them, presets, and the one rule for
accepting a strategy in a config field (``retry_strategy_converter``).

It sits below ``config`` (which uses that rule for every ``retry_strategy`` field) and is
re-exported by the public ``retries`` module.

A strategy is any callable ``(error, attempts_made) -> RetryDecision``; ``attempts_made`` is 1
after the first failure. Delays are whole seconds, at least 1, rounded up after jitter.
Jitter draws from :func:`current_random`, which the test runner seeds per execution
(:func:`use_random`) so that a run is reproducible.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
import math
import random
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeGuard, TypeVar

import attrs

from aws_durable_execution_sdk_python._duration import Duration, Numeric, as_duration
from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = [
    "JitterStrategy",
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategy",
    "RetryStrategyConfig",
    "as_retry_strategy",
    "backoff_seconds",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "current_random",
    "use_random",
]

_F = TypeVar("_F")

# One process-wide generator by default; a ContextVar (not a global) so that concurrent
# executions in one process can each be seeded without seeing each other's draws.
_random_source: contextvars.ContextVar[random.Random] = contextvars.ContextVar(
    "aws_durable_execution_random",
    default=random.Random(),  # noqa: B039 -- deliberately one generator shared by unseeded runs
)


class JitterStrategy(enum.StrEnum):
    """Randomness added to retry delays so that failing clients don't retry in lockstep."""

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"

    def apply_jitter(self, delay: float, random_value: float) -> float:
        """``random_value`` is drawn from [0, 1) by the caller (see ``retries``)."""
        if self is JitterStrategy.NONE:
            return delay
        if self is JitterStrategy.HALF:
            return delay / 2 + random_value * delay / 2
        return random_value * delay


def current_random() -> random.Random:
    """The generator jitter draws from in the current context."""
    return _random_source.get()


@contextlib.contextmanager
def use_random(rng: random.Random) -> Iterator[random.Random]:
    """Make jitter draw from ``rng`` inside the ``with`` block; the previous source is restored.

    Context variables are not inherited by plain threads: work submitted to a thread pool
    sees ``rng`` only when run under ``contextvars.copy_context()``.

    Raises:
        ValidationError: ``rng`` is not a ``random.Random``.
    """
    if not isinstance(rng, random.Random):
        raise ValidationError(f"use_random(rng={rng!r}): expected a random.Random instance")
    token = _random_source.set(rng)
    try:
        yield rng
    finally:
        _random_source.reset(token)


def _to_duration(value: Duration | Numeric) -> Duration:
    return value if isinstance(value, Duration) else Duration(value)


@attrs.frozen
class RetryDecision:
    """A strategy's answer: retry after ``delay``, or give up and let the error propagate."""

    should_retry: bool
    delay: Duration = attrs.field(default=Duration(), converter=_to_duration)

    @property
    def delay_seconds(self) -> int:
        return self.delay.seconds

    @classmethod
    def retry(cls, delay: Duration | int) -> RetryDecision:
        return cls(True, _to_duration(delay))

    @classmethod
    def no_retry(cls) -> RetryDecision:
        return cls(False, Duration())


# A strategy: (error, attempts_made) -> decision; attempts_made is 1 after the first failure.
_Strategy = Callable[[BaseException, int], RetryDecision]
# What a config's ``retry_strategy`` field holds (user strategies are typed loosely).
RetryStrategy = Callable[[Exception, int], Any]


# --- validation helpers, shared by both configs; ``owner`` names the class in messages ---


def _max_attempts(owner: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(
            f"{owner}: max_attempts={value!r} is invalid; expected an int >= 1 "
            "(total attempts, counting the first)"
        )
    return value


def _backoff_rate(owner: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        msg = f"{owner}: backoff_rate={value!r} is invalid; expected a finite number > 0"
        raise ValidationError(msg)
    return float(value)


def _jitter(owner: str, value: object) -> JitterStrategy:
    if isinstance(value, JitterStrategy):
        return value
    if isinstance(value, str) and value in JitterStrategy.__members__:
        return JitterStrategy(value)
    choices = ", ".join(repr(m.value) for m in JitterStrategy)
    msg = f"{owner}: jitter_strategy={value!r} is invalid; expected a JitterStrategy or {choices}"
    raise ValidationError(msg)


def _delay(
    owner: str, name: str, value: Duration | Numeric | None, seconds: Numeric | None, default: int
) -> Duration:
    if value is None and seconds is None:
        return Duration(default)
    try:
        return as_duration(value, seconds, name)
    except ValidationError as exc:
        raise ValidationError(f"{owner}: {exc}") from None


def _is_message_filter(item: object) -> TypeGuard[str | re.Pattern[str]]:
    return isinstance(item, str) or (isinstance(item, re.Pattern) and isinstance(item.pattern, str))


def _is_exception_type(item: object) -> TypeGuard[type[BaseException]]:
    return isinstance(item, type) and issubclass(item, BaseException)


def _filters(
    owner: str, name: str, value: object, ok: Callable[[object], TypeGuard[_F]], expected: str
) -> tuple[_F, ...] | None:
    if value is None:
        return None
    # A lone string is iterable but is not a list of filters: iterating "timeout" would
    # silently retry any message containing a "t".
    if isinstance(value, str | bytes | re.Pattern) or not isinstance(value, Iterable):
        raise ValidationError(f"{owner}: {name}={value!r} is invalid; expected a list or None")
    items = tuple(value)
    for item in items:
        if not ok(item):
            raise ValidationError(f"{owner}: {name} contains {item!r}; expected {expected}")
    return items


def _message_filters(owner: str, value: object) -> tuple[str | re.Pattern[str], ...] | None:
    expected = "message substrings (str) or compiled str patterns (re.compile(...))"
    return _filters(owner, "retryable_errors", value, _is_message_filter, expected)


def _type_filters(owner: str, value: object) -> tuple[type[BaseException], ...] | None:
    expected = "exception classes such as ValueError (the class, not its name)"
    return _filters(owner, "retryable_error_types", value, _is_exception_type, expected)


@attrs.frozen(init=False)
class RetryStrategyConfig:
    """Exponential backoff: ``min(initial_delay * backoff_rate ** (attempts_made - 1), max_delay)``.

    Defaults: 3 attempts, 5 s initial delay, 300 s max delay, rate 2.0, FULL jitter, and
    every error retried. Delays may be given as ``Duration`` or as ``*_seconds`` numbers.
    Filters: when both are None every error is retried; otherwise an error is retried iff
    a ``retryable_errors`` entry matches ``str(error)`` (str: substring, pattern: search)
    or it is an instance of a ``retryable_error_types`` entry.

    Raises:
        ValidationError: a parameter is out of range, or a delay is given in both forms.
    """

    max_attempts: int
    initial_delay: Duration
    max_delay: Duration
    backoff_rate: float
    jitter_strategy: JitterStrategy
    retryable_errors: tuple[str | re.Pattern[str], ...] | None
    retryable_error_types: tuple[type[BaseException], ...] | None

    def __init__(
        self,
        max_attempts: int = 3,
        initial_delay: Duration | Numeric | None = None,
        max_delay: Duration | Numeric | None = None,
        backoff_rate: Numeric = 2.0,
        jitter_strategy: JitterStrategy | str = JitterStrategy.FULL,
        retryable_errors: Iterable[str | re.Pattern[str]] | None = None,
        retryable_error_types: Iterable[type[BaseException]] | None = None,
        *,
        initial_delay_seconds: Numeric | None = None,
        max_delay_seconds: Numeric | None = None,
    ) -> None:
        owner = type(self).__name__
        self.__attrs_init__(
            _max_attempts(owner, max_attempts),
            _delay(owner, "initial_delay", initial_delay, initial_delay_seconds, 5),
            _delay(owner, "max_delay", max_delay, max_delay_seconds, 300),
            _backoff_rate(owner, backoff_rate),
            _jitter(owner, jitter_strategy),
            _message_filters(owner, retryable_errors),
            _type_filters(owner, retryable_error_types),
        )

    @property
    def initial_delay_seconds(self) -> int:
        return self.initial_delay.seconds

    @property
    def max_delay_seconds(self) -> int:
        return self.max_delay.seconds


@attrs.frozen(init=False)
class LinearRetryStrategyConfig:
    """Linear backoff: ``min(initial_delay + increment * (attempts_made - 1), max_delay)``.

    Defaults: 6 attempts, 1 s initial delay, +1 s per retry, 300 s max delay, FULL jitter;
    filters as in :class:`RetryStrategyConfig`.

    Raises:
        ValidationError: a parameter is out of range, or a delay is given in both forms.
    """

    max_attempts: int
    initial_delay: Duration
    increment: Duration
    max_delay: Duration
    jitter_strategy: JitterStrategy
    retryable_errors: tuple[str | re.Pattern[str], ...] | None
    retryable_error_types: tuple[type[BaseException], ...] | None

    def __init__(
        self,
        max_attempts: int = 6,
        initial_delay: Duration | Numeric | None = None,
        increment: Duration | Numeric | None = None,
        max_delay: Duration | Numeric | None = None,
        jitter_strategy: JitterStrategy | str = JitterStrategy.FULL,
        retryable_errors: Iterable[str | re.Pattern[str]] | None = None,
        retryable_error_types: Iterable[type[BaseException]] | None = None,
        *,
        initial_delay_seconds: Numeric | None = None,
        increment_seconds: Numeric | None = None,
        max_delay_seconds: Numeric | None = None,
    ) -> None:
        owner = type(self).__name__
        self.__attrs_init__(
            _max_attempts(owner, max_attempts),
            _delay(owner, "initial_delay", initial_delay, initial_delay_seconds, 1),
            _delay(owner, "increment", increment, increment_seconds, 1),
            _delay(owner, "max_delay", max_delay, max_delay_seconds, 300),
            _jitter(owner, jitter_strategy),
            _message_filters(owner, retryable_errors),
            _type_filters(owner, retryable_error_types),
        )

    @property
    def initial_delay_seconds(self) -> int:
        return self.initial_delay.seconds

    @property
    def increment_seconds(self) -> int:
        return self.increment.seconds

    @property
    def max_delay_seconds(self) -> int:
        return self.max_delay.seconds


def _is_retryable(
    config: RetryStrategyConfig | LinearRetryStrategyConfig, error: BaseException
) -> bool:
    messages, types = config.retryable_errors, config.retryable_error_types
    if messages is None and types is None:
        return True
    if types and isinstance(error, types):
        return True
    if not messages:
        return False
    text = str(error)
    return any((f in text) if isinstance(f, str) else f.search(text) is not None for f in messages)


def _exponential_base(initial: int, rate: float, attempts_made: int, cap: int) -> float:
    if initial == 0:
        return 0.0
    try:
        grown = initial * rate ** (attempts_made - 1)
    except OverflowError:  # float ** raises rather than returning inf; the cap wins anyway
        return float(cap)
    return min(grown, cap)


def backoff_seconds(
    initial: int, rate: float, attempts_made: int, cap: int, jitter: JitterStrategy
) -> int:
    """Exponential backoff after ``attempts_made`` attempts, capped, jittered, whole seconds."""
    return _jittered_seconds(_exponential_base(initial, rate, attempts_made, cap), jitter)


def _jittered_seconds(base: float, jitter: JitterStrategy) -> int:
    """Whole seconds to wait: jitter applied to ``base``, rounded up, at least 1."""
    # NONE draws nothing, so adding a NONE strategy doesn't shift other operations' draws.
    draw = 0.0 if jitter is JitterStrategy.NONE else current_random().random()
    return max(1, math.ceil(jitter.apply_jitter(base, draw)))


# A small frozen object rather than a closure, so that strategies compare equal, hash, and
# show their config in reprs (e.g. inside a StepConfig repr).
@attrs.frozen(repr=False)
class _BackoffStrategy:
    config: RetryStrategyConfig | LinearRetryStrategyConfig

    def __call__(self, error: BaseException, attempts_made: int) -> RetryDecision:
        c = self.config
        if attempts_made >= c.max_attempts or not _is_retryable(c, error):
            return RetryDecision.no_retry()
        if isinstance(c, LinearRetryStrategyConfig):
            grown = c.initial_delay.seconds + c.increment.seconds * (attempts_made - 1)
            base: float = min(grown, c.max_delay.seconds)
        else:
            base = _exponential_base(
                c.initial_delay.seconds, c.backoff_rate, attempts_made, c.max_delay.seconds
            )
        return RetryDecision.retry(_jittered_seconds(base, c.jitter_strategy))

    def __repr__(self) -> str:
        linear = isinstance(self.config, LinearRetryStrategyConfig)
        return f"create_{'linear_' if linear else ''}retry_strategy({self.config!r})"


def create_retry_strategy(config: RetryStrategyConfig | None = None) -> _Strategy:
    """Build an exponential-backoff strategy; ``None`` means ``RetryStrategyConfig()`` (3 attempts).

    Raises:
        ValidationError: ``config`` is not a ``RetryStrategyConfig``.
    """
    if config is None:
        config = RetryStrategyConfig()
    if not isinstance(config, RetryStrategyConfig):
        raise ValidationError(
            f"create_retry_strategy(config={config!r}): expected a RetryStrategyConfig or None"
        )
    return _BackoffStrategy(config)


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> _Strategy:
    """Build a linear-backoff strategy; ``None`` means ``LinearRetryStrategyConfig()``.

    Raises:
        ValidationError: ``config`` is not a ``LinearRetryStrategyConfig``.
    """
    if config is None:
        config = LinearRetryStrategyConfig()
    if not isinstance(config, LinearRetryStrategyConfig):
        raise ValidationError(
            f"create_linear_retry_strategy(config={config!r}): "
            "expected a LinearRetryStrategyConfig or None"
        )
    return _BackoffStrategy(config)


class RetryPresets:
    """Ready-made strategies; the delays listed are before jitter."""

    @classmethod
    def none(cls) -> _Strategy:
        """One attempt: never retry."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @classmethod
    def default(cls) -> _Strategy:
        """What steps use without a strategy: 6 attempts; 5, 10, 20, 40, 60 s; FULL jitter."""
        return create_retry_strategy(RetryStrategyConfig(6, 5, 60, 2, JitterStrategy.FULL))

    @classmethod
    def transient(cls) -> _Strategy:
        """Short blips: 3 attempts; 5, 10 s; HALF jitter."""
        return create_retry_strategy(RetryStrategyConfig(3, 5, 300, 2, JitterStrategy.HALF))

    @classmethod
    def resource_availability(cls) -> _Strategy:
        """Waiting for a resource: 5 attempts; 5, 10, 20, 40 s (cap 300 s); FULL jitter."""
        return create_retry_strategy(RetryStrategyConfig(5, 5, 300, 2, JitterStrategy.FULL))

    @classmethod
    def critical(cls) -> _Strategy:
        """Must succeed: 10 attempts; 1, 2, 3, 4, 6, 8, 12, 18, 26 s (rate 1.5); no jitter."""
        return create_retry_strategy(RetryStrategyConfig(10, 1, 60, 1.5, JitterStrategy.NONE))

    @classmethod
    def linear(cls) -> _Strategy:
        """6 attempts; 1, 2, 3, 4, 5 s; no jitter."""
        config = LinearRetryStrategyConfig(6, 1, 1, 300, JitterStrategy.NONE)
        return create_linear_retry_strategy(config)

    @classmethod
    def fixed(cls, interval: Duration | Numeric | None = None) -> _Strategy:
        """5 attempts, ``interval`` (default 5 s) apart, no jitter.

        Raises:
            ValidationError: ``interval`` is negative or not a duration.
        """
        every = _delay("RetryPresets.fixed", "interval", interval, None, 5)
        return create_retry_strategy(RetryStrategyConfig(5, every, every, 1, JitterStrategy.NONE))


def as_retry_strategy(value: object, owner: str) -> RetryStrategy | None:
    """The one rule for every config field that takes a retry strategy (``owner`` names the
    class in messages): a strategy (any callable) or ``None`` is kept; a
    ``RetryStrategyConfig`` or ``LinearRetryStrategyConfig`` means the strategy built from it
    (docs/decisions.md, "Lenient where existing code has one obvious meaning"); anything else
    is refused.

    Raises:
        ValidationError: ``value`` is neither a strategy, a strategy config nor None.
    """
    if isinstance(value, RetryStrategyConfig):
        return create_retry_strategy(value)
    if isinstance(value, LinearRetryStrategyConfig):
        return create_linear_retry_strategy(value)
    if value is None or callable(value):
        return value
    raise ValidationError(
        f"{owner}(retry_strategy={value!r}): expected a retry strategy (a callable "
        "(error, attempts_made) -> RetryDecision, such as create_retry_strategy(...) or "
        "RetryPresets.default()), a RetryStrategyConfig, or None"
    )
