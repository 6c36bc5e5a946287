"""A step's error caught in the handler behaves like the original, on the first run and replay.

docs/decisions.md, "A failed step raises its original error": args, str(), the attributes
JSON can carry, the cause rule and exception groups, for steps and child contexts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from aws_durable_execution_sdk_python import (
    StepError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets
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


def caught_twice(body: Callable[[Any], Any], observe: Callable[[Any], Any]) -> list[Any]:
    """What ``observe`` says of the step error on the first run and on a replay."""
    seen: list[Any] = []

    @durable_execution
    def handler(event: Any, context: Any) -> None:
        try:
            context.step(body, config=NO_RETRY)
        except StepError as error:
            seen.append(observe(error))
        context.wait(Duration.from_seconds(1))

    assert run(handler).status is InvocationStatus.SUCCEEDED
    assert len(seen) == 2
    return seen


def test_error_data_written_by_others_stays_readable_as_data() -> None:
    def body(_: Any) -> None:
        raise StepError("declined", "PaymentDeclined", '{"reason": "card"}')

    first, replayed = caught_twice(body, lambda e: (e.error_type, e.message, e.data))
    assert first == replayed == ("PaymentDeclined", "declined", '{"reason": "card"}')


def test_the_sdk_envelope_is_not_the_users_data() -> None:
    def body(_: Any) -> None:
        raise CodedError("E7")

    first, replayed = caught_twice(body, lambda e: (e.data, e.code))
    assert first == replayed == (None, "E7")


def test_an_oversized_envelope_is_dropped_not_cut() -> None:
    def body(_: Any) -> None:
        error = CodedError("E9")
        error.code = "x" * 40_000  # over the 32 KiB error limit
        raise error

    first, replayed = caught_twice(
        body, lambda e: (isinstance(e, CodedError), str(e), hasattr(e, "code"))
    )
    # Attributes do not fit: they go (on both runs alike); class and message stay.
    assert first == replayed == (True, "failed with E9", False)


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
