"""Crash points and service faults in subprocess mode: the same schedule, a real child.

The faults fire on the runner's side of the socket, in the service client the child's calls
reach; a crash kills the child there and then, as a real one would end it. Handlers live at
module level, so that the sandbox can import them.
"""

from __future__ import annotations

from typing import Any

import pytest

from aws_durable_execution_sdk_python import durable_execution
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from aws_durable_execution_sdk_python_testing.faults import (
    CrashBeforeCheckpoint,
    FailStep,
    InvalidFaultError,
    ServiceError,
    ServiceFault,
)

AT_MOST_ONCE = StepConfig(RetryPresets.fixed(2), StepSemantics.AT_MOST_ONCE_PER_RETRY)


@durable_execution
def pay_then_ship(event: Any, context: Any) -> list[str]:
    paid = context.step(lambda sc: f"paid on attempt {sc.attempt}", name="pay", config=AT_MOST_ONCE)
    return [paid, context.step(lambda sc: "shipped", name="ship")]


def errors(result: Any) -> list[str | None]:
    return [i.get("Error", {}).get("Payload", {}).get("ErrorType") for i in result.invocations]


def run(**options: Any) -> Any:
    with DurableFunctionTestRunner(pay_then_ship, invocation_mode="subprocess") as runner:
        return runner.run({}, timeout=60, **options)


def test_a_crash_after_the_start_interrupts_the_at_most_once_step() -> None:
    result = run(crash_after=1)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == ["paid on attempt 2", "shipped"]
    assert errors(result)[0] == "Runtime.ExitError"


def test_a_crash_before_the_start_lets_the_step_run() -> None:
    result = run(faults=[CrashBeforeCheckpoint(1)])

    assert result.result == ["paid on attempt 1", "shipped"]
    assert errors(result) == ["Runtime.ExitError", None]


def test_a_throttled_checkpoint_recovers_and_a_too_large_one_fails() -> None:
    throttled = run(faults=[ServiceFault(ServiceError.THROTTLING, call=3)])
    assert throttled.result == ["paid on attempt 1", "shipped"]
    assert errors(throttled) == ["CheckpointError", None]

    refused = run(faults=[ServiceFault(ServiceError.PAYLOAD_TOO_LARGE, call=3)])
    assert refused.status is InvocationStatus.FAILED
    assert refused.error is not None
    assert refused.error["termination_reason"] == "CHECKPOINT_FAILED"


def test_step_faults_are_refused_in_subprocess_mode() -> None:
    runner = DurableFunctionTestRunner(pay_then_ship, invocation_mode="subprocess")
    with runner, pytest.raises(InvalidFaultError, match=r"invocation_mode='in-process'"):
        runner.run({}, faults=[FailStep("ship", ValueError("no"))])


def test_always_replay_cuts_invocations_without_failing_them() -> None:
    with DurableFunctionTestRunner(
        pay_then_ship, invocation_mode="subprocess", always_replay=True
    ) as runner:
        result = runner.run({}, timeout=60)

    assert result.result == ["paid on attempt 1", "shipped"]
    assert errors(result) == [None, None, None]


def test_a_crash_after_a_cut_is_still_a_crash() -> None:
    with DurableFunctionTestRunner(
        pay_then_ship, invocation_mode="subprocess", always_replay=True
    ) as runner:
        # Invocation 1 is cut after pay's completion (call 2); invocation 2 crashes after
        # ship's (call 3); invocation 3 replays both and returns.
        result = runner.run({}, timeout=60, crash_after=3)

    assert result.result == ["paid on attempt 1", "shipped"]
    assert errors(result) == [None, "Runtime.ExitError", None]
