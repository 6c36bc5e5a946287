"""Seed "Retry strategies": attempts, error filters and backoff delays, checked in the history."""

import datetime
import itertools
import random

import pytest

from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
    use_random,
)
from aws_durable_execution_sdk_python_testing import InvocationStatus
from examples.seed import retry_strategies
from examples.seed.retry_strategies import (
    Outage,
    exponential_backoff_config,
    exponential_backoff_config_without_jitter,
    handler,
    handler_exponential_backoff,
    handler_specific_exceptions,
    handler_with_preset,
    retry_presets_snippet,
)
from examples.seed.seed_history import assert_jittered, failed_attempts, retry_delays

# Delays before jitter of each preset, and its jitter: the seed's comments, plus RetryPresets' docs.
PRESETS = {
    "none": ([], JitterStrategy.FULL),
    "default": ([5, 10, 20, 40, 60], JitterStrategy.FULL),
    "transient": ([5, 10], JitterStrategy.HALF),
    "resource_availability": ([5, 10, 20, 40], JitterStrategy.FULL),
    "critical": ([1.5**n for n in range(9)], JitterStrategy.NONE),
}
PRESET_ATTEMPTS = {
    "none": 1,
    "default": 6,
    "transient": 3,
    "resource_availability": 5,
    "critical": 10,
}

# Far more attempts than any strategy here allows: a strategy still retrying then never gives up.
MAX_ASKED_ATTEMPTS = 100


def decisions(strategy, error):
    """Ask ``strategy`` after each failed attempt until it gives up; the delays it chose."""
    delays = []
    attempt = 1
    with use_random(random.Random(0)):
        while (decision := strategy(error, attempt)).should_retry:
            delays.append(decision.delay_seconds)
            attempt += 1
            if attempt > MAX_ASKED_ATTEMPTS:
                pytest.fail(f"the retry strategy still retries after {MAX_ASKED_ATTEMPTS} attempts")
    return attempt, delays


# --- Creating retry strategies -------------------------------------------------------------


@pytest.mark.durable_execution(handler=handler, lambda_function_name="retry_config")
def test_retry_config_success_first_time(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "success"
    assert result.get_step("unreliable_operation").attempt == 1


@pytest.mark.parametrize("error", [RuntimeError, ConnectionError])
@pytest.mark.durable_execution(handler=handler, lambda_function_name="retry_config")
def test_retry_config_retries_listed_error_types(durable_runner, monkeypatch, error):
    monkeypatch.setattr(retry_strategies, "UNRELIABLE", Outage(failures=2, error=error))
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == "success"
    assert result.get_step("unreliable_operation").attempt == 3
    # 1 s then 2 s before FULL jitter (backoff 2.0, cap 10 s).
    assert_jittered(retry_delays(result, "unreliable_operation"), [1, 2], JitterStrategy.FULL)


@pytest.mark.durable_execution(handler=handler, lambda_function_name="retry_config")
def test_retry_config_gives_up_after_max_attempts(durable_runner, monkeypatch):
    monkeypatch.setattr(retry_strategies, "UNRELIABLE", Outage(failures=3))
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert "RuntimeError" in str(result.error)
    assert result.error["message"] == "attempt 3 failed"
    assert result.get_step("unreliable_operation").attempt == 3


@pytest.mark.durable_execution(handler=handler, lambda_function_name="retry_config")
def test_retry_config_does_not_retry_unlisted_error_types(durable_runner, monkeypatch):
    monkeypatch.setattr(retry_strategies, "UNRELIABLE", Outage(failures=1, error=ValueError))
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ValueError"
    assert result.get_step("unreliable_operation").attempt == 1
    assert retry_delays(result, "unreliable_operation") == []


def test_retry_strategy_config_defaults():
    """The documented defaults: 3 attempts, 5 s, 300 s, rate 2.0, FULL jitter, every error."""
    config = RetryStrategyConfig()
    assert config.max_attempts == 3
    assert config.initial_delay_seconds == 5
    assert config.max_delay_seconds == 300
    assert config.backoff_rate == 2.0
    assert config.jitter_strategy is JitterStrategy.FULL
    attempts, delays = decisions(create_retry_strategy(config), KeyError("anything"))
    assert attempts == 3
    assert_jittered(delays, [5, 10], JitterStrategy.FULL)


def test_retryable_errors_match_message_patterns():
    config = RetryStrategyConfig(retryable_errors=["timed out"])
    strategy = create_retry_strategy(config)
    assert strategy(RuntimeError("request timed out"), 1).should_retry
    assert not strategy(RuntimeError("bad request"), 1).should_retry


# --- Retry presets -----------------------------------------------------------------------


def test_retry_presets_snippet_builds_step_configs():
    configs = retry_presets_snippet()
    assert set(configs) == set(PRESETS)
    assert all(callable(config.retry_strategy) for config in configs.values())


@pytest.mark.parametrize("preset", list(PRESETS))
def test_retry_preset_decisions(preset):
    bases, jitter = PRESETS[preset]
    attempts, delays = decisions(getattr(RetryPresets, preset)(), RuntimeError("boom"))
    assert attempts == PRESET_ATTEMPTS[preset]
    assert_jittered(delays, bases, jitter)


def test_critical_preset_delays_are_exact():
    _, delays = decisions(RetryPresets.critical(), RuntimeError("boom"))
    assert delays == [1, 2, 3, 4, 6, 8, 12, 18, 26]


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.durable_execution(handler=handler_with_preset, lambda_function_name="presets")
def test_retry_preset_in_a_step(durable_runner, preset):
    with durable_runner:
        result = durable_runner.run(input={"preset": preset}, timeout=10)

    attempts = PRESET_ATTEMPTS[preset]
    bases, jitter = PRESETS[preset]
    assert result.status is InvocationStatus.FAILED
    assert "RuntimeError" in str(result.error)
    assert result.error["message"] == f"attempt {attempts} failed"
    assert result.get_step("always_fails").attempt == attempts
    assert_jittered(retry_delays(result, "always_fails"), bases, jitter)


# --- Retrying specific exceptions ----------------------------------------------------------


def random_sequence(*values):
    draws = iter(values)
    return lambda: next(draws)


@pytest.mark.durable_execution(
    handler=handler_specific_exceptions, lambda_function_name="specific_exceptions"
)
def test_call_api_succeeds(durable_runner, monkeypatch):
    monkeypatch.setattr(retry_strategies, "random", random_sequence(0.1))
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"status": "success"}
    assert result.get_step("call_api").attempt == 1


@pytest.mark.durable_execution(
    handler=handler_specific_exceptions, lambda_function_name="specific_exceptions"
)
def test_connection_error_is_retried_until_success(durable_runner, monkeypatch):
    monkeypatch.setattr(retry_strategies, "random", random_sequence(0.9, 0.9, 0.1))
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {"status": "success"}
    assert result.get_step("call_api").attempt == 3
    errors = [f["Error"]["Payload"]["ErrorType"] for f in failed_attempts(result, "call_api")]
    assert errors == ["ConnectionError", "ConnectionError"]
    # Default initial delay 5 s, backoff 2.0, FULL jitter.
    assert_jittered(retry_delays(result, "call_api"), [5, 10], JitterStrategy.FULL)


@pytest.mark.durable_execution(
    handler=handler_specific_exceptions, lambda_function_name="specific_exceptions"
)
def test_connection_error_fails_after_three_attempts(durable_runner, monkeypatch):
    monkeypatch.setattr(retry_strategies, "random", lambda: 0.9)
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.error["error_type"] == "ConnectionError"
    assert result.error["message"] == "Network timeout"
    assert result.get_step("call_api").attempt == 3


@pytest.mark.durable_execution(
    handler=handler_specific_exceptions, lambda_function_name="specific_exceptions"
)
def test_other_exceptions_are_not_retried(durable_runner, monkeypatch):
    def broken_random():
        raise RuntimeError("random source unavailable")

    monkeypatch.setattr(retry_strategies, "random", broken_random)
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert "RuntimeError" in str(result.error)
    assert result.get_step("call_api").attempt == 1
    assert retry_delays(result, "call_api") == []


# --- Exponential backoff -------------------------------------------------------------------


def test_exponential_backoff_decisions_without_jitter():
    strategy = create_retry_strategy(exponential_backoff_config_without_jitter())
    attempts, delays = decisions(strategy, RuntimeError("boom"))
    assert attempts == 5
    assert delays == [1, 2, 4, 8]


def test_exponential_backoff_decisions_with_default_jitter():
    config = exponential_backoff_config()
    assert config.jitter_strategy is JitterStrategy.FULL  # the seed's snippet keeps the default
    attempts, delays = decisions(create_retry_strategy(config), RuntimeError("boom"))
    assert attempts == 5
    assert_jittered(delays, [1, 2, 4, 8], JitterStrategy.FULL)


def attempt_starts(result, name):
    return [
        e["EventTimestamp"]
        for e in result.history
        if e["EventType"] == "StepStarted" and e.get("Name") == name
    ]


@pytest.mark.durable_execution(handler=handler_exponential_backoff, lambda_function_name="backoff")
def test_exponential_backoff_in_a_step_without_jitter(durable_runner):
    """Attempt 1 immediate, then after 1, 2, 4 and 8 seconds (on the virtual clock)."""
    with durable_runner:
        result = durable_runner.run(input={"jitter": "NONE"}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.get_step("always_fails").attempt == 5
    assert retry_delays(result, "always_fails") == [1, 2, 4, 8]
    starts = attempt_starts(result, "always_fails")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    for gap, delay in zip(gaps, [1, 2, 4, 8], strict=True):
        assert datetime.timedelta(seconds=delay) <= gap < datetime.timedelta(seconds=delay + 1)


@pytest.mark.durable_execution(handler=handler_exponential_backoff, lambda_function_name="backoff")
def test_exponential_backoff_in_a_step_with_default_jitter(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={}, timeout=10)

    assert result.status is InvocationStatus.FAILED
    assert result.get_step("always_fails").attempt == 5
    assert_jittered(retry_delays(result, "always_fails"), [1, 2, 4, 8], JitterStrategy.FULL)
