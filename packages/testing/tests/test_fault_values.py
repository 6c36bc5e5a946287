"""Fault values are checked where they enter, and a fault that never fires fails the run.

Bad values raise ``InvalidFaultError`` (a ``DurableFunctionsTestError``) at construction or
when handed to the runner, naming the field and the fix, before any execution exists. A
name or call number cannot be checked before the run (operations appear as the handler
runs), so a fault that never fired raises ``FaultNotFiredError`` when the run ends, naming
it; the result is on the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    InvocationStatus,
)
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
    FailCallback,
    FailInvoke,
    FailStep,
    FaultNotFiredError,
    InvalidFaultError,
    ServiceApi,
    ServiceError,
    ServiceFault,
    TimeOutCallback,
)


@durable_execution
def one_step(event: Any, context: DurableContext) -> str:
    result: str = context.step(lambda sc: "a", name="a")
    return result


BAD_VALUES: list[tuple[Callable[[], Any], str]] = [
    (
        lambda: CrashAfterCheckpoint(0),
        r"CrashAfterCheckpoint\(call=0\): expected a call number >= 1",
    ),
    (lambda: CrashAfterCheckpoint(-1), r"call=-1"),
    (lambda: CrashBeforeCheckpoint(True), r"call=True"),
    (lambda: CrashBeforeCheckpoint(1.5), r"call=1.5"),  # type: ignore[arg-type]
    (lambda: FailStep("", ValueError()), r"FailStep\(name=''\): expected the operation's name"),
    (lambda: FailStep(None, ValueError()), r"name=None"),  # type: ignore[arg-type]
    (lambda: FailStep("a", ValueError), r"pass an instance, e.g. ValueError\('what went wrong'\)"),
    (lambda: FailStep("a", "boom"), r"error='boom'\): expected an exception instance"),  # type: ignore[arg-type]
    (lambda: FailStep("a", SystemExit(1)), r"CrashBeforeCheckpoint / CrashAfterCheckpoint"),  # type: ignore[arg-type]
    (lambda: FailStep("a", ValueError(), times=0), r"times=0\): expected a count >= 1"),
    (lambda: FailStep("a", ValueError(), times=None), r"times=None"),  # type: ignore[arg-type]
    (lambda: FailCallback("", None), r"FailCallback\(name=''\)"),
    (lambda: FailCallback("cb", "nope"), r"FailCallback\(error='nope'\)"),  # type: ignore[arg-type]
    (lambda: TimeOutCallback(""), r"TimeOutCallback\(name=''\)"),
    (lambda: FailInvoke("pay", None), r"FailInvoke\(error=None\)"),  # type: ignore[arg-type]
    (lambda: ServiceFault("THROTTLING", call=1), r"expected one of ServiceError.THROTTLING"),  # type: ignore[arg-type]
    (lambda: ServiceFault(ServiceError.THROTTLING, call=0), r"ServiceFault\(call=0\)"),
    (
        lambda: ServiceFault(ServiceError.THROTTLING, call=1, api="checkpoint"),  # type: ignore[arg-type]
        r"expected one of ServiceApi.CHECKPOINT, ServiceApi.GET_EXECUTION_STATE",
    ),
    (
        lambda: ServiceFault(ServiceError.THROTTLING, call=1, times=0),
        r"times=0\): expected a count >= 1 or None \(every call from then on\)",
    ),
]


@pytest.mark.parametrize(("make", "message"), BAD_VALUES)
def test_bad_fault_values_are_refused_at_construction(
    make: Callable[[], Any], message: str
) -> None:
    with pytest.raises(InvalidFaultError, match=message):
        make()


def test_invalid_fault_error_is_a_test_error() -> None:
    assert issubclass(InvalidFaultError, DurableFunctionsTestError)
    assert issubclass(FaultNotFiredError, DurableFunctionsTestError)


BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"crash_after": 0}, r"run\(crash_after=0\): expected a checkpoint call number >= 1"),
    ({"crash_after": -3}, r"crash_after=-3"),
    ({"crash_after": True}, r"crash_after=True"),
    ({"crash_after": "2"}, r"crash_after='2'"),
    (
        {"faults": CrashAfterCheckpoint(1)},
        r"pass a list, faults=\[CrashAfterCheckpoint\(call=1\)\]",
    ),
    ({"faults": "crash"}, r"faults='crash'\): expected a list of faults"),
    ({"faults": [CrashAfterCheckpoint(1), 3]}, r"faults=\[..., 3, ...\]\): not a fault"),
    (
        {"faults": [CrashAfterCheckpoint(2), CrashAfterCheckpoint(2)]},
        r"declared twice: a crash fires once",
    ),
    ({"crash_after": 2, "faults": [CrashAfterCheckpoint(2)]}, r"declared twice"),
    (
        {"faults": [FailInvoke("pay", ValueError()), FailInvoke("pay", KeyError())]},
        r"that operation already has a fault",
    ),
    (
        {"faults": [FailCallback("ok"), TimeOutCallback("ok")]},
        r"TimeOutCallback\(name='ok'\): that operation already has a fault",
    ),
]


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS)
def test_bad_fault_options_are_refused_before_the_execution_starts(
    options: dict[str, Any], message: str
) -> None:
    with DurableFunctionTestRunner(one_step) as runner:
        with pytest.raises(InvalidFaultError, match=message):
            runner.run({}, **options)
        assert runner.service.executions == {}  # nothing left behind
        assert runner.run({}).result == "a"  # and the runner still works


def test_bad_runner_faults_are_refused_when_the_runner_is_made() -> None:
    with pytest.raises(InvalidFaultError, match=r"DurableFunctionTestRunner\(faults="):
        DurableFunctionTestRunner(one_step, faults=CrashAfterCheckpoint(1))  # type: ignore[arg-type]


def test_a_fault_by_an_unknown_name_fails_the_run_naming_it() -> None:
    with DurableFunctionTestRunner(one_step) as runner, pytest.raises(FaultNotFiredError) as caught:
        runner.run({}, faults=[FailStep("b", ValueError("x")), FailStep("a", ValueError("y"))])

    error = caught.value
    assert "FailStep(name='b'" in str(error)
    assert "name='a'" not in str(error)  # that one fired
    assert error.faults == (FailStep("b", error.faults[0].error),)
    assert error.result.status is InvocationStatus.SUCCEEDED
    assert error.result.result == "a"


def test_a_call_number_the_execution_never_reaches_fails_the_run() -> None:
    with DurableFunctionTestRunner(one_step) as runner:
        with pytest.raises(FaultNotFiredError, match=r"CrashAfterCheckpoint\(call=5\).*made 1"):
            runner.run({}, crash_after=5)
        with pytest.raises(
            FaultNotFiredError,
            match=r"ServiceFault\(ServiceError.THROTTLING, call=1, api=ServiceApi.GET_EXECUTION",
        ):
            runner.run(
                {},
                faults=[
                    ServiceFault(
                        ServiceError.THROTTLING, call=1, api=ServiceApi.GET_EXECUTION_STATE
                    )
                ],
            )


def errors(result: Any) -> list[str | None]:
    return [i.get("Error", {}).get("Payload", {}).get("ErrorType") for i in result.invocations]


def test_run_faults_add_to_the_runners_and_each_execution_counts_its_own_calls() -> None:
    with DurableFunctionTestRunner(one_step, faults=[CrashBeforeCheckpoint(1)]) as runner:
        first = runner.run({})
        # The runner's crash before call 1, then this run's crash after call 2 (a, again).
        second = runner.run({}, crash_after=2)
        # A crash before call 1 means call 1 is never applied: a crash after it never fires.
        with pytest.raises(FaultNotFiredError, match=r"CrashAfterCheckpoint\(call=1\)"):
            runner.run({}, crash_after=1)

    assert errors(first) == ["Runtime.ExitError", None]
    assert errors(second) == ["Runtime.ExitError", "Runtime.ExitError", None]
