"""Bad input: mistakes are reported early, clearly and never hang.

- Names: ``name=None`` is unnamed, ``name=""`` raises ``ValidationError`` before anything is
  checkpointed or any id consumed (docs/decisions.md, "Names: None is unnamed, empty is
  invalid").
- Bad arguments to ``wait``, ``Duration``, ``RetryStrategyConfig``, ``StepConfig`` and ``step``
  raise ``ValidationError``.
- A malformed invocation event raises ``ValidationError`` naming the missing field
  (docs/decisions.md, "Malformed invocation events").
- An unserialisable step result raises ``SerDesError`` at the call site (docs/decisions.md,
  "Serialisation errors surface at the call site").
- A payload over the service limit fails the execution with ``CheckpointError``
  (docs/decisions.md, "Service limits").
- A handler returning a non-JSON value fails the execution.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    Duration,
    SerDesError,
    StepError,
    ValidationError,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestRunner,
    InvocationStatus,
    Limits,
)

FIRST_OP_ID = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
KIB = 1024


def run(handler: Callable[..., Any], **runner_options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


def rejected_then_first_op(call: Callable[[Any], Any]) -> Any:
    """Run ``call(context)`` expecting ValidationError, then a step: it must get the first id."""
    messages: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            call(context)
        except ValidationError as error:
            messages.append(str(error))
        context.step(lambda _: "after", name="after")
        return messages[0] if messages else "not rejected"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(messages) == 1, "expected ValidationError"
    assert result.get_step("after").operation_id == FIRST_OP_ID  # no id was consumed
    assert event_types(result).count("StepStarted") == 1
    return result


# -- names ---------------------------------------------------------------------------------


def test_empty_step_name_raises_before_anything_is_checkpointed() -> None:
    ran: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        context.step(lambda _: ran.append(1), name="")

    result = run(handler)

    assert ran == []
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "ValidationError"
    assert "name" in result.error["message"]
    assert result.operations == []
    assert "StepStarted" not in event_types(result)


def test_caught_empty_name_lets_the_execution_succeed_with_zero_operations() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(lambda _: 1, name="")
        except ValidationError:
            return "rejected"
        return "accepted"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "rejected"
    assert result.operations == []
    assert event_types(result) == ["ExecutionStarted", "InvocationCompleted", "ExecutionSucceeded"]


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.step(lambda _: 1, name=""), id="step-empty"),
        pytest.param(lambda c: c.wait(1, name=""), id="wait-empty"),
        pytest.param(lambda c: c.step(lambda _: 1, name=7), id="step-int-name"),
        pytest.param(lambda c: c.step(lambda _: 1, name="x" * 257), id="step-too-long"),
        pytest.param(lambda c: c.step(lambda _: 1, name="caf\u00e9"), id="step-non-ascii"),
    ],
)
def test_bad_names_are_rejected_without_consuming_an_id(call: Callable[[Any], Any]) -> None:
    rejected_then_first_op(call)


def test_empty_name_is_rejected_even_for_durable_step() -> None:
    @durable_step
    def charge(step_context: Any) -> int:
        return 1

    rejected_then_first_op(lambda c: c.step(charge(), name=""))


def test_none_name_means_unnamed_and_durable_step_names_by_function() -> None:
    @durable_step
    def charge(step_context: Any, amount: int) -> int:
        return amount

    @durable_execution
    def handler(event: Any, context: Any) -> list[int]:
        return [
            context.step(lambda _: 1, name=None),
            context.step(charge(2)),
            context.step(charge(3), name="custom"),
        ]

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [1, 2, 3]
    assert [op.name for op in result.operations] == [None, "charge", "custom"]
    started = [e for e in result.history if e["EventType"] == "StepStarted"]
    assert "Name" not in started[0]


# -- bad arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration",
    [
        pytest.param(Duration(0), id="Duration(0)"),
        pytest.param(Duration.from_seconds(0.5), id="half-second"),
        pytest.param(0, id="int-0"),
        pytest.param(-5, id="negative-int"),
        pytest.param(-0.5, id="negative-float"),
        pytest.param("10", id="str"),
        pytest.param(None, id="None"),
        pytest.param(True, id="bool"),
        pytest.param(Duration.from_days(367), id="over-a-year"),
    ],
)
def test_bad_wait_duration_is_rejected_before_anything_is_checkpointed(duration: Any) -> None:
    result = rejected_then_first_op(lambda c: c.wait(duration))
    assert "WaitStarted" not in event_types(result)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: Duration(-1), id="Duration(-1)"),
        pytest.param(lambda: Duration.from_seconds(-1), id="from_seconds(-1)"),
        pytest.param(lambda: Duration.from_minutes(-1), id="from_minutes(-1)"),
        pytest.param(lambda: Duration.from_days(-1), id="from_days(-1)"),
        pytest.param(lambda: Duration("5"), id="str"),
        pytest.param(lambda: Duration(math.nan), id="nan"),
        pytest.param(lambda: Duration(math.inf), id="inf"),
    ],
)
def test_bad_duration_values(make: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError):
        make()


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"max_attempts": 0}, id="max_attempts=0"),
        pytest.param({"max_attempts": -1}, id="max_attempts<0"),
        pytest.param({"max_attempts": "3"}, id="max_attempts-str"),
        pytest.param({"max_attempts": 2.5}, id="max_attempts-float"),
        pytest.param({"backoff_rate": 0}, id="backoff_rate=0"),
        pytest.param({"backoff_rate": -2}, id="backoff_rate<0"),
        pytest.param({"backoff_rate": math.inf}, id="backoff_rate-inf"),
        pytest.param({"jitter_strategy": "SOMETIMES"}, id="jitter-bogus"),
        pytest.param({"initial_delay_seconds": -1}, id="initial_delay<0"),
        pytest.param({"max_delay_seconds": -1}, id="max_delay<0"),
        pytest.param({"initial_delay": Duration(1), "initial_delay_seconds": 1}, id="both-forms"),
        pytest.param({"retryable_errors": "timeout"}, id="retryable_errors-str"),
        pytest.param({"retryable_errors": [1]}, id="retryable_errors-int"),
        pytest.param({"retryable_error_types": ["ValueError"]}, id="types-by-name"),
        pytest.param({"retryable_error_types": [int]}, id="types-not-exception"),
    ],
)
def test_bad_retry_strategy_config(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=next(iter(kwargs)).removesuffix("_seconds")):
        RetryStrategyConfig(**kwargs)


def test_valid_retry_strategy_config_in_both_forms() -> None:
    seconds = RetryStrategyConfig(initial_delay_seconds=2, max_delay_seconds=10)
    durations = RetryStrategyConfig(initial_delay=Duration(2), max_delay=Duration(10))
    assert seconds == durations
    assert (seconds.initial_delay_seconds, seconds.max_delay_seconds) == (2, 10)
    assert RetryStrategyConfig(jitter_strategy="HALF").jitter_strategy is JitterStrategy.HALF


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: StepConfig(retry_strategy=5), id="retry_strategy-int"),
        pytest.param(lambda: StepConfig(step_semantics="AT_MOST_ONCE"), id="semantics-str"),
    ],
)
def test_bad_step_config(make: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError):
        make()


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda c: c.step(42), id="int"),
        pytest.param(lambda c: c.step(None), id="None"),
        pytest.param(lambda c: c.step("lambda _: 1"), id="str"),
        pytest.param(lambda c: c.step(lambda _: 1, config={"retry": 1}), id="config-dict"),
    ],
)
def test_bad_step_arguments_are_rejected_without_consuming_an_id(
    call: Callable[[Any], Any],
) -> None:
    rejected_then_first_op(call)


# -- malformed invocation events -----------------------------------------------------------

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/id"


@durable_execution
def never_runs(event: Any, context: Any) -> None:
    raise AssertionError("the handler body must not run for a malformed event")


@pytest.mark.parametrize(
    ("event", "names"),
    [
        pytest.param({}, ["DurableExecutionArn", "CheckpointToken"], id="empty"),
        pytest.param({"CheckpointToken": "t"}, ["DurableExecutionArn"], id="no-arn"),
        pytest.param({"DurableExecutionArn": ARN}, ["CheckpointToken"], id="no-token"),
        pytest.param({"orderId": 7}, ["DurableExecutionArn"], id="plain-event"),
        pytest.param(None, ["DurableExecutionArn"], id="None"),
        pytest.param("{}", ["DurableExecutionArn"], id="str"),
        pytest.param([], ["DurableExecutionArn"], id="list"),
    ],
)
def test_malformed_event_raises_validation_error_naming_the_field(
    event: Any, names: list[str]
) -> None:
    with pytest.raises(ValidationError) as raised:
        never_runs(event, None)
    for name in names:
        assert name in str(raised.value)


@pytest.mark.parametrize(
    "state",
    [
        pytest.param({"Operations": 5}, id="operations-int"),
        pytest.param({"Operations": [{"Id": "1"}]}, id="operation-without-type"),
        pytest.param(
            {"Operations": [{"Id": "1", "Type": "BOGUS", "Status": "STARTED"}]},
            id="operation-bad-type",
        ),
        pytest.param(
            "not a dict",
            id="state-str",
        ),
        pytest.param(
            {"Operations": ["x"]},
            id="operation-str",
        ),
    ],
)
def test_malformed_initial_execution_state_raises_validation_error(state: Any) -> None:
    event = {"DurableExecutionArn": ARN, "CheckpointToken": "t", "InitialExecutionState": state}
    with pytest.raises(ValidationError, match="InitialExecutionState"):
        never_runs(event, None)


# -- serialisation errors ------------------------------------------------------------------


def test_unserialisable_step_result_fails_with_serialization_error() -> None:
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(_: Any) -> set[int]:
            runs.append(1)
            return {1, 2}

        context.step(body, name="tags")

    result = run(handler)

    assert runs == [1]  # not retried
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "SerDesError"
    assert result.error["termination_reason"] == "SERIALIZATION_ERROR"
    assert "set" in result.error["message"]
    assert "tags" in result.error["message"]
    assert "StepFailed" not in event_types(result)


def test_serdes_error_is_raised_at_the_call_site_and_catchable() -> None:
    caught: list[tuple[bool, bool]] = []
    runs: list[int] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(_: Any) -> set[int]:
            runs.append(1)
            return {1, 2}

        try:
            context.step(body, name="tags")
        except SerDesError as error:
            caught.append((isinstance(error, StepError), type(error) is SerDesError))
        return "fell back"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "fell back"
    assert caught == [(False, True)]  # not wrapped in StepError
    assert runs == [1]  # not retried


# -- service limits ------------------------------------------------------------------------


def payload_step(size: int) -> Callable[..., Any]:
    """A handler whose step result serialises to exactly ``size`` bytes (a JSON string)."""

    @durable_execution
    def handler(event: Any, context: Any) -> int:
        return len(context.step(lambda _: "x" * (size - 2), name="big"))

    return handler


def test_payload_at_the_limit_is_accepted() -> None:
    result = run(payload_step(256 * KIB))
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 256 * KIB - 2


def test_payload_over_the_limit_fails_with_checkpoint_error_without_hanging() -> None:
    result = run(payload_step(256 * KIB + 1))

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "CheckpointError"
    assert result.error["termination_reason"] == "CHECKPOINT_FAILED"
    assert "262144" in result.error["message"]
    assert result.invocation_count == 1  # a 4xx is not retried
    assert result.history[-1]["EventType"] == "ExecutionFailed"


def test_payload_limit_failure_is_sticky() -> None:
    caught: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(lambda _: "x" * (300 * KIB), name="big")
        except Exception as error:
            caught.append(type(error).__name__)
        return "ignored the failure"

    result = run(handler)

    assert caught == ["CheckpointError"]
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["termination_reason"] == "CHECKPOINT_FAILED"


def test_payload_limit_is_configurable() -> None:
    result = run(payload_step(2 * KIB), limits=Limits(max_operation_payload_bytes=KIB))
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "CheckpointError"


# -- handler results -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        pytest.param({1, 2}, "set", id="set"),
        pytest.param(object(), "object", id="object"),
        pytest.param({"when": Duration(1)}, "dict", id="nested"),
    ],
)
def test_handler_returning_non_json_value_fails(value: Any, type_name: str) -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return value

    result = run(handler)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert re.search(r"\bJSON\b", result.error["message"])
    assert type_name in result.error["message"]


def test_a_child_context_subtype_outside_the_service_model_is_a_validation_error() -> None:
    from aws_durable_execution_sdk_python.config import ChildConfig

    @durable_execution
    def handler(event: Any, context: Any) -> Any:
        return context.run_in_child_context(lambda c: 1, config=ChildConfig(sub_type="Custom"))

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={})
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None and result.error.type == "ValidationError"
    assert "sub_type='Custom'" in (result.error.message or "")
