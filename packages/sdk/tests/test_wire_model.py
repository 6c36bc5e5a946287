"""The wire model: ``to_dict``/``from_dict`` (and the event-JSON form) round-trip exactly."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import error_objects, operations

from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationInput,
    ErrorObject,
    InitialExecutionState,
    Operation,
    OperationAction,
    OperationUpdate,
)


@given(operations())
def test_operations_round_trip_through_the_boto3_shape(op: Operation) -> None:
    assert Operation.from_dict(op.to_dict()) == op


@given(operations())
def test_operations_round_trip_through_the_event_json_shape(op: Operation) -> None:
    assert Operation.from_dict(op.to_json_dict()) == op


@given(error_objects())
def test_error_objects_round_trip(error: ErrorObject) -> None:
    assert ErrorObject.from_dict(error.to_dict()) == error


@given(st.lists(operations(), max_size=5), st.text(max_size=10))
def test_invocation_input_round_trips_through_event_json(ops: list[Any], marker: str) -> None:
    event = DurableExecutionInvocationInput(
        "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/i",
        "token",
        InitialExecutionState(ops, marker),
        updated_operation_ids=["a"],
    )
    assert DurableExecutionInvocationInput.from_dict(event.to_json_dict()) == event


@given(operations(), st.sampled_from(OperationAction), error_objects())
def test_updates_round_trip(op: Operation, action: OperationAction, error: ErrorObject) -> None:
    update = OperationUpdate(
        operation_id=op.operation_id,
        operation_type=op.operation_type,
        action=action,
        parent_id=op.parent_id,
        name=op.name,
        sub_type=op.sub_type,
        payload="p",
        error=error,
    )
    assert OperationUpdate.from_dict(update.to_dict()) == update
