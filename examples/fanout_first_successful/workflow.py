"""Fan out a quote request to three providers and take the first one that answers.

The three providers run as parallel branches, each calling its provider in a step:

- ``primary`` is down today: its call fails (and is not retried);
- ``bulk`` is slow: it queues the request and only answers after a durable wait of 30 s;
- ``express`` answers at once.

With ``CompletionConfig.first_successful()`` the parallel completes as soon as one branch
succeeds (completion reason MIN_SUCCESSFUL_REACHED): the slow branch is still waiting then,
so it is reported as STARTED and its answer is never awaited. Which providers are down can
be set in the input: ``{"down": ["primary", "express"]}`` leaves the slow one as the only
possible winner, answering after its wait (in a second invocation).

Run it locally with its timeline:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/fanout_first_successful/workflow.py:handler --input '{"item": "sku-42"}'
"""

from __future__ import annotations

from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    ExecutionError,
    StepContext,
    durable_execution,
    durable_parallel_branch,
)
from aws_durable_execution_sdk_python.config import CompletionConfig, ParallelConfig, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets


class ProviderUnavailable(Exception):
    """The provider did not answer the quote request."""


PROVIDERS = {"primary": 1200, "bulk": 950, "express": 1400}  # price in cents
BRANCH_NAMES = ["primary", "bulk", "express"]  # in the order the branches are given
DEFAULT_DOWN = ["primary"]
BULK_QUEUE_DELAY = Duration.from_seconds(30)
NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
FIRST_ANSWER = ParallelConfig(completion_config=CompletionConfig.first_successful())


def call_provider(provider: str, item: str, down: list[str]) -> Any:
    def call(step_context: StepContext) -> dict[str, Any]:
        if provider in down:
            raise ProviderUnavailable(f"{provider} is unavailable")
        return {"provider": provider, "item": item, "price_cents": PROVIDERS[provider]}

    return call


@durable_parallel_branch(name="primary")
def primary(context: DurableContext, item: str, down: list[str]) -> dict[str, Any]:
    return context.step(call_provider("primary", item, down), "quote primary", NO_RETRY)


@durable_parallel_branch(name="bulk")
def bulk(context: DurableContext, item: str, down: list[str]) -> dict[str, Any]:
    context.wait(BULK_QUEUE_DELAY, name="bulk queue")
    return context.step(call_provider("bulk", item, down), "quote bulk", NO_RETRY)


@durable_parallel_branch(name="express")
def express(context: DurableContext, item: str, down: list[str]) -> dict[str, Any]:
    return context.step(call_provider("express", item, down), "quote express", NO_RETRY)


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    item = event.get("item", "sku-1")
    down = event.get("down", DEFAULT_DOWN)
    branches = [primary(item, down), bulk(item, down), express(item, down)]
    batch = context.parallel(branches, name="quotes", config=FIRST_ANSWER)
    quotes = batch.get_results()
    if not quotes:
        raise ExecutionError(f"no provider answered: {[e.message for e in batch.get_errors()]}")
    # Every branch's status: SUCCEEDED, FAILED, STARTED (still running when the first
    # answer came) or NOT_STARTED (omitted from the result: never started).
    statuses = dict.fromkeys(BRANCH_NAMES, "NOT_STARTED")
    for entry in batch.all:
        statuses[BRANCH_NAMES[entry.index]] = entry.status.value
    return {
        "winner": quotes[0],
        "completion_reason": batch.completion_reason.value,
        "statuses": statuses,
    }
