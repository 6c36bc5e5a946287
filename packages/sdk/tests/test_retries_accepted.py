"""What every ``retry_strategy`` field accepts: one rule for ``StepConfig``,
``WithRetryConfig`` and ``WaitForCallbackConfig``.

A strategy or ``None`` is kept; a ``RetryStrategyConfig`` (or a linear one) means the strategy
built from it (docs/decisions.md, "Lenient where existing code has one obvious meaning");
anything else is a ``ValidationError``, a table of rows per config class. Also: every public
name stays importable from where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python.config import StepConfig, WaitForCallbackConfig
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    WithRetryConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)

CONFIGS: list[Any] = [
    pytest.param(lambda s: StepConfig(retry_strategy=s), id="StepConfig"),
    pytest.param(lambda s: WithRetryConfig(retry_strategy=s), id="WithRetryConfig"),
    pytest.param(lambda s: WaitForCallbackConfig(retry_strategy=s), id="WaitForCallbackConfig"),
]


def _custom(error: Exception, attempts_made: int) -> RetryDecision:
    return RetryDecision.no_retry()


EXPONENTIAL = RetryStrategyConfig(max_attempts=2, initial_delay_seconds=1)
LINEAR = LinearRetryStrategyConfig(max_attempts=4, initial_delay_seconds=2)

ACCEPTED = [
    pytest.param(EXPONENTIAL, create_retry_strategy(EXPONENTIAL), id="RetryStrategyConfig"),
    pytest.param(LINEAR, create_linear_retry_strategy(LINEAR), id="LinearRetryStrategyConfig"),
    pytest.param(_custom, _custom, id="function"),
    pytest.param(RetryPresets.critical(), RetryPresets.critical(), id="preset"),
    pytest.param(None, None, id="None"),
]


@pytest.mark.parametrize("build", CONFIGS)
@pytest.mark.parametrize(("given", "stored"), ACCEPTED)
def test_a_strategy_config_means_the_strategy_built_from_it(
    build: Callable[[Any], Any], given: Any, stored: Any
) -> None:
    config = build(given)
    assert config.retry_strategy == stored
    if stored is not None:
        # It is a working strategy: asked after attempt 1, it answers as the built one does.
        error = RuntimeError("boom")
        assert config.retry_strategy(error, 1).should_retry == stored(error, 1).should_retry


REFUSED = [
    pytest.param(5, id="int"),
    pytest.param("default", id="str"),
    pytest.param(object(), id="object"),
    pytest.param(RetryDecision.no_retry(), id="a-decision-not-a-strategy"),
    pytest.param([EXPONENTIAL], id="list-of-configs"),
]


@pytest.mark.parametrize("build", CONFIGS)
@pytest.mark.parametrize("bad", REFUSED)
def test_anything_else_is_refused_by_every_config(build: Callable[[Any], Any], bad: Any) -> None:
    with pytest.raises(ValidationError, match=r"retry_strategy="):
        build(bad)


def test_public_names_stay_importable_from_their_modules() -> None:
    import aws_durable_execution_sdk_python as root
    from aws_durable_execution_sdk_python import config, retries
    from aws_durable_execution_sdk_python.concurrency import models

    for name in (
        "LinearRetryStrategyConfig",
        "RetryDecision",
        "RetryPresets",
        "RetryStrategyConfig",
        "WithRetryConfig",
        "create_linear_retry_strategy",
        "create_retry_strategy",
        "current_random",
        "use_random",
        "with_retry",
    ):
        assert name in retries.__all__ and hasattr(retries, name), name
    for name in ("Duration", "JitterStrategy", "Numeric", "StepConfig", "CompletionConfig"):
        assert name in config.__all__ and hasattr(config, name), name
    for name in ("BatchItem", "BatchItemStatus", "BatchResult", "CompletionPolicy"):
        assert hasattr(models, name), name
    assert models.CompletionReason.ALL_COMPLETED.value == "ALL_COMPLETED"
    assert root.WithRetryConfig is retries.WithRetryConfig
    assert root.with_retry is retries.with_retry
    assert root.BatchResult is models.BatchResult
