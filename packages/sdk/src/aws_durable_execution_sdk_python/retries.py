"""Retry strategies for steps and blocks: configs, the strategies built from them, presets.

A strategy is any callable ``(error, attempts_made) -> RetryDecision``; ``attempts_made`` is 1
after the first failure. Delays are whole seconds, at least 1, rounded up after jitter.
Jitter draws from :func:`current_random`, which the test runner seeds per execution
(:func:`use_random`) so that a run is reproducible. A ``RetryStrategyConfig`` given where a
strategy is expected means ``create_retry_strategy(config)``.
"""

from aws_durable_execution_sdk_python._duration import Duration
from aws_durable_execution_sdk_python._retry_strategies import (
    JitterStrategy,
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
    current_random,
    use_random,
)
from aws_durable_execution_sdk_python._with_retry import WithRetryConfig, with_retry

__all__ = [
    "Duration",
    "JitterStrategy",
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
]
