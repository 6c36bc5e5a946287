"""Serialisation at every call site: NaN and infinity are refused, ``None`` from a serdes means
"no payload", and an invoke's failure speaks of its payload.

- NaN and infinities are not JSON: wherever a value is serialised with a built-in serdes (step,
  child, map/parallel, wait_for_condition, callback results, invoke payloads, the handler's own
  return value) they raise ``SerDesError`` at the call site (docs/decisions.md, "Serialisation
  errors surface at the call site"); uncaught, the execution ends ``SERIALIZATION_ERROR``.
- A custom serdes may return ``None`` for ``None`` (docs/decisions.md, "Lenient where existing
  code has one obvious meaning"): the checkpoint then carries no payload, and the value read
  back is ``None`` on the first run and on replay.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, SerDesError, durable_execution
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
    InvokeConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.serdes import (
    DEFAULT_JSON_SERDES,
    SerDes,
    SerDesContext,
    serialize,
)
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
)
from aws_durable_execution_sdk_python_testing import (
    CallbackSuccess,
    DurableFunctionTestRunner,
    InvocationStatus,
)


def run(handler: Callable[..., Any], **options: Any) -> Any:
    targets = options.pop("targets", {})
    with DurableFunctionTestRunner(handler) as runner:
        for function_name, target in targets.items():
            runner.register_durable_function(function_name, target)
        return runner.run(input={}, timeout=10, **options)


def event_types(result: Any) -> list[str]:
    return [e["EventType"] for e in result.history]


@durable_execution
def echo(event: Any, context: DurableContext) -> Any:
    return event


def stop_now(state: Any, attempt: int) -> WaitForConditionDecision:
    return WaitForConditionDecision.stop_polling()


# -- NaN and infinity ----------------------------------------------------------------------

NAN_CALLS: list[Any] = [
    pytest.param(lambda c: c.step(lambda _: math.nan, name="op"), id="step"),
    pytest.param(lambda c: c.step(lambda _: {"a": [1, -math.inf]}, name="op"), id="step-nested"),
    pytest.param(
        lambda c: c.run_in_child_context(lambda _: [math.inf], name="op"), id="child-result"
    ),
    pytest.param(
        lambda c: c.map([1, 2], lambda _c, item, _i, _a: item * math.nan, name="op"),
        id="map-item-results",
    ),
    pytest.param(
        lambda c: c.parallel([lambda _: 1.0, lambda _: math.nan], name="op"),
        id="parallel-branch-results",
    ),
    pytest.param(
        lambda c: c.wait_for_condition(
            lambda state, _: math.nan,
            WaitForConditionConfig(wait_strategy=stop_now, initial_state=0.0),
            name="op",
        ),
        id="wait_for_condition-state",
    ),
    pytest.param(
        lambda c: c.invoke("echo", math.nan, name="op"),
        id="invoke-payload",
    ),
    pytest.param(
        lambda c: c.invoke("echo", {"x": math.inf}, name="op", config=InvokeConfig()),
        id="invoke-payload-nested",
    ),
]


@pytest.mark.parametrize("call", NAN_CALLS)
def test_non_finite_floats_raise_serdes_error_at_the_call_site(
    call: Callable[[DurableContext], Any],
) -> None:
    caught: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            call(context)
        except SerDesError as error:
            caught.append(str(error))
            return "caught"
        except Exception as error:  # the wrong type: report it
            return f"{type(error).__name__}: {error}"
        return "serialised"

    result = run(handler, targets={"echo": echo})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "caught"
    assert len(caught) == 1
    assert re.search(r"nan|inf", caught[0], re.IGNORECASE), caught[0]


def test_callback_result_with_nan_is_refused_when_the_wait_for_callback_stores_it() -> None:
    # A JSON serdes reading the callback's answer may produce NaN (json.loads accepts it);
    # the wait_for_callback's own result is then stored with the default serdes.
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            return context.wait_for_callback(
                lambda _id, _ctx: None,
                name="approval",
                config=WaitForCallbackConfig(serdes=DEFAULT_JSON_SERDES),
            )
        except SerDesError as error:
            return f"caught: {error}"

    result = run(handler, callbacks={"approval": CallbackSuccess("NaN")})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result.startswith("caught: ")
    assert "nan" in result.result.lower()


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(math.nan, id="nan"),
        pytest.param(math.inf, id="inf"),
        pytest.param({"ratio": -math.inf}, id="nested"),
    ],
)
def test_handler_returning_non_finite_float_fails_with_serialization_error(value: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return value

    result = run(handler)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "SerDesError"
    assert result.error["termination_reason"] == "SERIALIZATION_ERROR"
    assert "handler result" in result.error["message"]
    assert "ExecutionSucceeded" not in event_types(result)


def test_handler_returning_unserialisable_value_is_a_serialisation_error_too() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return {"tags": {1, 2}}

    result = run(handler)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "SerDesError"
    assert result.error["termination_reason"] == "SERIALIZATION_ERROR"
    assert "handler result" in result.error["message"]
    assert "set" in result.error["message"]


def test_json_serdes_refuses_nan_through_the_helper() -> None:
    with pytest.raises(SerDesError, match="NaN"):
        serialize(DEFAULT_JSON_SERDES, [math.nan], "op-1", "arn")


# -- invoke payloads -----------------------------------------------------------------------


def test_unserialisable_invoke_payload_names_the_payload_and_the_function() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.invoke("billing", {"ids": {1, 2}}, name="charge")
        except SerDesError as error:
            return str(error)
        return "sent"

    result = run(handler, targets={"billing": echo})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    message = result.result
    assert "payload" in message
    assert "'billing'" in message
    assert "'charge'" in message
    assert "result" not in message
    assert "set" in message
    assert "StepStarted" not in event_types(result)
    assert "ChainedInvokeStarted" not in event_types(result)


# -- a serdes may return None for None -----------------------------------------------------


class NoneAwareSerDes(SerDes[Any]):
    """JSON, except that ``None`` is stored as no payload at all (and read back as None)."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    def serialize(self, value: Any, serdes_context: SerDesContext) -> str | None:  # type: ignore[override]
        return None if value is None else json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> Any:
        self.seen.append(data)
        return json.loads(data)


def test_wait_for_callback_with_custom_serdes_and_a_submitter_returning_none() -> None:
    serdes = NoneAwareSerDes()

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        answer = context.wait_for_callback(
            lambda _id, _ctx: None, name="approval", config=WaitForCallbackConfig(serdes=serdes)
        )
        context.wait(1)  # a second invocation replays the wait_for_callback
        return answer

    result = run(handler, callbacks={"approval": CallbackSuccess({"ok": True})})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == {"ok": True}
    assert result.invocation_count >= 2
    submitter = result.get_step("approval submitter")
    assert submitter.raw_result is None


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c, s: c.step(lambda _: None, name="op", config=StepConfig(serdes=s)),
            id="step",
        ),
        pytest.param(
            lambda c, s: c.run_in_child_context(
                lambda _: None, name="op", config=ChildConfig(serdes=s)
            ),
            id="child",
        ),
        pytest.param(
            lambda c, s: c.wait_for_condition(
                lambda state, _: None,
                WaitForConditionConfig(wait_strategy=stop_now, initial_state=1, serdes=s),
                name="op",
            ),
            id="wait_for_condition",
        ),
    ],
)
def test_none_from_a_serdes_is_no_payload_and_reads_back_as_none_on_replay(
    call: Callable[[DurableContext, SerDes[Any]], Any],
) -> None:
    serdes = NoneAwareSerDes()
    seen: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[Any]:
        seen.append(call(context, serdes))
        context.wait(1)  # the second invocation replays the operation
        return seen

    result = run(handler, targets={"echo": echo})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.invocation_count >= 2
    assert result.result == [None, None]
    assert serdes.seen == []  # no payload: nothing to deserialise


def test_wait_for_condition_resumes_from_a_none_state() -> None:
    serdes = NoneAwareSerDes()
    states: list[Any] = []

    def check(state: Any, check_context: Any) -> Any:
        states.append(state)
        return None if state == 1 else 2

    def twice(state: Any, attempt: int) -> WaitForConditionDecision:
        if attempt >= 2:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(1)

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_condition(
            check, WaitForConditionConfig(wait_strategy=twice, initial_state=1, serdes=serdes)
        )

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert states == [1, None]  # the second attempt starts from the stored None, not 1
    assert result.result == 2


def test_invoke_payload_none_from_a_serdes_sends_no_payload() -> None:
    serdes = NoneAwareSerDes()
    received: list[Any] = []

    @durable_execution
    def target(event: Any, context: DurableContext) -> str:
        received.append(event)
        return "done"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config: InvokeConfig[Any] = InvokeConfig(serdes_payload=serdes)
        return context.invoke("target", None, name="op", config=config)

    result = run(handler, targets={"target": target})

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "done"
    started = [e for e in result.history if e["EventType"] == "ChainedInvokeStarted"]
    assert len(started) == 1
    assert "Payload" not in json.dumps(started[0]["ChainedInvokeStartedDetails"])
    assert len(received) == 1
