"""Where injected faults fire: the state of each execution's fault schedule.

The vocabulary is public (``faults``); this module keeps, per execution under test, which
faults are armed, how many service calls the execution has made and which faults fired. It
plugs into the seams that already exist, so no part of the SDK or the service knows about
faults:

- the service client asks before each call and after each checkpoint call
  (:meth:`FaultRegistry.before_call`, :meth:`FaultRegistry.after_checkpoint`): service faults
  are raised there as the service's own errors, crashes and ``always_replay``'s cuts as an
  :class:`Interruption` that ends the invocation where it stands;
- the SDK asks before each step attempt (``StepFaultSource``, installed around the handler);
- the runner asks for a faulted invoke target and merges faulted callbacks into the declared
  callback answers.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_durable_execution_sdk_python.execution import inject_step_faults
from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    OperationStatus,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ServiceApiError,
    ServiceException,
    TooManyRequestsException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing.callbacks import (
    ActionSpec,
    CallbackFailure,
    CallbackTimeout,
    CreatedCallback,
)
from aws_durable_execution_sdk_python_testing.errors import FaultNotFiredError, InvalidFaultError
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
    FailCallback,
    FailInvoke,
    FailStep,
    Fault,
    ServiceApi,
    ServiceError,
    ServiceFault,
    TimeOutCallback,
)

__all__ = [
    "ExecutionFaults",
    "FaultRegistry",
    "Interruption",
    "ReplayCut",
    "SimulatedCrash",
    "check_crash_after",
    "check_faults",
    "describe",
]

_FAULT_TYPES = (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
    FailStep,
    FailCallback,
    TimeOutCallback,
    FailInvoke,
    ServiceFault,
)


class Interruption(BaseException):
    """Ends an invocation where it stands, raised from inside the service client.

    A ``BaseException``, like the runtime's own exit: the SDK's ``except Exception`` and the
    user's do not catch it, and the SDK keeps it as the checkpointer's sticky failure, so
    every later call of the invocation raises it again.
    """


class SimulatedCrash(Interruption):
    """The Lambda dies (docs/decisions.md, "What a crash is"); ``code`` is its exit status."""

    code = 1


class ReplayCut(Interruption):
    """``always_replay``: the invocation ends after a checkpoint call, so that the next one
    replays the handler from the top. Not a failure."""


def describe(fault: Fault) -> str:
    """A fault as a test would write it (enums by name, without the module)."""
    if isinstance(fault, ServiceFault):
        parts = [f"ServiceError.{fault.error.name}", f"call={fault.call}"]
        if fault.api is not ServiceApi.CHECKPOINT:
            parts.append(f"api=ServiceApi.{fault.api.name}")
        if fault.times != 1:
            parts.append(f"times={fault.times}")
        return f"ServiceFault({', '.join(parts)})"
    return repr(fault)


def check_faults(value: Any, where: str) -> tuple[Fault, ...]:
    """``faults=`` as a tuple of fault values.

    Raises:
        InvalidFaultError: not a list or tuple of faults (a lone fault included: the list
            to write instead is named).
    """
    if value is None:
        return ()
    if isinstance(value, _FAULT_TYPES):
        raise InvalidFaultError(f"{where}(faults={value!r}): pass a list, faults=[{value!r}]")
    if not isinstance(value, list | tuple):
        raise InvalidFaultError(
            f"{where}(faults={value!r}): expected a list of faults (see the faults module)"
        )
    for item in value:
        if not isinstance(item, _FAULT_TYPES):
            raise InvalidFaultError(
                f"{where}(faults=[..., {item!r}, ...]): not a fault; use the classes of "
                "aws_durable_execution_sdk_python_testing.faults"
            )
    return tuple(value)


def check_crash_after(value: Any, where: str = "run") -> tuple[Fault, ...]:
    """``crash_after=N`` as the fault it stands for (none for ``None``).

    Raises:
        InvalidFaultError: not a whole number >= 1.
    """
    if value is None:
        return ()
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidFaultError(
            f"{where}(crash_after={value!r}): expected a checkpoint call number >= 1 (calls are "
            "counted from 1 across the whole execution)"
        )
    return (CrashAfterCheckpoint(value),)


def _check_always_replay(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidFaultError(f"{where}(always_replay={value!r}): expected True or False")
    return value


def _fresh(error: Exception) -> Exception:
    """A copy of ``error`` to raise, so that one fault value can fail many attempts and runs
    without their tracebacks and causes piling up on a single instance."""
    try:
        return copy.copy(error).with_traceback(None)
    except Exception:  # an exception class copy cannot rebuild: raise the instance itself
        return error.with_traceback(None)


def _service_error(fault: ServiceFault) -> ServiceApiError:
    note = f" (injected by {describe(fault)})"
    if fault.error is ServiceError.THROTTLING:
        return TooManyRequestsException("Rate exceeded" + note)
    if fault.error is ServiceError.SERVER_ERROR:
        return ServiceException("An internal error occurred" + note)
    if fault.error is ServiceError.STALE_TOKEN:
        # The SDK tells a stale token from other 400s by this prefix, as for the real service.
        return InvalidParameterValueException(
            "Invalid Checkpoint Token: the token is stale or belongs to another invocation" + note
        )
    return InvalidParameterValueException(
        "Request payload size exceeds the service's limit for this request" + note
    )


class ExecutionFaults:
    """The fault schedule of one execution and what has fired; safe across SDK threads."""

    def __init__(self, faults: tuple[Fault, ...], always_replay: bool) -> None:
        self.record: ExecutionRecord | None = None  # set once the execution exists
        self.faults = faults
        self.always_replay = always_replay
        self._lock = threading.Lock()
        self._calls = dict.fromkeys(ServiceApi, 0)
        self._fired: set[int] = set()
        # The interruption raised in an invocation, by the invocation's number: the first
        # one ends it, and one of an earlier invocation must not leak into the next.
        self._raised: tuple[int, Interruption] | None = None
        self._crash_before: dict[int, int] = {}
        self._crash_after: dict[int, int] = {}
        self._service: list[tuple[int, ServiceFault]] = []
        self._steps: dict[str, list[tuple[int, FailStep]]] = {}
        self._injected: dict[str, int] = {}  # step operation id -> failures injected
        self._invokes: dict[str, tuple[int, FailInvoke]] = {}
        self._callbacks: dict[str, tuple[int, FailCallback | TimeOutCallback]] = {}
        for index, fault in enumerate(faults):
            self._index(index, fault)

    def _index(self, index: int, fault: Fault) -> None:
        if isinstance(fault, CrashBeforeCheckpoint | CrashAfterCheckpoint):
            crashes = (
                self._crash_before
                if isinstance(fault, CrashBeforeCheckpoint)
                else self._crash_after
            )
            if fault.call in crashes:
                raise InvalidFaultError(f"{fault!r} is declared twice: a crash fires once")
            crashes[fault.call] = index
        elif isinstance(fault, ServiceFault):
            self._service.append((index, fault))
        elif isinstance(fault, FailStep):
            self._steps.setdefault(fault.name, []).append((index, fault))
        elif isinstance(fault, FailInvoke):
            self._refuse_second(fault, self._invokes.get(fault.name))
            self._invokes[fault.name] = (index, fault)
        else:
            self._refuse_second(fault, self._callbacks.get(fault.name))
            self._callbacks[fault.name] = (index, fault)

    @staticmethod
    def _refuse_second(fault: Fault, first: tuple[int, Fault] | None) -> None:
        if first is not None:
            raise InvalidFaultError(
                f"{fault!r}: that operation already has a fault ({first[1]!r}); one answer "
                "per operation"
            )

    def _fire(self, index: int) -> None:
        self._fired.add(index)

    def _interrupt(self, interruption: Interruption) -> Interruption:
        invocation = self.record.invocations if self.record is not None else 0
        if self._raised is None or self._raised[0] != invocation:
            self._raised = (invocation, interruption)
        return self._raised[1]

    def _pending_interruption(self) -> Interruption | None:
        invocation = self.record.invocations if self.record is not None else 0
        if self._raised is None or self._raised[0] != invocation:
            return None
        return self._raised[1]

    def calls(self, api: ServiceApi) -> int:
        """How many calls of ``api`` the execution has made so far."""
        return self._calls[api]

    def unfired(self) -> tuple[Fault, ...]:
        return tuple(f for i, f in enumerate(self.faults) if i not in self._fired)

    # -- service calls ---------------------------------------------------------------------

    def before_call(self, api: ServiceApi) -> int:
        """Count the call; raise what a fault makes of it. Returns the call's number.

        Raises:
            SimulatedCrash: a ``CrashBeforeCheckpoint`` for this call.
            ServiceApiError: a ``ServiceFault`` covering this call.
        """
        with self._lock:
            self._calls[api] += 1
            call = self._calls[api]
            if api is ServiceApi.CHECKPOINT and call in self._crash_before:
                self._fire(self._crash_before[call])
                raise self._interrupt(SimulatedCrash(f"crash before checkpoint call {call}"))
            for index, fault in self._service:
                last = None if fault.times is None else fault.call + fault.times - 1
                if fault.api is api and fault.call <= call and (last is None or call <= last):
                    self._fire(index)
                    raise _service_error(fault)
            return call

    def after_checkpoint(self, call: int, updates: Sequence[OperationUpdate]) -> None:
        """Checkpoint call ``call`` was applied; end the invocation if a fault says so.

        Raises:
            SimulatedCrash: a ``CrashAfterCheckpoint`` for this call.
            ReplayCut: ``always_replay``, at a boundary the handler can replay from.
        """
        with self._lock:
            if call in self._crash_after:
                self._fire(self._crash_after[call])
                raise self._interrupt(SimulatedCrash(f"crash after checkpoint call {call}"))
            if self.always_replay and self._replayable(updates):
                raise self._interrupt(ReplayCut(f"replay after checkpoint call {call}"))

    def _replayable(self, updates: Sequence[OperationUpdate]) -> bool:
        """A boundary ``always_replay`` may end the invocation at.

        Not after an empty call (it changed nothing, so a replay would reach it again), nor
        after the execution's own outcome (checkpointed when the result is too large for the
        response: the invocation is ending anyway), nor while a step is STARTED: ending then
        would not be a replay but a crash mid-step (an at-most-once step interrupted, an
        at-least-once one run twice). Every call that completes a step is such a boundary,
        so a handler that makes progress gets past at least one more checkpoint each time.
        """
        if not updates or any(u.operation_type is OperationType.EXECUTION for u in updates):
            return False
        operations = self.record.operations.values() if self.record is not None else ()
        return not any(
            op.operation_type is OperationType.STEP and op.status is OperationStatus.STARTED
            for op in operations
        )

    # -- the SDK's step seam (StepFaultSource) ---------------------------------------------

    def step_fault(self, name: str | None, operation_id: str, attempt: int) -> Exception | None:
        """The error injected in place of this run of the step's body, if any.

        Faults count the failures they inject per operation, not attempt numbers: an
        ``InvocationError`` is not recorded, so its attempt number comes round again, and
        ``times=1`` must still mean one failure. ``FailStep`` faults of one name follow each
        other in list order, ``times`` failures each.
        """
        faults = self._steps.get(name or "")
        if not faults:
            return None
        with self._lock:
            injected = self._injected.get(operation_id, 0)
            budget = 0
            for index, fault in faults:
                budget += fault.times
                if injected < budget:
                    self._injected[operation_id] = injected + 1
                    self._fire(index)
                    return _fresh(fault.error)
        return None

    # -- the runner's seams ----------------------------------------------------------------

    def invoke_target(self, operation_name: str | None, function_name: str) -> Any:
        """A plain Lambda handler that fails as ``FailInvoke`` says, or ``None``."""
        entry = self._invokes.get(operation_name or "") or self._invokes.get(function_name)
        if entry is None:
            return None
        index, fault = entry
        with self._lock:
            self._fire(index)

        def failing_target(event: Any, context: Any) -> Any:
            raise _fresh(fault.error)

        return failing_target

    def callback_answers(
        self, declared: Mapping[str, ActionSpec] | None
    ) -> Mapping[str, ActionSpec] | None:
        """The declared callback answers with the faulted callbacks' answers first."""
        if not self._callbacks:
            return declared
        answers: dict[str, ActionSpec] = {
            name: self._answer(index, fault) for name, (index, fault) in self._callbacks.items()
        }
        for key, value in (declared or {}).items():
            answers.setdefault(key, value)
        return answers

    def _answer(
        self, index: int, fault: FailCallback | TimeOutCallback
    ) -> Callable[[CreatedCallback], Any]:
        if isinstance(fault, TimeOutCallback):
            action: Any = CallbackTimeout()
        elif fault.error is None:
            action = CallbackFailure()
        else:
            error = ErrorObject.from_exception(fault.error)
            action = CallbackFailure(error.type, error.message, error.data)

        def answer(created: CreatedCallback) -> Any:
            with self._lock:
                self._fire(index)
            return action

        return answer

    def wrap(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """``handler`` with step faults installed, whose invocation ends at an interruption
        even if user code caught it (a real crash cannot be caught)."""
        source = self if self._steps else None

        @functools.wraps(handler)  # keeps what the decorator left on it (plugins, the handler)
        def faulted(event: Any, context: Any) -> Any:
            with inject_step_faults(source):
                try:
                    output = handler(event, context)
                except BaseException as error:
                    raised = self._pending_interruption()
                    if raised is not None and raised is not error:
                        raise raised from error
                    raise
            if (raised := self._pending_interruption()) is not None:
                raise raised
            return output

        return faulted


class FaultRegistry:
    """The fault schedules of a runner's executions, by execution ARN.

    The runner's own ``faults`` and ``always_replay`` hold for every execution it starts;
    ``run(faults=..., crash_after=...)`` adds to them for one execution.
    """

    def __init__(self, faults: Any = (), always_replay: Any = False) -> None:
        self.faults = check_faults(faults, "DurableFunctionTestRunner")
        self.always_replay = _check_always_replay(always_replay, "DurableFunctionTestRunner")
        self._executions: dict[str, ExecutionFaults] = {}

    def prepare(
        self, crash_after: Any = None, faults: Any = None, *, subprocess: bool = False
    ) -> ExecutionFaults | None:
        """The schedule of an execution about to start; ``None`` (and no cost) without one.

        Checked in full before the execution exists, so a bad value leaves nothing behind.

        Raises:
            InvalidFaultError: a bad ``crash_after`` or ``faults``, a fault declared twice,
                or a ``FailStep`` in subprocess mode (the step runs in another process).
        """
        schedule = self.faults + check_faults(faults, "run") + check_crash_after(crash_after)
        if not schedule and not self.always_replay:
            return None
        if subprocess and (steps := [f for f in schedule if isinstance(f, FailStep)]):
            raise InvalidFaultError(
                f"{steps[0]!r}: step faults need invocation_mode='in-process' (in subprocess "
                "mode the step runs in another process)"
            )
        return ExecutionFaults(schedule, self.always_replay)

    def track(self, record: ExecutionRecord, plan: ExecutionFaults) -> None:
        plan.record = record
        self._executions[record.arn] = plan

    def check_fired(self, arn: str, result: Any) -> None:
        """Raises: FaultNotFiredError: the ended execution has faults that never fired."""
        plan = self._executions.get(arn)
        if plan is None or not (unfired := plan.unfired()):
            return
        names = ", ".join(describe(f) for f in unfired)
        raise FaultNotFiredError(
            f"the execution ended {result.status.value} but these faults never fired: {names} "
            "(a name no operation has, or a call number it never reached: it made "
            f"{plan.calls(ServiceApi.CHECKPOINT)} checkpoint calls)",
            unfired,
            result,
        )

    def get(self, arn: str) -> ExecutionFaults | None:
        return self._executions.get(arn)

    def before_call(self, api: ServiceApi, arn: str) -> int:
        plan = self._executions.get(arn)
        return 0 if plan is None else plan.before_call(api)

    def after_checkpoint(self, arn: str, call: int, updates: Sequence[OperationUpdate]) -> None:
        plan = self._executions.get(arn)
        if plan is not None:
            plan.after_checkpoint(call, updates)
