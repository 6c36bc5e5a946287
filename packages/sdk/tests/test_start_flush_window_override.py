"""A harness's invocation input may set the start flush window for one invocation.

``DurableExecutionInvocationInputWithClient(start_flush_window=...)`` overrides the
function's own ``@durable_execution(start_flush_window=...)``: a test harness decides whether
a running step's START goes out on its own. The service double echoes each update as the
operation it makes and signals when a START has arrived; step bodies wait on that signal
(with a timeout) instead of sleeping.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableExecutionInvocationInputWithClient,
    ExecutionDetails,
    InitialExecutionState,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
    StepDetails,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f/durable-execution/run/inv-1"
PATIENCE = 10.0
_STATUS = {
    OperationAction.START: OperationStatus.STARTED,
    OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
}


class EchoService:
    """Each update comes back as the operation it makes; ``started`` is set on a START."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.calls: list[list[str]] = []
        self._tokens = 0

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        self.calls.append([u.action.value for u in updates])
        self._tokens += 1
        operations = [
            Operation(
                u.operation_id,
                u.operation_type,
                _STATUS[u.action],
                name=u.name,
                step_details=StepDetails(result=u.payload),
            )
            for u in updates
        ]
        if any(u.action is OperationAction.START for u in updates):
            self.started.set()
        return CheckpointOutput(
            f"t{self._tokens}", CheckpointUpdatedExecutionState(operations, None)
        )

    def get_execution_state(
        self, arn: str, token: str, marker: str, max_items: int = 1000
    ) -> StateOutput:
        return StateOutput([], None)


def event(service: EchoService, window: Any = None) -> DurableExecutionInvocationInputWithClient:
    execution = Operation(
        "inv-1",
        OperationType.EXECUTION,
        OperationStatus.STARTED,
        execution_details=ExecutionDetails(input_payload="{}"),
    )
    return DurableExecutionInvocationInputWithClient(
        ARN,
        "t0",
        InitialExecutionState([execution]),
        service_client=service,  # type: ignore[arg-type]
        start_flush_window=window,
    )


def waiting_handler(service: EchoService, window: float) -> Any:
    @durable_execution(start_flush_window=window)
    def handler(_: Any, context: DurableContext) -> bool:
        return context.step(lambda _: service.started.wait(PATIENCE), name="waits")

    return handler


def test_the_input_shortens_the_functions_window() -> None:
    service = EchoService()
    output = waiting_handler(service, math.inf)(event(service, 0.001))
    assert output["Status"] == "SUCCEEDED", output
    assert output["Result"] == "true"  # the START reached the service while the body ran
    assert service.calls == [["START"], ["SUCCEED"]]


def test_the_input_can_keep_every_start_for_the_completion() -> None:
    service = EchoService()

    @durable_execution(start_flush_window=0)
    def handler(_: Any, context: DurableContext) -> bool:
        return context.step(lambda _: service.started.is_set(), name="looks")

    output = handler(event(service, math.inf))
    assert output["Status"] == "SUCCEEDED", output
    assert output["Result"] == "false"
    assert service.calls == [["START", "SUCCEED"]]


def test_without_an_override_the_functions_window_holds() -> None:
    service = EchoService()
    output = waiting_handler(service, 0.001)(event(service))
    assert output["Result"] == "true"
    assert service.calls == [["START"], ["SUCCEED"]]


@pytest.mark.parametrize("window", [-1, math.nan, "0.05", True])
def test_a_bad_override_is_refused(window: Any) -> None:
    service = EchoService()
    with pytest.raises(ValidationError, match="start_flush_window"):
        waiting_handler(service, 0.05)(event(service, window))
    assert service.calls == []
