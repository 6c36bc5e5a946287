"""The runner's loop: invoke whichever execution needs it, else fire the earliest timer.

A single-threaded loop, driven by events, over the in-memory service and its virtual clock:
invoke the execution under test or a target of its chained invokes; when none needs it, fire
the earliest timer, moving the virtual clock to it. With nothing left to invoke or fire, the
execution is stuck. No sleeps, no polling, no background threads. ``DurableFunctionTestRunner``
is the public face over this; the engine owns the service, the functions and the time.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from typing import Any, TypeVar

import attrs

from aws_durable_execution_sdk_python.lambda_service import DurableServiceClient, Operation
from aws_durable_execution_sdk_python.plugin import instrument, plugins_of
from aws_durable_execution_sdk_python.retries import use_random
from aws_durable_execution_sdk_python_testing._arguments import (
    NAME,
    check_seconds,
    function_key,
    qualifier,
)
from aws_durable_execution_sdk_python_testing._callback_desk import CallbackDesk
from aws_durable_execution_sdk_python_testing._client import InMemoryServiceClient
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._faults import FaultRegistry
from aws_durable_execution_sdk_python_testing._invocation import Function, invoke, iter_waiting
from aws_durable_execution_sdk_python_testing._run_bound import overran
from aws_durable_execution_sdk_python_testing._service.errors import ServiceApiError
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._subprocess.sandbox import (
    RunDeadlineExceeded,
    Sandbox,
)
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError
from aws_durable_execution_sdk_python_testing.faults import Fault
from aws_durable_execution_sdk_python_testing.hooks import HookRecorder

__all__ = ["Engine", "EngineSettings"]

_T = TypeVar("_T")


@attrs.frozen
class EngineSettings:
    """What the runner's options mean to the loop."""

    execution_timeout: float
    durable_execution_timeout: int
    invocation_retries: int
    seed: int | str
    freeze_time: bool
    record_hooks: bool | None
    start_flush_window: float | None = None


class Engine:
    """The in-memory service, the functions it can invoke, and the loop that drives them."""

    def __init__(
        self,
        settings: EngineSettings,
        limits: Limits | None,
        faults: Sequence[Fault],
        always_replay: bool,
        sandbox: Sandbox | None,
    ) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.clock = VirtualClock()
        self.service = InMemoryDurableService(self.clock, limits or Limits())
        self.service.invoke_hook = self._start_target
        self.desk = CallbackDesk(self.service)
        self.service.callback_hook = self.desk.on_created
        self.faults = FaultRegistry(faults, always_replay)
        self.client: DurableServiceClient = InMemoryServiceClient(self.service, self.faults)
        self._functions: dict[str, Function] = {}
        self._function_of: dict[str, Function] = {}  # execution ARN -> function
        self._random: dict[str, random.Random] = {}
        self._freezer: Any = None
        self._frozen: Any = None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()
        if self._freezer is not None:
            self._freezer.stop()
            self._freezer = self._frozen = None

    # -- functions -----------------------------------------------------------------------

    def register(self, function_name: str, function: Function) -> None:
        if not callable(function.handler):
            raise DurableFunctionsTestError(f"{function_name!r}: the handler must be callable")
        key = function_key(function_name)
        if not NAME.fullmatch(key):
            raise DurableFunctionsTestError(
                f"function_name={function_name!r}: use a Lambda function name or ARN"
            )
        self._functions[key] = function

    def _start_target(
        self, caller: ExecutionRecord, op: Operation, function_name: str, payload: str
    ) -> str | None:
        key = function_key(function_name)
        function = self._functions.get(key)
        plan = self.faults.get(caller.arn)
        if plan is not None and (failing := plan.invoke_target(op.name, key)) is not None:
            function = Function(failing, durable=False)
        if function is None:
            return None
        record = self.service.start_execution(
            key,
            op.operation_id[:32],
            payload,
            self.settings.durable_execution_timeout,
            qualifier=qualifier(function_name),
        )
        record.parent = (caller.arn, op.operation_id)
        self.track(record, function)
        self.desk.inherit(caller.arn, record.arn)
        return record.arn

    def track(self, record: ExecutionRecord, function: Function) -> None:
        self._function_of[record.arn] = function
        self._random[record.arn] = random.Random(f"{self.settings.seed}:{len(self._random)}")

    def answer(self, method: Callable[..., None], callback_id: str, *args: Any) -> None:
        """Send a test's answer, then drive the execution it belongs to (docs/decisions.md,
        "The clock stops while the test holds control")."""
        self.call(method, callback_id, *args)
        owner = self.service.callbacks.owner(callback_id)
        if owner is not None:
            self.drive_root(owner[0])

    def drive_root(self, arn: str) -> None:
        """Drive the execution ``arn`` belongs to (its outermost caller) until it again
        needs the test or ends (docs/decisions.md, "The clock stops while the test holds
        control")."""
        root = self.record(arn)
        while root.parent is not None:
            root = self.record(root.parent[0])
        self.drive(root.arn, None, until=None, pause_for_callbacks=True)

    def call(self, method: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """A service call, its error turned into the test error the runner raises."""
        try:
            return method(*args, **kwargs)
        except ServiceApiError as error:
            raise DurableFunctionsTestError(f"{error.code}: {error.message}") from error

    # -- the loop ------------------------------------------------------------------------

    def record(self, arn: str) -> ExecutionRecord:
        try:
            return self.service.get(arn)
        except ServiceApiError as error:
            raise DurableFunctionsTestError(str(error)) from None

    def drive(
        self,
        arn: str,
        timeout: float | None,
        until: Callable[[], Any] | None,
        *,
        pause_for_callbacks: bool = False,
    ) -> None:
        """Run invocations and timers until ``arn`` ends, ``until()`` holds, or nothing can.

        With ``pause_for_callbacks`` it also stops, before moving the clock, once the
        execution waits on a callback only the test can answer (``run_async``).
        """
        record = self.record(arn)
        limit = self.settings.execution_timeout if timeout is None else timeout
        deadline = VirtualClock.real_monotonic() + limit
        if self.sandbox is not None:
            self.sandbox.run_deadline = deadline
        try:
            while not record.is_terminal and not (until is not None and until()):
                if VirtualClock.real_monotonic() > deadline:
                    raise TimeoutError(overran(record, limit, killed=False))
                ready = self.service.next_ready()
                if ready is not None:
                    try:
                        self._invoke(ready)
                    except RunDeadlineExceeded:
                        raise TimeoutError(overran(ready, limit, killed=True)) from None
                elif (
                    # Paused: only the test can resume it, so the clock waits for the test.
                    record.status is ExecutionStatus.PAUSED
                    or (pause_for_callbacks and self.desk.awaits_test(record))
                    or not self.service.fire_next_timers()
                ):
                    return
        finally:
            self.desk.drop_orphaned()
            if self.sandbox is not None:
                # No process outlives the call that needed it.
                self.sandbox.stop()
                self.sandbox.run_deadline = None

    def advance_time(self, seconds: float) -> None:
        """Move the virtual clock forward, firing (and invoking for) whatever falls due.

        For imperative tests: answer a callback "two hours later" with
        ``runner.advance_time(7200)`` before ``send_callback_success``.
        """
        target = self.clock.now() + check_seconds("advance_time", seconds)
        while True:
            ready = self.service.next_ready()
            if ready is not None:
                self._invoke(ready)
                continue
            timer = self.service.timers.peek()
            if timer is None or timer.when > target or not self.service.fire_next_timers():
                break
        self.clock.advance_to(target)
        self.desk.drop_orphaned()
        if self.sandbox is not None:
            self.sandbox.stop()

    def _invoke(self, record: ExecutionRecord) -> None:
        function = self._function_of[record.arn]
        record_hooks = self.settings.record_hooks
        if record_hooks is None:
            record_hooks = bool(plugins_of(function.handler))
        hooks = instrument(HookRecorder(record.hook_events)) if record_hooks else nullcontext()
        if self.sandbox is not None:  # plugins run in the child, which reports their calls
            self.sandbox.hook_sink = record.hook_events if record_hooks else None
            self.sandbox.start_flush_window = self.settings.start_flush_window
        with use_random(self._random[record.arn]), hooks:
            invoke(
                self.service,
                self.client,
                record,
                self._function_of[record.arn],
                self._time_for_user_code,
                self.settings.invocation_retries,
                self.sandbox,
                self.settings.start_flush_window,
            )

    @contextlib.contextmanager
    def _time_for_user_code(self) -> Iterator[None]:
        if not self.settings.freeze_time:
            yield
            return
        if self._freezer is None:
            import freezegun

            self._freezer = freezegun.freeze_time(self.clock.now_datetime(), tick=True)
            self._frozen = self._freezer.start()
        else:
            self._frozen.move_to(self.clock.now_datetime())
        yield

    def stuck_message(self, record: ExecutionRecord) -> str:
        if record.status is ExecutionStatus.PAUSED:
            return (
                f"execution {record.arn} is PAUSED: nothing is invoked until "
                "runner.resume_execution(execution_arn) resumes it"
            )
        waiting = list(iter_waiting(record))
        for other in self.service.executions.values():
            if other.parent is not None and other.parent[0] == record.arn and not other.is_terminal:
                if other.status is ExecutionStatus.PAUSED:
                    waiting.append(
                        f"invoked {other.function_name}, which is PAUSED: resume it with "
                        f"runner.resume_execution({other.arn!r})"
                    )
                waiting.extend(
                    f"{item} (in invoked {other.function_name})" for item in iter_waiting(other)
                )
        detail = "; ".join(waiting) or "nothing: no timer is due and no input is expected"
        return f"execution {record.arn} cannot make progress; it waits for {detail}"
