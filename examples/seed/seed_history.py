"""Helpers the seed example tests share: read retry decisions back from an execution's history."""

from __future__ import annotations

import math
from typing import Any

from aws_durable_execution_sdk_python.config import JitterStrategy

__all__ = ["assert_jittered", "failed_attempts", "retry_delays"]


def failed_attempts(result: Any, name: str) -> list[dict[str, Any]]:
    """The ``StepFailedDetails`` of every failed attempt of the step called ``name``, in order."""
    return [
        event["StepFailedDetails"]
        for event in result.history
        if event["EventType"] == "StepFailed" and event.get("Name") == name
    ]


def retry_delays(result: Any, name: str) -> list[int]:
    """``NextAttemptDelaySeconds`` of each retried attempt (the last failure has none)."""
    delays = []
    for details in failed_attempts(result, name):
        retry = details.get("RetryDetails", {})
        if "NextAttemptDelaySeconds" in retry:
            delays.append(retry["NextAttemptDelaySeconds"])
    return delays


def assert_jittered(delays: list[int], bases: list[float], jitter: JitterStrategy) -> None:
    """Each delay is its base delay (before jitter) with ``jitter`` applied, in whole seconds."""
    assert len(delays) == len(bases), (delays, bases)
    for delay, base in zip(delays, bases, strict=True):
        if jitter is JitterStrategy.NONE:
            assert delay == max(1, math.ceil(base)), (delays, bases)
        elif jitter is JitterStrategy.HALF:
            assert max(1, math.ceil(base / 2)) <= delay <= math.ceil(base), (delays, bases)
        else:
            assert 1 <= delay <= math.ceil(base), (delays, bases)
