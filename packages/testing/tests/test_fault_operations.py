"""Faults by operation name: failing step attempts, callbacks answered with a failure or never
answered, and invoke targets that fail (``faults`` module)."""

from __future__ import annotations

from typing import Any

import pytest
from examples.human_approval.workflow import OUTBOX
from examples.human_approval.workflow import handler as approval_handler
from examples.order_saga.workflow import PAYMENT_FUNCTION, PaymentDeclined, payment_handler
from examples.order_saga.workflow import handler as order_handler

from aws_durable_execution_sdk_python import (
    CallbackTimeoutError,
    DurableContext,
    InvocationError,
    InvokeError,
    StepError,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import RetryDecision, RetryPresets
from aws_durable_execution_sdk_python_testing import (
    CallbackTimeout,
    DurableFunctionTestRunner,
    InvocationStatus,
)
from aws_durable_execution_sdk_python_testing.faults import (
    FailCallback,
    FailInvoke,
    FailStep,
    TimeOutCallback,
)


class WarehouseDown(Exception):
    def __init__(self, message: str, code: int = 503) -> None:
        super().__init__(message)
        self.code = code


class Charge:
    """A step whose body and retry strategy record what happened to each attempt."""

    def __init__(self, strategy: Any = None) -> None:
        self.bodies: list[int] = []
        self.seen: list[tuple[str, str, int]] = []
        self.inner = strategy or RetryPresets.fixed(5)

    def strategy(self, error: Exception, attempts_made: int) -> RetryDecision:
        self.seen.append((type(error).__name__, str(error), attempts_made))
        decision: RetryDecision = self.inner(error, attempts_made)
        return decision

    def handler(self) -> Any:
        @durable_execution
        def handler(event: Any, context: DurableContext) -> str:
            def charge(step_context: Any) -> str:
                self.bodies.append(step_context.attempt)
                return f"charged on attempt {step_context.attempt}"

            return context.step(charge, name="charge", config=StepConfig(self.strategy))

        return handler


# -- steps ----------------------------------------------------------------------------------


def test_a_step_fault_fails_the_first_attempts_through_the_retry_strategy() -> None:
    charge = Charge()
    with DurableFunctionTestRunner(charge.handler()) as runner:
        result = runner.run({}, faults=[FailStep("charge", WarehouseDown("down"), times=2)])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "charged on attempt 3"
    assert charge.bodies == [3]  # the faulted attempts did not run the body
    assert charge.seen == [("WarehouseDown", "down", 1), ("WarehouseDown", "down", 2)]
    retried = [e for e in result.history if e["EventType"] == "StepFailed"]
    assert [e["StepFailedDetails"]["Error"]["Payload"]["ErrorType"] for e in retried] == [
        f"{__name__}.WarehouseDown"
    ] * 2


def test_without_a_retry_the_handler_sees_the_original_error() -> None:
    caught: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.step(lambda sc: "never", name="charge", config=StepConfig(RetryPresets.none()))
        except WarehouseDown as error:
            caught.append((isinstance(error, StepError), str(error), error.code))
            return "compensated"
        return "charged"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, faults=[FailStep("charge", WarehouseDown("down", code=504))])

    assert result.result == "compensated"
    assert caught == [(True, "down", 504)]
    assert result.get_step("charge").status is OperationStatus.FAILED


def test_sdk_exceptions_injected_into_a_step_keep_their_meaning() -> None:
    not_retried = Charge()
    with DurableFunctionTestRunner(not_retried.handler()) as runner:
        refused = runner.run({}, faults=[FailStep("charge", ValidationError("bad amount"))])
    assert refused.status is InvocationStatus.FAILED
    assert not_retried.seen == []  # never asked: a ValidationError is permanent

    invocation = Charge()
    with DurableFunctionTestRunner(invocation.handler()) as runner:
        again = runner.run({}, faults=[FailStep("charge", InvocationError("flaky host"))])
    assert again.result == "charged on attempt 1"  # the invocation failed, not the attempt
    assert invocation.seen == []
    assert again.invocations[0]["Error"]["Payload"]["ErrorType"] == "InvocationError"


def test_step_faults_of_one_name_cover_consecutive_attempts_in_order() -> None:
    charge = Charge()
    faults = [FailStep("charge", WarehouseDown("first")), FailStep("charge", KeyError("k"), 2)]
    with DurableFunctionTestRunner(charge.handler()) as runner:
        result = runner.run({}, faults=faults)

    assert result.result == "charged on attempt 4"
    assert [(kind, attempt) for kind, _text, attempt in charge.seen] == [
        ("WarehouseDown", 1),
        ("KeyError", 2),
        ("KeyError", 3),
    ]


def test_a_step_fault_reaches_steps_inside_map_items() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[int]:
        def item(ctx: Any, value: int, index: int, items: Any) -> int:
            return ctx.step(lambda sc: value * sc.attempt, name="scale")

        return context.map([1, 2], item, name="items").get_results()

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, faults=[FailStep("scale", WarehouseDown("busy"))])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [2, 4]  # each item's step ran on its second attempt


def test_one_fault_value_serves_many_runs() -> None:
    charge = Charge()
    fault = FailStep("charge", WarehouseDown("down"))
    with DurableFunctionTestRunner(charge.handler(), faults=[fault]) as runner:
        first = runner.run({})
        second = runner.run({})

    assert first.result == second.result == "charged on attempt 2"
    assert fault.error.__traceback__ is None  # copies were raised, not the value itself


# -- callbacks ------------------------------------------------------------------------------


EXPENSE = {"expense_id": "e-7", "employee": "sam", "amount": 120, "approver": "maria"}


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    OUTBOX.clear()


def test_a_failed_callback_is_the_external_systems_failure() -> None:
    with DurableFunctionTestRunner(approval_handler) as runner:
        result = runner.run(EXPENSE, faults=[FailCallback("approval", ValueError("over budget"))])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["status"] == "rejected"
    assert result.result["reason"] == "over budget"
    assert len(OUTBOX) == 1  # the approver was asked once


def test_a_timed_out_callback_is_one_nobody_answered() -> None:
    with DurableFunctionTestRunner(approval_handler) as runner:
        result = runner.run(EXPENSE, faults=[TimeOutCallback("approval")])

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["status"] == "escalated"
    callbacks = [e for e in result.history if e["EventType"] == "CallbackTimedOut"]
    assert len(callbacks) == 1
    # At once: the clock did not move to the day-long deadline (nor to the heartbeat's).
    assert result.end_timestamp is not None and result.start_timestamp is not None
    assert (result.end_timestamp - result.start_timestamp).total_seconds() < 60


def test_a_callback_fault_without_details_and_on_a_plain_callback() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        callback = context.create_callback(name="ticket")
        try:
            callback.result()
        except CallbackTimeoutError:
            return "timed out"
        except Exception as error:
            return f"failed: {type(error).__name__}"
        return "answered"

    with DurableFunctionTestRunner(handler) as runner:
        assert (
            runner.run({}, faults=[FailCallback("ticket")]).result
            == "failed: CallbackExternalError"
        )
        assert runner.run({}, faults=[TimeOutCallback("ticket")]).result == "timed out"


def test_callback_faults_come_before_declared_answers() -> None:
    with DurableFunctionTestRunner(approval_handler) as runner:
        result = runner.run(
            EXPENSE,
            callbacks={"*": {"approver": "maria"}},
            faults=[TimeOutCallback("approval")],
        )

    assert result.result["status"] == "escalated"


# -- invokes --------------------------------------------------------------------------------

ORDER = {"order_id": "o-1", "items": 2, "card": "tok_visa"}


def test_a_failing_invoke_target_by_operation_name() -> None:
    with DurableFunctionTestRunner(order_handler) as runner:
        runner.register_durable_function(PAYMENT_FUNCTION, payment_handler)
        result = runner.run(
            ORDER, faults=[FailInvoke("charge payment", PaymentDeclined("card stolen"))]
        )

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result["status"] == "payment_failed"
    assert result.result["reason"] == "card stolen"
    assert result.result["error_type"].endswith("PaymentDeclined")
    assert result.result["compensation"] == ["released rsv-o-1-2"]


def test_a_failing_invoke_target_by_function_name_need_not_be_registered() -> None:
    caught: list[tuple[bool, str]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.invoke("inventory-service", {"sku": 1})
        except InvokeError as error:
            caught.append((isinstance(error, TimeoutError), error.message))
            return "fallback"
        return "reserved"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, faults=[FailInvoke("inventory-service", TimeoutError("slow"))])

    assert result.result == "fallback"
    assert caught == [(True, "slow")]


def test_a_declared_callback_timeout_is_the_same_answer() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        try:
            context.create_callback(name="ticket").result()
        except CallbackTimeoutError as error:
            return f"timed out: {error.message}"
        return "answered"

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({}, callbacks={"ticket": CallbackTimeout(delay=30)})

    assert result.result == "timed out: Callback timed out"
    callback = next(e for e in result.history if e["EventType"] == "CallbackTimedOut")
    started = next(e for e in result.history if e["EventType"] == "CallbackStarted")
    assert (callback["EventTimestamp"] - started["EventTimestamp"]).total_seconds() >= 30
