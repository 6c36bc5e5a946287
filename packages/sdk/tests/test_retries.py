"""Retry configs, strategies and presets: delay bounds as properties, presets as tables."""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aws_durable_execution_sdk_python.config import Duration, JitterStrategy
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
    current_random,
    use_random,
)

Strategy = Callable[[BaseException, int], RetryDecision]


class _AlmostOne(random.Random):
    """Draws just under 1, so FULL and HALF jitter keep (almost) the whole base delay."""

    def random(self) -> float:
        return 1 - 1e-12


def _delays(strategy: Strategy, attempts: int, error: BaseException | None = None) -> list[int]:
    error = error or RuntimeError("boom")
    decisions = [strategy(error, n) for n in range(1, attempts + 1)]
    return [d.delay_seconds for d in decisions if d.should_retry]


def _exponential_base(config: RetryStrategyConfig, attempts_made: int) -> float:
    grown = config.initial_delay_seconds * config.backoff_rate ** (attempts_made - 1)
    return min(grown, config.max_delay_seconds)


exponential_configs = st.builds(
    RetryStrategyConfig,
    max_attempts=st.integers(1, 30),
    initial_delay=st.integers(0, 600).map(Duration),
    max_delay=st.integers(0, 3600).map(Duration),
    backoff_rate=st.floats(0.1, 5.0),
    jitter_strategy=st.sampled_from(JitterStrategy),
)
attempts = st.integers(1, 29)
seeds = st.integers(0, 2**32)


# --- delay bounds -------------------------------------------------------------------------


@given(config=exponential_configs, attempts_made=attempts, seed=seeds)
def test_delay_is_whole_seconds_within_jitter_bounds(
    config: RetryStrategyConfig, attempts_made: int, seed: int
) -> None:
    with use_random(random.Random(seed)):
        decision = create_retry_strategy(config)(RuntimeError("x"), attempts_made)
    if attempts_made >= config.max_attempts:
        assert decision == RetryDecision.no_retry()
        return
    assert decision.should_retry
    delay, base = decision.delay_seconds, _exponential_base(config, attempts_made)
    assert isinstance(delay, int)
    assert delay >= 1
    if config.jitter_strategy is JitterStrategy.NONE:
        assert delay == max(1, math.ceil(base))
    elif config.jitter_strategy is JitterStrategy.HALF:
        assert max(1, math.ceil(base / 2)) <= delay <= max(1, math.ceil(base))
    else:
        assert delay <= max(1, math.ceil(base))


@given(
    max_attempts=st.integers(1, 30),
    initial=st.integers(0, 100),
    increment=st.integers(0, 100),
    cap=st.integers(0, 1000),
    attempts_made=attempts,
    seed=seeds,
)
def test_linear_delay_is_within_full_jitter_bounds(
    max_attempts: int, initial: int, increment: int, cap: int, attempts_made: int, seed: int
) -> None:
    config = LinearRetryStrategyConfig(
        max_attempts,
        initial_delay_seconds=initial,
        increment_seconds=increment,
        max_delay_seconds=cap,
    )
    with use_random(random.Random(seed)):
        decision = create_linear_retry_strategy(config)(RuntimeError("x"), attempts_made)
    if attempts_made >= max_attempts:
        assert not decision.should_retry
        return
    base = min(initial + increment * (attempts_made - 1), cap)
    assert 1 <= decision.delay_seconds <= max(1, base)


@given(config=exponential_configs, extra=st.integers(0, 10))
def test_never_retries_once_attempts_are_used_up(config: RetryStrategyConfig, extra: int) -> None:
    decision = create_retry_strategy(config)(RuntimeError("x"), config.max_attempts + extra)
    assert decision == RetryDecision(False, Duration(0))


@given(config=exponential_configs, seed=seeds)
def test_same_seed_gives_same_delays(config: RetryStrategyConfig, seed: int) -> None:
    strategy = create_retry_strategy(config)
    runs = []
    for _ in range(2):
        with use_random(random.Random(seed)):
            runs.append(_delays(strategy, config.max_attempts))
    assert runs[0] == runs[1]


def test_use_random_restores_the_previous_source() -> None:
    before = current_random()
    outer, inner = random.Random(1), random.Random(2)
    with use_random(outer):
        assert current_random() is outer
        with use_random(inner):
            assert current_random() is inner
        assert current_random() is outer
    assert current_random() is before


def test_use_random_rejects_non_generators() -> None:
    with pytest.raises(ValidationError), use_random(42):  # type: ignore[arg-type]
        pass


def test_huge_exponents_are_capped_not_overflowing() -> None:
    config = RetryStrategyConfig(5000, 1, 60, 10.0, JitterStrategy.NONE)
    assert create_retry_strategy(config)(RuntimeError(), 4000).delay_seconds == 60


# --- presets and documented examples (delays before jitter) -------------------------------


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (RetryPresets.none(), []),
        (RetryPresets.default(), [5, 10, 20, 40, 60]),
        (RetryPresets.transient(), [5, 10]),
        (RetryPresets.resource_availability(), [5, 10, 20, 40]),
        (RetryPresets.critical(), [1, 2, 3, 4, 6, 8, 12, 18, 26]),
        (RetryPresets.linear(), [1, 2, 3, 4, 5]),
        (RetryPresets.fixed(), [5, 5, 5, 5]),
        (RetryPresets.fixed(Duration(30)), [30, 30, 30, 30]),
        (
            create_retry_strategy(
                RetryStrategyConfig(
                    max_attempts=5,
                    initial_delay_seconds=1,
                    max_delay_seconds=60,
                    backoff_rate=2.0,
                    jitter_strategy=JitterStrategy.NONE,
                )
            ),
            [1, 2, 4, 8],
        ),
    ],
    ids=repr,
)
def test_preset_delays_before_jitter(strategy: Strategy, expected: list[int]) -> None:
    with use_random(_AlmostOne()):
        assert _delays(strategy, 20) == expected


def test_default_config_has_three_attempts() -> None:
    with use_random(_AlmostOne()):
        assert _delays(create_retry_strategy(), 10) == [5, 10]
        assert _delays(create_linear_retry_strategy(), 10) == [1, 2, 3, 4, 5]


def test_strategies_compare_by_config_and_show_it() -> None:
    assert RetryPresets.default() == RetryPresets.default()
    assert RetryPresets.default() != RetryPresets.critical()
    assert "max_attempts=10" in repr(RetryPresets.critical())


# --- error filters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "retried"),
    [
        ({}, RuntimeError("anything"), True),
        ({}, KeyError(), True),
        ({"retryable_error_types": [ConnectionError]}, ConnectionError("x"), True),
        ({"retryable_error_types": [ConnectionError]}, ConnectionResetError("sub"), True),
        ({"retryable_error_types": [ConnectionError]}, ValueError("ConnectionError"), False),
        ({"retryable_errors": ["timeout"]}, RuntimeError("read timeout after 3 s"), True),
        ({"retryable_errors": ["timeout"]}, RuntimeError("Timeout"), False),
        ({"retryable_errors": [re.compile(r"^5\d\d ")]}, RuntimeError("503 unavailable"), True),
        ({"retryable_errors": [re.compile(r"^5\d\d ")]}, RuntimeError("code 503 "), False),
        ({"retryable_errors": [re.compile("(?i)timeout")]}, RuntimeError("TIMEOUT"), True),
        (
            {"retryable_errors": ["throttled"], "retryable_error_types": [KeyError]},
            KeyError("k"),
            True,
        ),
        (
            {"retryable_errors": ["throttled"], "retryable_error_types": [KeyError]},
            ValueError("request throttled"),
            True,
        ),
        (
            {"retryable_errors": ["throttled"], "retryable_error_types": [KeyError]},
            ValueError("nope"),
            False,
        ),
        ({"retryable_errors": []}, RuntimeError("x"), False),
    ],
)
def test_error_filters(kwargs: dict[str, Any], error: BaseException, retried: bool) -> None:
    strategy = create_retry_strategy(RetryStrategyConfig(**kwargs))
    assert strategy(error, 1).should_retry is retried
    linear = create_linear_retry_strategy(LinearRetryStrategyConfig(**kwargs))
    assert linear(error, 1).should_retry is retried


# --- construction -------------------------------------------------------------------------


def test_seconds_keywords_and_durations_are_interchangeable() -> None:
    assert RetryStrategyConfig(initial_delay_seconds=1).initial_delay == Duration(1)
    config = RetryStrategyConfig(initial_delay=Duration(7), max_delay_seconds=70)
    assert (config.initial_delay_seconds, config.max_delay_seconds) == (7, 70)
    assert config == RetryStrategyConfig(initial_delay_seconds=7, max_delay=Duration(70))
    linear = LinearRetryStrategyConfig(increment_seconds=3)
    assert (linear.initial_delay_seconds, linear.increment_seconds) == (1, 3)
    assert linear.increment == Duration(3)
    assert linear.max_delay_seconds == 300


def test_defaults() -> None:
    config = RetryStrategyConfig()
    assert (config.max_attempts, config.initial_delay_seconds, config.max_delay_seconds) == (
        3,
        5,
        300,
    )
    assert config.backoff_rate == 2.0
    assert config.jitter_strategy is JitterStrategy.FULL
    assert config.retryable_errors is None
    assert config.retryable_error_types is None
    assert LinearRetryStrategyConfig().max_attempts == 6


def test_positional_order_and_string_jitter() -> None:
    config = RetryStrategyConfig(4, Duration(2), Duration(9), 3, "HALF", ["a"], [KeyError])
    assert config.max_attempts == 4
    assert (config.initial_delay, config.max_delay) == (Duration(2), Duration(9))
    assert config.backoff_rate == 3.0
    assert config.jitter_strategy is JitterStrategy.HALF
    assert list(config.retryable_errors or ()) == ["a"]
    assert list(config.retryable_error_types or ()) == [KeyError]


def test_configs_are_frozen_and_evolve() -> None:
    config = RetryStrategyConfig()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        config.max_attempts = 9  # type: ignore[misc]
    assert attrs.evolve(config, max_attempts=9).max_attempts == 9


def test_retry_decision() -> None:
    assert RetryDecision.retry(3) == RetryDecision(True, Duration(3))
    assert RetryDecision.retry(Duration(4)).delay_seconds == 4
    assert RetryDecision.no_retry() == RetryDecision(False)
    assert RetryDecision.no_retry().delay_seconds == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"max_attempts": 1.5},
        {"max_attempts": True},
        {"max_attempts": "3"},
        {"backoff_rate": 0},
        {"backoff_rate": -1},
        {"backoff_rate": math.nan},
        {"backoff_rate": math.inf},
        {"backoff_rate": True},
        {"backoff_rate": "2"},
        {"initial_delay_seconds": -1},
        {"max_delay_seconds": -5},
        {"initial_delay": -1},
        {"initial_delay_seconds": math.nan},
        {"initial_delay": Duration(1), "initial_delay_seconds": 1},
        {"max_delay": Duration(1), "max_delay_seconds": 1},
        {"jitter_strategy": "full"},
        {"jitter_strategy": 1},
        {"retryable_errors": [3]},
        {"retryable_errors": "timeout"},
        {"retryable_errors": [re.compile(b"bytes")]},
        {"retryable_error_types": ["ValueError"]},
        {"retryable_error_types": [int]},
        {"retryable_error_types": ValueError},
    ],
    ids=repr,
)
def test_bad_config_raises_validation_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as excinfo:
        RetryStrategyConfig(**kwargs)
    assert "RetryStrategyConfig" in str(excinfo.value)
    assert any(name in str(excinfo.value) for name in kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"increment_seconds": -1},
        {"increment": Duration(1), "increment_seconds": 1},
        {"retryable_error_types": ["ValueError"]},
    ],
    ids=repr,
)
def test_bad_linear_config_raises_validation_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="LinearRetryStrategyConfig"):
        LinearRetryStrategyConfig(**kwargs)


def test_messages_name_the_value_and_range() -> None:
    with pytest.raises(ValidationError, match=r"max_attempts=0 .*>= 1"):
        RetryStrategyConfig(max_attempts=0)
    with pytest.raises(ValidationError, match=r"backoff_rate=nan .*finite number > 0"):
        RetryStrategyConfig(backoff_rate=math.nan)


@pytest.mark.parametrize(
    "call",
    [
        lambda: create_retry_strategy(LinearRetryStrategyConfig()),  # type: ignore[arg-type]
        lambda: create_linear_retry_strategy(RetryStrategyConfig()),  # type: ignore[arg-type]
        lambda: RetryPresets.fixed(-1),
    ],
)
def test_bad_strategy_arguments_raise_validation_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValidationError):
        call()
