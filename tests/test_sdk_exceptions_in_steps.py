"""SDK exceptions raised inside a step keep their meaning.

docs/decisions.md, "SDK exceptions inside steps keep their meaning" and "Exhausted invocation
retries".

``ExecutionError`` is permanent: never retried, it fails the execution (``EXECUTION_ERROR``).
``InvocationError`` bypasses the retry strategy and fails the invocation, not the execution:
the runner records ``InvocationCompleted`` with the error and invokes again, up to
``invocation_retries`` times, then fails the execution with ``INVOCATION_ERROR``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_durable_execution_sdk_python import (
    ExecutionError,
    InvocationError,
    StepError,
    TerminationReason,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus


def run(handler: Callable[..., Any], **runner_options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


def events(result: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["EventType"] == event_type]


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


def invocation_errors(result: Any) -> list[dict[str, Any] | None]:
    out = []
    for event in events(result, "InvocationCompleted"):
        error = event["InvocationCompletedDetails"].get("Error")
        out.append(error["Payload"] if error else None)
    return out


# -- ExecutionError ------------------------------------------------------------------------


def test_execution_error_in_step_is_not_retried_and_fails_the_execution() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(step_context: Any) -> None:
            runs.append(step_context.attempt)
            raise ExecutionError("order can never be fulfilled")

        # The default strategy would retry 5 times; ExecutionError must bypass it.
        context.step(body, name="fulfil")

    result = run(handler)

    assert runs == [1]
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "FAILED"
    assert result.error is not None
    assert result.error["error_type"] == "ExecutionError"
    assert result.error["termination_reason"] == "EXECUTION_ERROR"
    assert "order can never be fulfilled" in result.error["message"]
    step = result.get_step("fulfil")
    assert step.attempt == 1
    assert step.status is OperationStatus.FAILED
    [failed] = events(result, "StepFailed")
    retry = failed["StepFailedDetails"]["RetryDetails"]
    assert retry["CurrentAttempt"] == 1
    assert "NextAttemptDelaySeconds" not in retry
    assert result.invocation_count == 1


def test_execution_error_in_step_propagates_as_execution_error() -> None:
    caught: list[dict[str, Any]] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(_: Any) -> None:
            raise ExecutionError("permanent")

        try:
            context.step(body, name="fulfil")
        except ExecutionError as error:
            caught.append(
                {
                    "is_step_error": isinstance(error, StepError),
                    "reason": error.termination_reason.value,
                    "str": str(error),
                }
            )
        context.wait(1)  # caught again on replay, rebuilt from the checkpoint
        return "recovered"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(caught) == 2
    assert caught[0] == caught[1]
    assert caught[0]["reason"] == TerminationReason.EXECUTION_ERROR.value
    assert caught[0]["str"] == "permanent"


# -- InvocationError -----------------------------------------------------------------------


def test_invocation_error_in_step_bypasses_retries_and_fails_the_invocations() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(step_context: Any) -> None:
            runs.append(step_context.attempt)
            raise InvocationError("database unreachable")

        context.step(body, name="query", config=StepConfig(RetryPresets.fixed(1)))

    result = run(handler, invocation_retries=2)

    # 1 invocation + 2 invocation retries; the step's own retry strategy is never used.
    assert runs == [1, 1, 1]
    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "FAILED"
    assert result.error is not None
    assert result.error["error_type"] == "InvocationError"
    assert result.error["termination_reason"] == "INVOCATION_ERROR"
    assert "database unreachable" in result.error["message"]
    assert result.invocation_count == 3
    assert (
        invocation_errors(result)
        == [{"ErrorMessage": "database unreachable", "ErrorType": "InvocationError"}] * 3
    )
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "InvocationCompleted",
        "InvocationCompleted",
        "ExecutionFailed",
    ]
    assert not events(result, "StepFailed")  # nothing recorded on the step
    assert result.get_step("query").status is OperationStatus.STARTED


def test_invocation_retries_bound_the_number_of_invocations() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(_: Any) -> None:
            runs.append(1)
            raise InvocationError("still down")

        context.step(body, name="query")

    result = run(handler, invocation_retries=0)

    assert len(runs) == 1
    assert result.invocation_count == 1
    assert result.error is not None
    assert result.error["termination_reason"] == "INVOCATION_ERROR"


def test_invocation_error_only_on_first_invocation_then_succeeds() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> int:
        def body(_: Any) -> int:
            runs.append(1)
            if len(runs) == 1:
                raise InvocationError("cold start hiccup")
            return 42

        return int(context.step(body, name="query"))

    result = run(handler, invocation_retries=2)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 42
    assert result.invocation_count == 2
    assert len(runs) == 2
    first, second = invocation_errors(result)
    assert first == {"ErrorMessage": "cold start hiccup", "ErrorType": "InvocationError"}
    assert second is None
    assert event_types(result) == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert result.get_step("query").result == 42
    assert result.get_step("query").attempt == 1


def test_invocation_error_raised_by_the_handler_fails_the_invocation() -> None:
    invocations: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        value = context.step(lambda _: "saved", name="save")
        invocations.append(1)
        if len(invocations) == 1:
            raise InvocationError("retry me")
        return str(value)

    result = run(handler, invocation_retries=2)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "saved"
    assert result.invocation_count == 2
    # The step succeeded before the failed invocation, so it is not re-run.
    assert len(events(result, "StepStarted")) == 1
    assert invocation_errors(result)[0] == {
        "ErrorMessage": "retry me",
        "ErrorType": "InvocationError",
    }
