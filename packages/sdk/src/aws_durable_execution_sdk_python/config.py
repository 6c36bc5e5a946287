"""Configuration values for durable operations: frozen, validated once when built.

Constructors accept both the seed's ``*_seconds`` keywords and the existing SDK's
``Duration`` fields (``CallbackConfig(timeout_seconds=60)`` == ``CallbackConfig(
timeout=Duration.from_minutes(1))``); the ``*_seconds`` names are always readable.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from aws_durable_execution_sdk_python._durability import StepDurability, check_step_durability
from aws_durable_execution_sdk_python._duration import Duration, Numeric, as_duration
from aws_durable_execution_sdk_python._retry_strategies import (
    JitterStrategy,
    RetryStrategy,
    RetryStrategyConfig,
    as_retry_strategy,
)
from aws_durable_execution_sdk_python.exceptions import ValidationError

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python.serdes import SerDes

__all__ = [
    "CallbackConfig",
    "ChildConfig",
    "CompletionConfig",
    "Duration",
    "InvokeConfig",
    "JitterStrategy",
    "MapConfig",
    "NestingType",
    "Numeric",
    "ParallelBranch",
    "ParallelConfig",
    "StepConfig",
    "StepDurability",
    "StepSemantics",
    "WaitForCallbackConfig",
]

T = TypeVar("T")

# The service accepts waits and retry delays of 1 s up to one (leap) year.
MAX_WAIT_SECONDS = 31_622_400
# CallbackOptions.TimeoutSeconds / HeartbeatTimeoutSeconds range in botocore's model.
MAX_CALLBACK_TIMEOUT_SECONDS = 99_999_999


class StepSemantics(enum.Enum):
    """How often a step body may run per retry attempt."""

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


def _check_callable_or_none(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if value is not None and not callable(value):
            raise ValidationError(f"{name} must be callable, got {value!r}")

    return check


def _step_retry_strategy(value: RetryStrategy | RetryStrategyConfig | None) -> RetryStrategy | None:
    return as_retry_strategy(value, "StepConfig")


@attrs.frozen
class StepConfig:
    """How a step retries, how often its body may run, and how its result is stored.

    ``durability``: ``StepDurability.BATCHED`` holds the step's completion to send it with
    later ones (see ``StepDurability`` for when, and for what a crash then repeats);
    ``None`` takes the function's ``@durable_execution(step_durability=...)``, by default
    ``IMMEDIATE``.

    Raises:
        ValidationError: a ``step_semantics`` or ``durability`` that is not a member of
            its enum, or ``BATCHED`` with ``AT_MOST_ONCE_PER_RETRY`` (such a step's START
            must be durable before its body runs, so it cannot wait in a batch).
    """

    retry_strategy: RetryStrategy | None = attrs.field(default=None, converter=_step_retry_strategy)
    step_semantics: StepSemantics = attrs.field(default=StepSemantics.AT_LEAST_ONCE_PER_RETRY)
    serdes: SerDes[Any] | None = None
    durability: StepDurability | None = attrs.field(default=None, kw_only=True)

    @step_semantics.validator
    def _check_semantics(self, _attribute: Any, value: Any) -> None:
        if not isinstance(value, StepSemantics):
            raise ValidationError(
                f"StepConfig.step_semantics must be a StepSemantics member, got {value!r}"
            )

    @durability.validator
    def _check_durability(self, _attribute: Any, value: Any) -> None:
        if value is None:
            return
        check_step_durability(value, "StepConfig", "durability")
        if (
            value is StepDurability.BATCHED
            and self.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        ):
            raise ValidationError(
                "StepConfig(durability=StepDurability.BATCHED, step_semantics="
                "StepSemantics.AT_MOST_ONCE_PER_RETRY): an at-most-once step's START must be "
                "checkpointed before its body runs, so it cannot be batched; use "
                "AT_LEAST_ONCE_PER_RETRY or leave durability unset"
            )


def _callback_timeout(
    value: Duration | Numeric | None, seconds: Numeric | None, name: str
) -> Duration:
    duration = as_duration(value, seconds, name)
    if duration.seconds > MAX_CALLBACK_TIMEOUT_SECONDS:
        raise ValidationError(
            f"{name} must be at most {MAX_CALLBACK_TIMEOUT_SECONDS} seconds, got {duration.seconds}"
        )
    return duration


@attrs.frozen(init=False)
class CallbackConfig:
    """Timeouts (0 = none) and result serdes of a callback."""

    timeout: Duration
    heartbeat_timeout: Duration
    serdes: SerDes[Any] | None

    def __init__(
        self,
        timeout: Duration | Numeric | None = None,
        heartbeat_timeout: Duration | Numeric | None = None,
        serdes: SerDes[Any] | None = None,
        *,
        timeout_seconds: Numeric | None = None,
        heartbeat_timeout_seconds: Numeric | None = None,
    ) -> None:
        self.__attrs_init__(
            _callback_timeout(timeout, timeout_seconds, "timeout"),
            _callback_timeout(heartbeat_timeout, heartbeat_timeout_seconds, "heartbeat_timeout"),
            serdes,
        )

    @property
    def timeout_seconds(self) -> int:
        return self.timeout.seconds

    @property
    def heartbeat_timeout_seconds(self) -> int:
        return self.heartbeat_timeout.seconds


@attrs.frozen(init=False)
class WaitForCallbackConfig(CallbackConfig):  # type: ignore[override]
    """A callback config plus the retry strategy of the submitter step."""

    retry_strategy: RetryStrategy | None

    def __init__(
        self,
        timeout: Duration | Numeric | None = None,
        heartbeat_timeout: Duration | Numeric | None = None,
        serdes: SerDes[Any] | None = None,
        retry_strategy: RetryStrategy | RetryStrategyConfig | None = None,
        *,
        timeout_seconds: Numeric | None = None,
        heartbeat_timeout_seconds: Numeric | None = None,
    ) -> None:
        strategy = as_retry_strategy(retry_strategy, "WaitForCallbackConfig")
        self.__attrs_init__(
            _callback_timeout(timeout, timeout_seconds, "timeout"),
            _callback_timeout(heartbeat_timeout, heartbeat_timeout_seconds, "heartbeat_timeout"),
            serdes,
            strategy,
        )


@attrs.frozen
class InvokeConfig(Generic[T]):
    """Serdes of a chained invoke's payload and result (plain JSON by default)."""

    serdes_payload: SerDes[Any] | None = None
    serdes_result: SerDes[Any] | None = None
    tenant_id: str | None = None


@attrs.frozen
class ChildConfig(Generic[T]):
    """Result serdes and sub-type of a child context."""

    serdes: SerDes[Any] | None = None
    sub_type: Any = None
    summary_generator: Callable[[Any], str] | None = None
    is_virtual: bool = False


class NestingType(enum.Enum):
    """NESTED: a CONTEXT operation per item/branch; FLAT: none (fewer operations)."""

    NESTED = "NESTED"
    FLAT = "FLAT"


def _optional_int(owner: str, name: str, value: object, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            f"{owner}({name}={value!r}): expected None or an int of at least {minimum}"
        )
    return value


@attrs.frozen(init=False)
class CompletionConfig:
    """When a map or parallel is done: enough successes, or too many failures.

    All three ``None`` means fail fast: stop scheduling at the first failure.
    """

    min_successful: int | None
    tolerated_failure_count: int | None
    tolerated_failure_percentage: float | None

    def __init__(
        self,
        min_successful: int | None = None,
        tolerated_failure_count: int | None = None,
        tolerated_failure_percentage: Numeric | None = None,
    ) -> None:
        owner = "CompletionConfig"
        percentage = tolerated_failure_percentage
        if percentage is not None:
            if isinstance(percentage, bool) or not isinstance(percentage, int | float):
                raise ValidationError(
                    f"{owner}(tolerated_failure_percentage={percentage!r}): expected a number"
                )
            if math.isnan(percentage) or not 0 <= percentage <= 100:
                raise ValidationError(
                    f"{owner}(tolerated_failure_percentage={percentage!r}): must be within 0..100"
                )
        self.__attrs_init__(
            _optional_int(owner, "min_successful", min_successful, 1),
            _optional_int(owner, "tolerated_failure_count", tolerated_failure_count, 0),
            None if percentage is None else float(percentage),
        )

    @classmethod
    def first_successful(cls) -> CompletionConfig:
        return cls(min_successful=1)

    @classmethod
    def all_completed(cls) -> CompletionConfig:
        return cls(tolerated_failure_percentage=100)

    @classmethod
    def all_successful(cls) -> CompletionConfig:
        return cls(tolerated_failure_count=0, tolerated_failure_percentage=0)

    def validate_for_total(self, total: int) -> None:
        if self.min_successful is not None and self.min_successful > total:
            raise ValidationError(
                f"CompletionConfig(min_successful={self.min_successful}) cannot be reached with "
                f"{total} items"
            )


def _max_concurrency(owner: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        _optional_int(owner, "max_concurrency", value, 1)

    return check


def _completion(owner: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if not isinstance(value, CompletionConfig):
            raise ValidationError(
                f"{owner}(completion_config={value!r}): expected a CompletionConfig"
            )

    return check


def _nesting(owner: str) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, _attribute: Any, value: Any) -> None:
        if not isinstance(value, NestingType):
            raise ValidationError(f"{owner}(nesting_type={value!r}): expected a NestingType")

    return check


@attrs.frozen
class ParallelConfig:
    """Concurrency, completion policy, serdes and nesting of a ``parallel``."""

    max_concurrency: int | None = attrs.field(
        default=None, validator=_max_concurrency("ParallelConfig")
    )
    completion_config: CompletionConfig = attrs.field(
        factory=CompletionConfig.all_successful, validator=_completion("ParallelConfig")
    )
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: Callable[[Any], str] | None = None
    nesting_type: NestingType = attrs.field(
        default=NestingType.NESTED, validator=_nesting("ParallelConfig")
    )


@attrs.frozen
class MapConfig(Generic[T]):
    """Concurrency, completion policy (fail fast by default), serdes and item names of a map."""

    max_concurrency: int | None = attrs.field(default=None, validator=_max_concurrency("MapConfig"))
    completion_config: CompletionConfig = attrs.field(
        factory=CompletionConfig, validator=_completion("MapConfig")
    )
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: Callable[[Any], str] | None = None
    nesting_type: NestingType = attrs.field(
        default=NestingType.NESTED, validator=_nesting("MapConfig")
    )
    item_namer: Callable[[T, int], str] | None = attrs.field(
        default=None, validator=_check_callable_or_none("MapConfig.item_namer")
    )


@attrs.frozen
class ParallelBranch(Generic[T]):
    """A branch of a ``parallel`` with its own name; callable like its function."""

    func: Callable[[Any], T]
    name: str | None = None

    def __call__(self, context: Any) -> T:
        return self.func(context)
