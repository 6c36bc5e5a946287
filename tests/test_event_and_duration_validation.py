"""Bad values in an invocation event and in durations raise ``ValidationError`` naming the
field (or the argument), the type or value found, and what was expected.

- A malformed event has no execution to fail: the handler raises at once
  (docs/decisions.md, "Malformed invocation events").
- ``Duration`` refuses negative, non-finite and non-numeric values instead of rounding them
  or repeating a string sixty times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import Duration, ValidationError, durable_execution
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.execution import DurableExecutionInvocationInput
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/id"
OPERATION = {
    "Id": "exec",
    "Type": "EXECUTION",
    "Status": "STARTED",
    "StartTimestamp": 1_700_000_000_000,
    "ExecutionDetails": {"InputPayload": "{}"},
}


@durable_execution
def never_runs(event: Any, context: Any) -> None:
    raise AssertionError("the handler body must not run for a malformed event")


def event(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "token",
        "InitialExecutionState": {"Operations": [OPERATION], "NextMarker": ""},
    }
    base.update(fields)
    return base


def state(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"Operations": [OPERATION], "NextMarker": ""}
    base.update(fields)
    return base


@pytest.mark.parametrize(
    ("bad_event", "fragments"),
    [
        pytest.param(event(DurableExecutionArn=42), ["DurableExecutionArn", "int"], id="arn-int"),
        pytest.param(
            event(DurableExecutionArn=[ARN]), ["DurableExecutionArn", "list"], id="arn-list"
        ),
        pytest.param(
            event(DurableExecutionArn=True), ["DurableExecutionArn", "bool"], id="arn-bool"
        ),
        pytest.param(event(CheckpointToken=7), ["CheckpointToken", "int"], id="token-int"),
        pytest.param(event(CheckpointToken={"t": 1}), ["CheckpointToken", "dict"], id="token-dict"),
        pytest.param(
            event(InitialExecutionState="ops"),
            ["InitialExecutionState", "str", "object"],
            id="state-str",
        ),
        pytest.param(
            event(InitialExecutionState=[OPERATION]),
            ["InitialExecutionState", "list", "object"],
            id="state-list",
        ),
        pytest.param(
            event(InitialExecutionState=state(Operations="abc")),
            ["InitialExecutionState.Operations", "str", "list"],
            id="operations-str",
        ),
        pytest.param(
            event(InitialExecutionState=state(Operations={"Id": "x"})),
            ["InitialExecutionState.Operations", "dict", "list"],
            id="operations-dict",
        ),
        pytest.param(
            event(InitialExecutionState=state(Operations=[OPERATION, 5])),
            ["InitialExecutionState.Operations[1]", "int", "object"],
            id="operation-int",
        ),
        pytest.param(
            event(InitialExecutionState=state(NextMarker=3)),
            ["InitialExecutionState.NextMarker", "int", "str"],
            id="next-marker-int",
        ),
        pytest.param(
            event(UpdatedOperationIds="exec"),
            ["UpdatedOperationIds", "str", "list"],
            id="updated-ids-str",
        ),
        pytest.param(
            event(UpdatedOperationIds=["exec", 9]),
            ["UpdatedOperationIds[1]", "int", "str"],
            id="updated-id-int",
        ),
    ],
)
def test_event_field_of_the_wrong_type_is_named_with_the_type_found(
    bad_event: dict[str, Any], fragments: list[str]
) -> None:
    with pytest.raises(ValidationError) as raised:
        never_runs(bad_event, None)
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    "good_event",
    [
        pytest.param(event(), id="full"),
        pytest.param(event(InitialExecutionState=None), id="state-null"),
        pytest.param(event(InitialExecutionState=state(Operations=None)), id="operations-null"),
        pytest.param(event(InitialExecutionState=state(NextMarker=None)), id="marker-null"),
        pytest.param(event(UpdatedOperationIds=None), id="updated-null"),
        pytest.param(event(UpdatedOperationIds=["exec"]), id="updated-list"),
    ],
)
def test_well_formed_events_parse(good_event: dict[str, Any]) -> None:
    parsed = DurableExecutionInvocationInput.from_dict(good_event)
    assert parsed.durable_execution_arn == ARN
    assert parsed.checkpoint_token == "token"


# -- Duration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        pytest.param(lambda: Duration.from_seconds(-0.5), ["-0.5", "negative"], id="seconds-half"),
        pytest.param(lambda: Duration.from_seconds(-1e-9), ["negative"], id="seconds-tiny"),
        pytest.param(lambda: Duration.from_minutes(-0.01), ["-0.01", "negative"], id="minutes"),
        pytest.param(lambda: Duration.from_hours(-0.0001), ["negative"], id="hours"),
        pytest.param(lambda: Duration.from_days(-1e-6), ["negative"], id="days"),
        pytest.param(lambda: Duration(-0.5), ["-0.5", "negative"], id="Duration(-0.5)"),
        pytest.param(
            lambda: Duration.from_minutes("5"), ["from_minutes", "'5'", "str", "number"], id="str"
        ),
        pytest.param(
            lambda: Duration.from_hours([1]), ["from_hours", "[1]", "list", "number"], id="list"
        ),
        pytest.param(lambda: Duration.from_days(None), ["from_days", "None", "number"], id="None"),
        pytest.param(lambda: Duration.from_seconds(True), ["bool"], id="bool"),
        pytest.param(lambda: Duration.from_minutes(math.nan), ["nan", "finite"], id="nan"),
        pytest.param(lambda: Duration.from_hours(math.inf), ["inf", "finite"], id="inf"),
        pytest.param(lambda: Duration.from_seconds(-math.inf), ["inf", "finite"], id="-inf"),
        pytest.param(lambda: Duration.from_days(1e308), ["finite"], id="overflows-to-inf"),
        pytest.param(
            lambda: CallbackConfig(timeout_seconds=-0.5),
            ["timeout_seconds", "negative"],
            id="callback-timeout",
        ),
    ],
)
def test_bad_duration_values_are_refused_with_the_users_value(
    make: Callable[[], Any], fragments: list[str]
) -> None:
    with pytest.raises(ValidationError) as raised:
        make()
    message = str(raised.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "55555" not in message  # the value, not the value repeated sixty times


@pytest.mark.parametrize(
    ("make", "seconds"),
    [
        pytest.param(lambda: Duration.from_seconds(1.9), 1, id="truncates"),
        pytest.param(lambda: Duration.from_minutes(0.5), 30, id="half-minute"),
        pytest.param(lambda: Duration.from_seconds(0), 0, id="zero"),
        pytest.param(lambda: Duration.from_seconds(-0.0), 0, id="negative-zero"),
        pytest.param(lambda: Duration.from_hours(2), 7200, id="hours"),
        pytest.param(lambda: Duration.from_days(1), 86400, id="days"),
    ],
)
def test_good_duration_values(make: Callable[[], Duration], seconds: int) -> None:
    assert make().seconds == seconds


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="inf"),
        pytest.param(-math.inf, id="-inf"),
    ],
)
def test_wait_refuses_non_finite_numbers(duration: float) -> None:
    messages: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.wait(duration)
        except ValidationError as error:
            messages.append(str(error))
        return "done"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.result == "done", result.error
    assert len(messages) == 1
    assert "wait(duration=" in messages[0]
