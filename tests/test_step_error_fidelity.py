"""A step's error caught in the handler behaves like the original, on the first run and replay.

docs/decisions.md, "A failed step raises its original error", "Non-retryable SDK exceptions
inside steps", "Exhausted invocation retries" and "Durable operations are called from the
handler, not from a step".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from aws_durable_execution_sdk_python import (
    CallbackSubmitterError,
    CheckpointError,
    ExecutionError,
    InvocationError,
    SerDesError,
    StepError,
    UnrecoverableError,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.lambda_service import ErrorObject, OperationStatus
from aws_durable_execution_sdk_python.retries import RetryDecision, RetryPresets
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

NO_RETRY = StepConfig(RetryPresets.none())


class CodedError(Exception):
    """Constructor arguments differ from ``args``; a custom attribute carries the code."""

    def __init__(self, code: str) -> None:
        super().__init__(f"failed with {code}")
        self.code = code
        self.details = ("a", 1)  # a tuple: JSON gives a list back, on both runs alike
        self.handle = object()  # JSON cannot carry it: lost on both runs


def run(handler: Callable[..., Any], **options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **options) as runner:
        return runner.run(input={}, timeout=10)


def observe(error: BaseException) -> dict[str, Any]:
    cause = error.__cause__
    return {
        "classes": [c.__qualname__ for c in type(error).__mro__[1:]],
        "args": list(error.args),
        "str": str(error),
        "repr": repr(error),
        "attributes": {
            k: v for k, v in vars(error).items() if not k.startswith("_") and k != "handle"
        },
        "has_handle": hasattr(error, "handle"),
        "cause": None if cause is None else type(cause).__qualname__,
        "cause_args": None if cause is None else list(cause.args),
    }


ORIGINALS = [
    pytest.param(
        lambda: botocore.exceptions.ClientError(
            {"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "PutItem"
        ),
        botocore.exceptions.ClientError,
        lambda e: (
            e.response["Error"]["Code"] == "ThrottlingException" and e.operation_name == "PutItem"
        ),
        id="ClientError",
    ),
    pytest.param(
        lambda: CodedError("E42"),
        CodedError,
        lambda e: e.code == "E42" and e.details == ["a", 1] and not hasattr(e, "handle"),
        id="custom-attributes",
    ),
    pytest.param(
        lambda: FileNotFoundError(2, "No such file or directory", "/tmp/x"),
        OSError,
        lambda e: (
            e.errno == 2 and e.strerror == "No such file or directory" and e.filename == "/tmp/x"
        ),
        id="OSError",
    ),
    pytest.param(
        lambda: json.JSONDecodeError("Expecting value", "{oops", 1),
        json.JSONDecodeError,
        lambda e: e.pos == 1 and e.msg == "Expecting value" and e.doc == "{oops",
        id="JSONDecodeError",
    ),
    pytest.param(lambda: KeyError("sku"), KeyError, lambda e: e.args == ("sku",), id="KeyError"),
    pytest.param(ValueError, ValueError, lambda e: e.args == (), id="no-args"),
]


@pytest.mark.parametrize(("make", "cls", "check"), ORIGINALS)
def test_caught_error_is_the_same_on_the_first_run_and_on_replay(
    make: Callable[[], Exception], cls: type[Exception], check: Callable[[Any], bool]
) -> None:
    originals: list[Exception] = []
    seen: list[dict[str, Any]] = []
    checks: list[bool] = []

    def body(_: Any) -> None:
        originals.append(make())
        raise originals[-1]

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="call", config=NO_RETRY)
        except cls as error:
            assert isinstance(error, StepError)
            seen.append(observe(error))
            checks.append(check(error))
        context.wait(Duration.from_seconds(1))  # the second invocation replays the failure
        return "done"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert len(originals) == 1
    [original] = originals
    first, replayed = seen
    assert first == replayed
    assert checks == [True, True]
    assert first["str"] == str(original)
    assert first["args"] == list(original.args)
    assert type(original).__qualname__ in first["classes"]
    assert first["cause"] == type(original).__qualname__
    assert first["cause_args"] == list(original.args)
    assert "StepError" in first["repr"]
    assert result.get_step("call").error.message == str(original)


def test_first_run_cause_is_the_live_original() -> None:
    raised: list[Exception] = []
    causes: list[BaseException | None] = []

    def body(_: Any) -> None:
        raised.append(CodedError("E1"))
        raise raised[-1]

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.step(body, config=NO_RETRY)
        except CodedError as error:
            causes.append(error.__cause__)

    assert run(handler).status is InvocationStatus.SUCCEEDED
    assert causes == raised


def test_error_data_written_by_others_stays_readable_as_data() -> None:
    from aws_durable_execution_sdk_python._operations.failures import operation_error

    foreign = ErrorObject("declined", "PaymentDeclined", '{"reason": "card"}')
    error = operation_error(StepError, foreign, "1")
    assert error.data == '{"reason": "card"}'
    assert error.error_type == "PaymentDeclined"
    assert error.message == "declined"
    enveloped = ErrorObject.from_exception(CodedError("E7"))
    assert enveloped.data is not None
    rebuilt = operation_error(StepError, enveloped, "1")
    assert isinstance(rebuilt, CodedError)
    assert rebuilt.data is None  # the SDK's own envelope is not the user's data
    assert rebuilt.code == "E7"


def test_an_oversized_envelope_is_dropped_not_cut() -> None:
    from aws_durable_execution_sdk_python._operations.failures import operation_error

    error = CodedError("E9")
    error.code = "x" * 40_000
    fitted = ErrorObject.from_exception(error).fitted()
    assert len(json.dumps(fitted.to_dict())) <= 32 * 1024
    assert fitted.data is None
    rebuilt = operation_error(StepError, fitted, "1")
    assert isinstance(rebuilt, CodedError)
    assert str(rebuilt) == "failed with E9"


def test_local_class_is_the_raised_class_on_the_first_run() -> None:
    class LocalError(Exception):
        pass

    kinds: list[tuple[bool, bool, str]] = []

    def body(_: Any) -> None:
        raise LocalError("local")

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.step(body, config=NO_RETRY)
        except StepError as error:
            kinds.append(
                (isinstance(error, LocalError), error.__cause__ is not None, error.message)
            )
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    # Replay cannot import a local class: a plain StepError naming it, and no cause.
    assert kinds == [(True, True, "local"), (False, False, "local")]


def test_exception_group_is_caught_with_except_star_on_both_runs() -> None:
    seen: list[list[Any]] = []

    def body(_: Any) -> None:
        raise ExceptionGroup("batch", [ValueError("a"), KeyError("b"), CodedError("E3")])

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        got: list[Any] = []
        try:
            context.step(body, config=NO_RETRY)
        except* ValueError as group:
            got.append([str(e) for e in group.exceptions])
        except* CodedError as group:
            got.append([e.code for e in group.exceptions])
        except* KeyError as group:
            got.append([e.args for e in group.exceptions])
        try:
            context.step(body, config=NO_RETRY)
        except ExceptionGroup as group:
            got.append([str(group), isinstance(group, StepError), len(group.exceptions)])
        seen.append(got)
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    first, replayed = seen
    assert first == replayed
    assert first == [["a"], ["E3"], [("b",)], ["batch (3 sub-exceptions)", True, 3]]


# -- SDK exceptions that no retry strategy may retry ----------------------------------------

NOT_RETRYABLE = [
    pytest.param(lambda: ValidationError("bad"), ValidationError, id="ValidationError"),
    pytest.param(lambda: SerDesError("bad"), SerDesError, id="SerDesError"),
    pytest.param(lambda: UnrecoverableError("bad"), UnrecoverableError, id="Unrecoverable"),
    pytest.param(lambda: ExecutionError("bad"), ExecutionError, id="ExecutionError"),
]


def always_retry(error: Exception, attempt: int) -> RetryDecision:
    return RetryDecision.retry(Duration.from_seconds(1))


@pytest.mark.parametrize(("make", "cls"), NOT_RETRYABLE)
def test_non_retryable_sdk_errors_fail_the_step_at_once(
    make: Callable[[], Exception], cls: type[Exception]
) -> None:
    runs: list[int] = []
    caught: list[str] = []

    def body(_: Any) -> None:
        runs.append(1)
        raise make()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.step(body, name="s", config=StepConfig(retry_strategy=always_retry))
        except cls as error:
            caught.append(type(error).__name__)
        return "ok"

    result = run(handler)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert runs == [1]
    assert caught == ["StepError"]
    assert result.get_step("s").status is OperationStatus.FAILED


@pytest.mark.parametrize(("make", "cls"), NOT_RETRYABLE)
def test_with_retry_does_not_retry_non_retryable_sdk_errors(
    make: Callable[[], Exception], cls: type[Exception]
) -> None:
    from aws_durable_execution_sdk_python.retries import WithRetryConfig, with_retry

    attempts: list[int] = []

    def block(ctx: Any, attempt: int) -> None:
        attempts.append(attempt)
        raise make()

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            with_retry(context, block, WithRetryConfig(retry_strategy=always_retry))
        except cls:
            return "caught"
        return "not caught"

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == "caught"
    assert attempts == [1]


def test_wait_for_condition_check_raising_validation_error_fails_with_its_type() -> None:
    runs: list[int] = []

    def check(state: int, _: Any) -> int:
        runs.append(state)
        raise ValidationError("no")

    config = WaitForConditionConfig(
        wait_strategy=lambda s, a: always_retry(ValueError(), a), initial_state=0
    )

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        try:
            context.wait_for_condition(check, config)
        except ValidationError:
            return "caught"
        return "no"

    result = run(handler)
    assert result.result == "caught", result.error
    assert runs == [0]


# -- exhausted invocation retries ------------------------------------------------------------

REASONS = [
    pytest.param(lambda: CheckpointError("throttled"), "CHECKPOINT_FAILED", id="CheckpointError"),
    pytest.param(lambda: InvocationError("down"), "INVOCATION_ERROR", id="InvocationError"),
    pytest.param(lambda: SystemExit(1), "UNHANDLED_ERROR", id="crash"),
]


@pytest.mark.parametrize(("make", "reason"), REASONS)
def test_exhausted_invocation_retries_keep_the_cause_as_reason(
    make: Callable[[], BaseException], reason: str
) -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> None:
        raise make()

    result = run(handler, invocation_retries=1)
    assert result.status is InvocationStatus.FAILED
    assert result.invocation_count == 2
    assert result.error["termination_reason"] == reason


# -- durable operations inside a step --------------------------------------------------------

INSIDE = [
    pytest.param(lambda c: c.step(lambda _: 1), "context.step", id="step"),
    pytest.param(lambda c: c.wait(Duration.from_seconds(1)), "context.wait", id="wait"),
    pytest.param(lambda c: c.create_callback(), "context.create_callback", id="callback"),
    pytest.param(lambda c: c.invoke("other", {}), "context.invoke", id="invoke"),
    pytest.param(lambda c: c.map([1], lambda *a: 1), "context.map", id="map"),
    pytest.param(lambda c: c.parallel([lambda _: 1]), "context.parallel", id="parallel"),
    pytest.param(
        lambda c: c.run_in_child_context(lambda _: 1),
        "context.run_in_child_context",
        id="child",
    ),
]


@pytest.mark.parametrize(("call", "label"), INSIDE)
def test_durable_operation_inside_a_step_is_refused_at_once(
    call: Callable[[Any], Any], label: str
) -> None:
    messages: list[str] = []

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        def body(_: Any) -> None:
            try:
                call(context)
            except ValidationError as error:
                messages.append(str(error))
                raise

        try:
            context.step(body, name="outer", config=NO_RETRY)
        except ValidationError:
            return "refused"
        return "ran"

    result = run(handler)
    assert result.result == "refused", result.error
    [message] = messages
    assert label in message
    assert "'outer'" in message
    assert "not from inside a step" in message


def test_durable_operation_inside_a_check_or_submitter_is_refused() -> None:
    messages: list[str] = []
    kinds: list[bool] = []

    @durable_execution
    def handler(event: Any, context: Any) -> list[str]:
        def check(state: int, _: Any) -> int:
            context.wait(Duration.from_seconds(1))
            return state

        def submitter(callback_id: str, _: Any) -> None:
            context.step(lambda _: 1)

        config = WaitForConditionConfig(
            wait_strategy=lambda s, a: always_retry(ValueError(), a), initial_state=0
        )
        for attempt in (
            lambda: context.wait_for_condition(check, config, name="poll"),
            lambda: context.wait_for_callback(submitter, name="approval"),
        ):
            try:
                attempt()
            except ValidationError as error:
                # a submitter's failure is also a CallbackSubmitterError
                kinds.append(isinstance(error, CallbackSubmitterError))
                messages.append(str(error))
        return messages

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    first, second = result.result
    assert "context.wait" in first and "'poll'" in first
    assert "context.step" in second and "submitter" in second
    assert kinds == [False, True]


def test_map_started_outside_a_step_runs_steps_in_its_items() -> None:
    @durable_execution
    def handler(event: Any, context: Any) -> list[int]:
        before = context.step(lambda _: 1, name="before")
        batch = context.map(
            [1, 2, 3], lambda c, item, i, items: c.step(lambda _: item * 10 + before)
        )
        return batch.get_results()

    result = run(handler)
    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == [11, 21, 31]


def test_generated_botocore_class_replays_as_client_error() -> None:
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1")
    generated = client.exceptions.ConditionalCheckFailedException
    seen: list[tuple[bool, str, str]] = []

    def body(_: Any) -> None:
        raise generated(
            {"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem"
        )

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.step(body, config=NO_RETRY)
        except botocore.exceptions.ClientError as error:
            seen.append((isinstance(error, generated), error.response["Error"]["Code"], str(error)))
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    # First run: the generated class itself; replay: its importable base, same fields.
    first, replayed = seen
    assert first[0] and not replayed[0]
    assert (
        first[1:]
        == replayed[1:]
        == (
            "ConditionalCheckFailedException",
            "An error occurred (ConditionalCheckFailedException) when calling the PutItem "
            "operation: no",
        )
    )


def test_local_subclass_of_a_builtin_replays_as_the_builtin() -> None:
    class LocalValueError(ValueError):
        pass

    kinds: list[tuple[bool, bool]] = []

    def body(_: Any) -> None:
        raise LocalValueError("bad")

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.step(body, config=NO_RETRY)
        except ValueError as error:
            kinds.append((isinstance(error, LocalValueError), isinstance(error, StepError)))
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    assert kinds == [(True, True), (False, True)]


def test_child_context_failure_is_the_same_on_the_first_run_and_on_replay() -> None:
    seen: list[dict[str, Any]] = []

    def body(_: Any) -> None:
        raise CodedError("E5")

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.run_in_child_context(lambda c: c.step(body, config=NO_RETRY), name="group")
        except CodedError as error:
            seen.append(observe(error) | {"code": error.code})
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    first, replayed = seen
    assert first == replayed
    assert first["code"] == "E5"
    assert first["cause"] == "CodedError"
    assert "ChildContextError" in first["repr"]
