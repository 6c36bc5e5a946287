"""The runner's time: virtual time, real-time bounds, freezegun and reproducible jitter.

docs/decisions.md, "Runner time: real-time bounds, virtual execution clock", "freezegun is
opt-in" and "Seeded jitter".

- Waits and retry backoffs cost no real time, yet the history shows the modelled gaps.
- The execution's own timeout runs on the virtual clock (``durable_execution_timeout``);
  ``run(timeout=...)`` bounds real seconds.
- ``freeze_time=True`` shows user code the virtual time.
- Jitter draws from a source seeded per execution: same seed, same delays.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import Duration, durable_execution
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

DAY = 86_400


def run(handler: Callable[..., Any], **runner_options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


def events(result: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["EventType"] == event_type]


def gap(later: dict[str, Any], earlier: dict[str, Any]) -> float:
    return (later["EventTimestamp"] - earlier["EventTimestamp"]).total_seconds()


def retrying(config: RetryStrategyConfig) -> StepConfig:
    return StepConfig(create_retry_strategy(config))


def assert_ordered(result: Any) -> None:
    stamps = [e["EventTimestamp"] for e in result.history]
    assert stamps == sorted(stamps), result.format_timeline()
    assert [e["EventId"] for e in result.history] == list(range(1, len(stamps) + 1))


# -- virtual time, real-time bounds --------------------------------------------------------


def test_one_day_wait_is_instant_but_history_shows_a_day() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> str:
        context.wait(Duration.from_days(1), name="cool off")
        return "done"

    began = time.monotonic()
    result = run(handler)
    elapsed = time.monotonic() - began

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert elapsed < 2
    [started] = events(result, "WaitStarted")
    [succeeded] = events(result, "WaitSucceeded")
    assert started["WaitStartedDetails"]["Duration"] == DAY
    assert gap(succeeded, started) == pytest.approx(DAY, abs=1)
    scheduled = started["WaitStartedDetails"]["ScheduledEndTimestamp"]
    assert (scheduled - started["EventTimestamp"]).total_seconds() == pytest.approx(DAY, abs=1)
    assert result.get_wait("cool off").scheduled_end_timestamp == scheduled
    assert result.start_timestamp is not None
    assert result.end_timestamp is not None
    total = (result.end_timestamp - result.start_timestamp).total_seconds()
    assert total == pytest.approx(DAY, abs=1)
    assert_ordered(result)


def test_five_minute_retry_backoff_is_instant_but_history_shows_it() -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> int:
        def body(step_context: Any) -> int:
            attempts.append(step_context.attempt)
            if step_context.attempt < 3:
                raise ConnectionError("try later")
            return step_context.attempt

        config = RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_minutes(5),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
        return int(context.step(body, name="call", config=retrying(config)))

    began = time.monotonic()
    result = run(handler)
    elapsed = time.monotonic() - began

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 3
    assert attempts == [1, 2, 3]
    assert elapsed < 2
    failed = events(result, "StepFailed")
    started = events(result, "StepStarted")
    assert [f["StepFailedDetails"]["RetryDetails"]["NextAttemptDelaySeconds"] for f in failed] == [
        300,
        300,
    ]
    assert len(started) == 3
    assert gap(started[1], failed[0]) == pytest.approx(300, abs=1)
    assert gap(started[2], failed[1]) == pytest.approx(300, abs=1)
    assert_ordered(result)


def test_real_time_spent_in_an_at_most_once_step_shows_in_the_history() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        config = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
        context.step(lambda _: time.sleep(0.15), name="slow", config=config)

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    [started] = events(result, "StepStarted")
    [succeeded] = events(result, "StepSucceeded")
    assert gap(succeeded, started) >= 0.15
    step = result.get_step("slow")
    assert (step.end_timestamp - step.start_timestamp).total_seconds() >= 0.15


def test_an_at_least_once_start_travels_with_its_completion() -> None:
    """An at-least-once START needs no answer, so it is queued and sent with the SUCCEED
    (group commit) when the step ends within the start flush window: one call. A step still
    running after the window shows as started (tests/test_start_reaches_service.py)."""

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        context.step(lambda _: None, name="slow")

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run()
        calls = runner.client.checkpoint_calls

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert calls == 1
    [started] = events(result, "StepStarted")
    [succeeded] = events(result, "StepSucceeded")
    assert gap(succeeded, started) < 0.15


def test_execution_timeout_on_the_virtual_clock() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> str:
        context.step(lambda _: "before", name="before")
        context.wait(Duration.from_hours(1))
        return "never"

    began = time.monotonic()
    result = run(handler, durable_execution_timeout=60)

    assert time.monotonic() - began < 2
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "TIMED_OUT"
    assert result.result is None
    assert result.history[0]["ExecutionStartedDetails"]["ExecutionTimeout"] == 60
    assert result.history[-1]["EventType"] == "ExecutionTimedOut"
    assert gap(result.history[-1], result.history[0]) == pytest.approx(60, abs=1)
    assert not events(result, "WaitSucceeded")


def test_wait_shorter_than_the_execution_timeout_completes() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> str:
        context.wait(59)
        return "in time"

    result = run(handler, durable_execution_timeout=60)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.execution_status == "SUCCEEDED"


def slow_failing_handler() -> Callable[..., Any]:
    """Each attempt sleeps 0.2 real seconds and fails; 1 s retries, many attempts."""

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(_: Any) -> None:
            time.sleep(0.2)
            raise TimeoutError("upstream slow")

        config = RetryStrategyConfig(
            max_attempts=100, initial_delay_seconds=1, backoff_rate=1, jitter_strategy="NONE"
        )
        context.step(body, name="slow", config=retrying(config))

    return handler


@pytest.mark.parametrize("keyword", ["timeout", "execution_timeout"])
def test_run_timeout_bounds_real_time(keyword: str) -> None:
    with DurableFunctionTestRunner(slow_failing_handler()) as runner:
        began = time.monotonic()
        with pytest.raises(TimeoutError, match="real seconds"):
            runner.run(input={}, **{keyword: 0.5})
        elapsed = time.monotonic() - began

    assert 0.5 <= elapsed < 1.5


def test_runner_execution_timeout_is_the_default_real_time_bound() -> None:
    with DurableFunctionTestRunner(slow_failing_handler(), execution_timeout=0.3) as runner:
        began = time.monotonic()
        with pytest.raises(TimeoutError):
            runner.run(input={})
        assert time.monotonic() - began < 1.5


# -- freezegun is opt-in -------------------------------------------------------------------


def clock_handler() -> Callable[..., Any]:
    @durable_execution
    def handler(event: Any, context: Any) -> dict[str, float]:
        now = lambda _: datetime.datetime.now(datetime.UTC).timestamp()  # noqa: E731
        before = context.step(now, name="before")
        context.wait(Duration.from_days(1))
        after = context.step(now, name="after")
        wall = context.step(lambda _: time.time(), name="time.time")
        return {"before": before, "after": after, "wall": wall}

    return handler


def test_freeze_time_shows_user_code_the_virtual_time() -> None:
    result = run(clock_handler(), freeze_time=True)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    values = result.result
    assert values["after"] - values["before"] == pytest.approx(DAY, abs=2)
    assert values["wall"] - values["before"] == pytest.approx(DAY, abs=2)
    assert result.start_timestamp is not None
    start = result.start_timestamp.timestamp()
    assert values["after"] == pytest.approx(start + DAY, abs=2)
    # After the runner closes, the process's clock is real again.
    assert time.time() < start + DAY / 2


def test_without_freeze_time_user_code_sees_the_real_clock() -> None:
    result = run(clock_handler())

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    values = result.result
    assert values["after"] - values["before"] < 60


# -- seeded jitter -------------------------------------------------------------------------


def jitter_delays(seed: int | str, jitter: JitterStrategy, *, noisy: bool = False) -> list[int]:
    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(step_context: Any) -> None:
            if noisy:  # user code drawing from the global random source
                for _ in range(step_context.attempt * 7):
                    random.random()
            raise ConnectionError("down")

        config = RetryStrategyConfig(
            max_attempts=8,
            initial_delay_seconds=10,
            max_delay_seconds=1000,
            backoff_rate=2,
            jitter_strategy=jitter,
        )
        try:
            context.step(body, name="flaky", config=retrying(config))
        except ConnectionError:
            return "gave up"
        return "unexpected"

    result = run(handler, seed=seed)
    assert result.result == "gave up", result.error
    details = [e["StepFailedDetails"]["RetryDetails"] for e in events(result, "StepFailed")]
    assert "NextAttemptDelaySeconds" not in details[-1]  # the last attempt is not retried
    return [d["NextAttemptDelaySeconds"] for d in details[:-1]]


def test_same_seed_gives_identical_jittered_delays() -> None:
    first = jitter_delays(0, JitterStrategy.FULL)
    assert len(first) == 7
    assert first == jitter_delays(0, JitterStrategy.FULL)
    assert jitter_delays("release-7", JitterStrategy.FULL) == jitter_delays(
        "release-7", JitterStrategy.FULL
    )
    bases = [min(10 * 2**k, 1000) for k in range(7)]
    assert all(1 <= d <= base for d, base in zip(first, bases, strict=True))


def test_user_randomness_does_not_change_the_jitter() -> None:
    """The jitter source is the runner's, not the global ``random`` user code draws from."""
    quiet = jitter_delays(0, JitterStrategy.FULL)
    assert jitter_delays(0, JitterStrategy.FULL, noisy=True) == quiet


def test_different_seeds_usually_give_different_delays() -> None:
    sequences = {tuple(jitter_delays(seed, JitterStrategy.FULL)) for seed in range(4)}
    assert len(sequences) > 1


def test_no_jitter_gives_the_exact_delays() -> None:
    assert jitter_delays(0, JitterStrategy.NONE) == [10, 20, 40, 80, 160, 320, 640]
    assert jitter_delays(0, JitterStrategy.NONE) == jitter_delays(1, JitterStrategy.NONE)


def test_half_jitter_stays_within_half_and_full_delay() -> None:
    delays = jitter_delays(3, JitterStrategy.HALF)
    bases = [min(10 * 2**k, 1000) for k in range(7)]
    assert all(base / 2 <= d <= base for d, base in zip(delays, bases, strict=True))
