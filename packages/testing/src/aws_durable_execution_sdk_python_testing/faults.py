"""Faults a test injects into a run: crashes, failing operations, and errors of the service.

Durable functions exist to survive a Lambda that dies mid-step, an external system that
answers "no", a throttled checkpoint API. Each of those is a value here, handed to the
runner (``runner.run(input, faults=[...])``, ``DurableFunctionTestRunner(handler,
faults=[...])`` or the ``durable_execution`` marker)::

    result = runner.run({}, faults=[
        CrashAfterCheckpoint(2),                        # the Lambda dies after call 2
        FailStep("charge", ConnectionError("reset"), times=2),
        ServiceFault(ServiceError.THROTTLING, call=3),  # call 3 answers 429
    ])

``runner.run(input, crash_after=N)`` is ``faults=[CrashAfterCheckpoint(N)]``.

**How calls are counted.** Checkpoint calls (``CheckpointDurableExecution``) and state calls
(``GetDurableExecutionState``) are numbered from 1, per execution, across all of its
invocations: the Nth call is the Nth the SDK attempts for the execution under test, whether
the service accepts it, a fault rejects it, or a crash stops it before it is sent. Calls of
executions it invokes are not counted. A step that runs longer than the SDK's start window
sends its START in a call of its own, so keep faulted steps fast when counting calls.

**When faults fire.** A crash fires once. ``FailStep`` injects ``times`` failures into every
step with that name (its first ``times`` attempts, unless an attempt is not recorded, as an
``InvocationError``'s is not, and comes round again). ``FailCallback``, ``TimeOutCallback``
and ``FailInvoke`` apply to each operation with that name. A fault that never fired by the
end of ``run`` (a misspelt name, a call number the execution never reaches) raises
:class:`FaultNotFiredError`, so a test cannot pass by exercising the happy path it meant to
avoid.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing.errors import (
    FaultNotFiredError,
    InvalidFaultError,
)

__all__ = [
    "CrashAfterCheckpoint",
    "CrashBeforeCheckpoint",
    "FailCallback",
    "FailInvoke",
    "FailStep",
    "Fault",
    "FaultNotFiredError",
    "InvalidFaultError",
    "ServiceApi",
    "ServiceError",
    "ServiceFault",
    "TimeOutCallback",
]


def _call_number(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidFaultError(
            f"{type(instance).__name__}({attribute.name}={value!r}): expected a call number "
            ">= 1 (calls are counted from 1 across the whole execution)"
        )


def _times(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and isinstance(instance, ServiceFault):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        also = " or None (every call from then on)" if isinstance(instance, ServiceFault) else ""
        raise InvalidFaultError(
            f"{type(instance).__name__}({attribute.name}={value!r}): expected a count >= 1{also}"
        )


def _name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise InvalidFaultError(
            f"{type(instance).__name__}({attribute.name}={value!r}): expected the operation's "
            "name, a non-empty string (faults find operations by name)"
        )


def _exception(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and isinstance(instance, FailCallback):
        return
    if isinstance(value, type) and issubclass(value, BaseException):
        raise InvalidFaultError(
            f"{type(instance).__name__}({attribute.name}={value.__name__}): pass an instance, "
            f"e.g. {value.__name__}('what went wrong')"
        )
    if not isinstance(value, Exception):
        hint = (
            "; to crash the invocation use CrashBeforeCheckpoint / CrashAfterCheckpoint"
            if isinstance(value, BaseException)
            else ""
        )
        raise InvalidFaultError(
            f"{type(instance).__name__}({attribute.name}={value!r}): expected an exception "
            f"instance{hint}"
        )


def _member(kind: type[enum.Enum]) -> Any:
    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, kind):
            choices = ", ".join(f"{kind.__name__}.{m.name}" for m in kind)
            raise InvalidFaultError(
                f"{type(instance).__name__}({attribute.name}={value!r}): expected one of {choices}"
            )

    return check


# -- crashes -------------------------------------------------------------------------------


@attrs.frozen
class CrashAfterCheckpoint:
    """The Lambda dies right after checkpoint call ``call`` has been applied by the service.

    What the call carried is durable; the SDK never sees the answer. An at-most-once step
    whose START was in that call is found started on the next invocation, and its attempt
    fails with ``StepInterruptedError`` (through its retry strategy).
    """

    call: int = attrs.field(validator=_call_number)


@attrs.frozen
class CrashBeforeCheckpoint:
    """The Lambda dies right before checkpoint call ``call`` would be sent.

    The service never sees that call: an at-most-once step whose START it carried has not
    started, as far as anyone knows, and runs normally on the next invocation.
    """

    call: int = attrs.field(validator=_call_number)


# -- operations, by name -------------------------------------------------------------------


@attrs.frozen
class FailStep:
    """The step ``name`` fails ``times`` times with ``error``, in place of its body.

    The step's retry strategy sees ``error`` exactly as if the body had raised it (an
    ``InvocationError`` fails the invocation, a ``ValidationError`` is never retried, ...);
    the body does not run for a faulted attempt. Each step with that name (in a loop, in map
    items) gets its own ``times`` failures.
    """

    name: str = attrs.field(validator=_name)
    error: Exception = attrs.field(validator=_exception)
    times: int = attrs.field(default=1, validator=_times)


@attrs.frozen
class FailCallback:
    """The external system answers the callback ``name`` with a failure.

    ``error`` becomes the failure's type, message and data, as
    ``SendDurableExecutionCallbackFailure`` would carry them; ``None`` sends no details.
    ``name`` is the callback's name or the name of its ``wait_for_callback``.
    """

    name: str = attrs.field(validator=_name)
    error: Exception | None = attrs.field(default=None, validator=_exception)


@attrs.frozen
class TimeOutCallback:
    """The callback ``name`` is never answered and times out, as its timeout firing would.

    It times out at once (when it is created), whether or not it has a timeout configured:
    the clock does not move to a deadline.
    """

    name: str = attrs.field(validator=_name)


@attrs.frozen
class FailInvoke:
    """The chained invoke ``name`` (its operation name or its target function's name) fails.

    The target runs as an execution that fails with ``error``; the target function need
    not be registered with the runner.
    """

    name: str = attrs.field(validator=_name)
    error: Exception = attrs.field(validator=_exception)


# -- the service ---------------------------------------------------------------------------


class ServiceApi(enum.Enum):
    """The API a ``ServiceFault`` counts calls of."""

    CHECKPOINT = "CheckpointDurableExecution"
    GET_EXECUTION_STATE = "GetDurableExecutionState"


class ServiceError(enum.Enum):
    """Errors of the service, by what happens next (docs/decisions.md, "Which checkpoint
    errors are retryable").

    Retryable (the invocation fails and Lambda invokes again): ``THROTTLING`` (429
    ``TooManyRequestsException``), ``SERVER_ERROR`` (500 ``ServiceException``) and
    ``STALE_TOKEN`` (an invalid or stale checkpoint token, which a new invocation replaces).
    Not retryable (the execution fails with ``CHECKPOINT_FAILED``): ``PAYLOAD_TOO_LARGE``
    (a 400 ``InvalidParameterValueException``: the request itself is wrong).
    """

    THROTTLING = "THROTTLING"
    SERVER_ERROR = "SERVER_ERROR"
    STALE_TOKEN = "STALE_TOKEN"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


@attrs.frozen
class ServiceFault:
    """Call ``call`` of ``api`` (and the ``times - 1`` calls after it) fails with ``error``.

    The call is rejected before the service applies anything, with the error the real
    service sends, and reaches the SDK through the client exactly as the real service's
    errors do. ``times=None`` fails every call from ``call`` on: a persistent throttle.
    """

    error: ServiceError = attrs.field(validator=_member(ServiceError))
    call: int = attrs.field(validator=_call_number)
    api: ServiceApi = attrs.field(default=ServiceApi.CHECKPOINT, validator=_member(ServiceApi))
    times: int | None = attrs.field(default=1, validator=_times)


Fault = (
    CrashAfterCheckpoint
    | CrashBeforeCheckpoint
    | FailStep
    | FailCallback
    | TimeOutCallback
    | FailInvoke
    | ServiceFault
)
