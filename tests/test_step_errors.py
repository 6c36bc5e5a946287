"""A failed step raises an exception that is both ``StepError`` and the original class.

docs/decisions.md, "A failed step raises its original error".

Covers the first run (``__cause__`` is the original exception), replay (the exception is
rebuilt from the checkpointed ``ErrorType`` and looks the same), classes that cannot be
resolved or subclassed (a plain ``StepError`` naming the type), the ``ErrorType`` recorded on
the step, and an uncaught failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableOperationError, StepError, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.lambda_service import OperationStatus
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

NO_RETRY = StepConfig(RetryPresets.none())


class OrderRejectedError(Exception):
    """A user exception defined at module level, so replay can import it by qualified name."""


class HttpStatusError(Exception):
    """A user exception whose constructor takes more than a message (very common)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(status, body)
        self.status = status

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.args[1]}"


class SealedError(Exception):
    """A class that refuses to be subclassed: the mixed StepError class cannot be built."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("SealedError is final")


# (factory of the raised exception, class to catch, ErrorType recorded on the step)
CASES = [
    pytest.param(lambda: ValueError("bad amount"), ValueError, "ValueError", id="ValueError"),
    pytest.param(
        lambda: OrderRejectedError("order 7 rejected"),
        OrderRejectedError,
        f"{__name__}.OrderRejectedError",
        id="custom",
    ),
    pytest.param(
        lambda: ConnectionError("connection refused"),
        ConnectionError,
        "ConnectionError",
        id="ConnectionError",
    ),
    pytest.param(lambda: KeyError("sku"), KeyError, "KeyError", id="KeyError"),
]


def run(handler: Callable[..., Any], **runner_options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **runner_options) as runner:
        return runner.run(input={}, timeout=10)


def events(result: Any, event_type: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["EventType"] == event_type]


def describe(error: BaseException) -> dict[str, Any]:
    """What a handler can observe about a caught step error (JSON friendly)."""
    assert isinstance(error, DurableOperationError)
    return {
        "mro": [c.__name__ for c in type(error).__mro__ if c is not type(error)],
        "str": str(error),
        "message": error.message,
        "error_type": error.error_type,
        "is_step_error": isinstance(error, StepError),
    }


@pytest.mark.parametrize(("make_error", "cls", "error_type"), CASES)
def test_failed_step_is_both_step_error_and_original_class(
    make_error: Callable[[], Exception], cls: type[Exception], error_type: str
) -> None:
    raised: list[Exception] = []
    seen: list[BaseException] = []

    def body(_: Any) -> None:
        error = make_error()
        raised.append(error)
        raise error

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="charge", config=NO_RETRY)
        except cls as error:  # the seed's style
            seen.append(error)
        try:
            context.step(body, name="charge again", config=NO_RETRY)
        except StepError as error:  # the existing SDK's style
            seen.append(error)
        return "handled"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "handled"
    assert len(seen) == 2
    for error, original in zip(seen, raised, strict=True):
        assert isinstance(error, StepError)
        assert isinstance(error, cls)
        assert error.__cause__ is original  # first run: the original is the cause
        assert str(error) == str(original)  # no type prefix: what the original said
        assert cls.__name__ in repr(error)
        assert error.error_type == error_type
    step = result.get_step("charge")
    assert step.status is OperationStatus.FAILED
    assert step.attempt == 1
    assert step.error is not None
    assert step.error.type == error_type
    assert step.error.message == str(raised[0])


@pytest.mark.parametrize(("make_error", "cls", "error_type"), CASES)
def test_replayed_failure_is_rebuilt_with_same_type_and_message(
    make_error: Callable[[], Exception], cls: type[Exception], error_type: str
) -> None:
    runs: list[int] = []
    caught: list[dict[str, Any]] = []
    causes: list[BaseException | None] = []

    def body(_: Any) -> None:
        runs.append(1)
        raise make_error()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="fetch", config=NO_RETRY)
        except cls as error:
            caught.append(describe(error))
            causes.append(error.__cause__)
        context.wait(1)  # ends the first invocation; the second replays the failed step
        return "done"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.invocation_count == 2
    assert len(runs) == 1  # replay never re-runs a FAILED step
    assert len(caught) == 2  # caught in both invocations
    first, replayed = caught
    assert replayed == first
    assert first["error_type"] == error_type
    assert cls.__name__ in first["mro"]
    assert "StepError" in first["mro"]
    assert causes[0] is not None
    assert type(causes[0]) is cls


def test_failure_after_retries_is_rebuilt_on_the_last_invocation() -> None:
    attempts: list[int] = []
    caught: list[dict[str, Any]] = []

    def body(step_context: Any) -> None:
        attempts.append(step_context.attempt)
        raise OrderRejectedError(f"attempt {step_context.attempt}")

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="flaky", config=StepConfig(RetryPresets.fixed(1)))
        except OrderRejectedError as error:
            caught.append(describe(error))
        return "gave up"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert attempts == [1, 2, 3, 4, 5]
    assert len(caught) == 1
    assert caught[0]["message"] == "attempt 5"
    assert caught[0]["is_step_error"]
    assert result.get_step("flaky").attempt == 5
    assert len(events(result, "StepFailed")) == 5


def test_original_class_with_custom_constructor_is_still_catchable() -> None:
    caught: list[tuple[bool, str]] = []

    def body(_: Any) -> None:
        raise HttpStatusError(503, "unavailable")

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="call", config=NO_RETRY)
        except StepError as error:
            caught.append((isinstance(error, HttpStatusError), str(error)))
        return "done"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    [(is_original, text)] = caught
    assert text == "HTTP 503: unavailable"
    assert is_original  # importable and subclassable, so `except HttpStatusError` works


def test_unresolvable_class_gives_plain_step_error_naming_the_type() -> None:
    class LocalError(Exception):  # not importable by its qualified name
        pass

    caught: list[dict[str, Any]] = []
    exact_types: list[bool] = []

    def body(_: Any) -> None:
        raise LocalError("local failure")

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="local", config=NO_RETRY)
        except StepError as error:
            # First run: the live class, even a local one; replay: it cannot be imported.
            exact_types.append(type(error) is StepError)
            caught.append(describe(error))
        context.wait(1)
        return "done"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert exact_types == [False, True]
    assert "LocalError" in caught[0]["mro"]
    assert caught[0]["error_type"] == caught[1]["error_type"]
    assert caught[0]["error_type"].endswith("<locals>.LocalError")
    assert caught[0]["str"] == "local failure"
    assert "LocalError" in caught[1]["str"]  # the plain stand-in names the type it replaces
    assert caught[0]["message"] == caught[1]["message"] == "local failure"
    recorded = result.get_step("local").error
    assert recorded is not None
    assert recorded.type == caught[0]["error_type"]


def test_class_that_cannot_be_subclassed_gives_plain_step_error() -> None:
    caught: list[BaseException] = []

    def body(_: Any) -> None:
        raise SealedError("sealed")

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="sealed", config=NO_RETRY)
        except StepError as error:
            caught.append(error)
        return "done"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    [error] = caught
    assert type(error) is StepError
    assert isinstance(error, StepError)
    assert error.error_type == f"{__name__}.SealedError"
    assert "SealedError" in str(error)


def test_uncaught_step_failure_fails_the_execution_naming_the_type() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(_: Any) -> None:
            raise ValueError("amount must be positive")

        context.step(body, name="validate", config=NO_RETRY)

    result = run(handler)

    assert result.status is InvocationStatus.FAILED
    assert result.execution_status == "FAILED"
    assert result.error is not None
    assert "ValueError" in str(result.error)
    assert "amount must be positive" in result.error["message"]
    assert result.error["termination_reason"] == "UNHANDLED_ERROR"
    step = result.get_step("validate")
    assert step.error is not None
    assert step.error.type == "ValueError"
    assert len(events(result, "ExecutionFailed")) == 1
    assert result.history[-1]["EventType"] == "ExecutionFailed"


def test_uncaught_custom_failure_records_module_qualified_type() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        def body(_: Any) -> None:
            raise OrderRejectedError("no stock")

        context.step(body, name="reserve", config=NO_RETRY)

    result = run(handler)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert "OrderRejectedError" in str(result.error)
    step = result.get_step("reserve")
    assert step.error is not None
    assert step.error.type == f"{__name__}.OrderRejectedError"
    [failed] = events(result, "StepFailed")
    payload = failed["StepFailedDetails"]["Error"]["Payload"]
    assert payload == {"ErrorMessage": "no stock", "ErrorType": f"{__name__}.OrderRejectedError"}
