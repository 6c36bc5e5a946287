"""``DurableFunctionTestRunner``: run a durable handler to completion, on virtual time.

A single-threaded loop, driven by events: invoke whichever execution needs it (the one
under test, or a target of its chained invokes); when none does, fire the earliest timer,
moving the virtual clock to it; stop when the execution SUCCEEDS or FAILS. With nothing
left to invoke or fire, the execution is stuck and the run fails at once, naming what it
waits for. No sleeps, no polling, no background threads.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    DurableServiceClient,
    ErrorObject,
)
from aws_durable_execution_sdk_python_testing._arguments import (
    RunnerMode,
    check_name,
    check_seconds,
    normalize_input,
    require_durable_handler,
)
from aws_durable_execution_sdk_python_testing._callback_desk import (
    callback_names,
    open_callback,
)
from aws_durable_execution_sdk_python_testing._describe import describe_execution
from aws_durable_execution_sdk_python_testing._engine import Engine, EngineSettings
from aws_durable_execution_sdk_python_testing._invocation import Function
from aws_durable_execution_sdk_python_testing._replay import assert_replays, replay
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._run_watch import announce
from aws_durable_execution_sdk_python_testing._service.errors import (
    ServiceApiError,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord, Limits
from aws_durable_execution_sdk_python_testing._service.service import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
)
from aws_durable_execution_sdk_python_testing._subprocess.sandbox import (
    InvocationMode,
    Sandbox,
)
from aws_durable_execution_sdk_python_testing._subprocess.target import target_of
from aws_durable_execution_sdk_python_testing.callbacks import (
    ActionSpec,
    CreatedCallback,
    encode_callback_result,
)
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsLocalRunnerError,
    DurableFunctionsTestError,
    StuckExecutionError,
)
from aws_durable_execution_sdk_python_testing.faults import Fault
from aws_durable_execution_sdk_python_testing.history import HistorySource, ReplayReport

__all__ = ["DurableFunctionTestRunner", "normalize_input"]


class DurableFunctionTestRunner:
    """Runs a ``@durable_execution`` handler in-process against an in-memory service.

    Args:
        handler: the decorated Lambda handler.
        execution_timeout: default bound, in real seconds, of each ``run``
            (docs/decisions.md, "Runner time: real-time bounds, virtual execution clock").
        durable_execution_timeout: the execution's own timeout on the virtual clock.
        freeze_time: show user code the virtual time through freezegun
            (docs/decisions.md, "freezegun is opt-in").
        invocation_retries: failed invocations retried before the execution fails.
        seed: seeds the jitter of retry strategies, so runs are reproducible
            (docs/decisions.md, "Seeded jitter").
        limits: the service limits (payload, batch and operation count).
        function_name: the function name in execution ARNs.
        record_hooks: record what plugins see (``result.hook_events``); by default only
            when the handler has plugins.
        faults: faults injected into every execution this runner starts (``faults``
            module; ``run(faults=...)`` adds to them).
        always_replay: end each invocation after each checkpoint call that leaves no step
            running, so the handler replays from the top every time and every replay path
            runs; a divergence fails with ``NonDeterministicExecutionError``. Not a failure:
            each cut invocation is recorded (``InvocationCompleted`` without an error) and
            invoked again at once, without counting against ``invocation_retries``.

        invocation_mode: ``"in-process"`` (the default, fast) or ``"subprocess"``: each
            invocation runs in a forked child process that reaches the in-memory service
            over a socket, so ``os._exit``, a signal or a segfault is a real crash of the
            Lambda runtime (``Runtime.ExitError``) and ``invocation_timeout`` kills the
            child (``Sandbox.Timedout``). The handler must be importable by module path.
        invocation_timeout: the Lambda function timeout in real seconds, enforced in
            subprocess mode only; in-process mode cannot interrupt user code.
        start_flush_window: overrides the function's own ``start_flush_window`` for every
            invocation: how long a queued at-least-once START waits before it is sent on
            its own. ``math.inf`` sends it only with the next update that needs an answer,
            so which calls a run makes no longer depends on the machine's speed.

    ``poll_interval``, ``max_invocation_page_bytes``, ``store`` and ``skip_time`` are
    accepted for tests written for the existing runner: nothing polls, time is always
    virtual, and the store is in memory.

    ``mode`` is ``RunnerMode.LOCAL`` (equal to ``"local"``), as tests written for the
    existing library check.
    """

    mode: RunnerMode = RunnerMode.LOCAL

    def __init__(
        self,
        handler: Callable[..., Any],
        poll_interval: float = 1.0,
        max_invocation_page_bytes: int | None = None,
        execution_timeout: float = 300,
        invocation_timeout: float = 900,
        store: Any = None,
        skip_time: bool = True,
        *,
        freeze_time: bool = False,
        durable_execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        invocation_retries: int = 4,
        seed: int | str = 0,
        limits: Limits | None = None,
        function_name: str = "test-function",
        record_hooks: bool | None = None,
        invocation_mode: str = InvocationMode.IN_PROCESS,
        faults: Sequence[Fault] = (),
        always_replay: bool = False,
        start_flush_window: float | None = None,
    ) -> None:
        require_durable_handler(handler)
        if start_flush_window is not None:
            check_seconds("start_flush_window", start_flush_window, allow_infinity=True)
        self.invocation_mode = InvocationMode.parse(invocation_mode)
        sandbox: Sandbox | None = None
        if self.invocation_mode is InvocationMode.SUBPROCESS:
            target_of(handler)  # a handler no other process can import fails here, at once
            timeout = check_seconds("invocation_timeout", invocation_timeout)
            sandbox = Sandbox(timeout, freeze_time)
        self.handler = handler
        self.poll_interval = poll_interval  # accepted for compatibility; nothing polls
        self.invocation_timeout = invocation_timeout
        self.skip_time = skip_time
        self.function_name = function_name
        self._engine = Engine(
            EngineSettings(
                execution_timeout=execution_timeout,
                durable_execution_timeout=durable_execution_timeout,
                invocation_retries=invocation_retries,
                seed=seed,
                freeze_time=freeze_time,
                record_hooks=record_hooks,
                start_flush_window=start_flush_window,
            ),
            limits,
            faults,
            always_replay,
            sandbox,
        )
        self.clock = self._engine.clock
        self.service = self._engine.service
        announce(self.service)  # so the pytest plugin can draw a failing test's executions
        self._closed = False

    @property
    def client(self) -> DurableServiceClient:
        """The service client handlers are invoked with; a test may wrap it (recording,
        faults) by assigning a ``DurableServiceClient`` of its own."""
        return self._engine.client

    @client.setter
    def client(self, client: DurableServiceClient) -> None:
        self._engine.client = client

    @property
    def settings(self) -> EngineSettings:
        """The options the loop runs with (read-only)."""
        return self._engine.settings

    @property
    def execution_timeout(self) -> float:
        return self.settings.execution_timeout

    @property
    def durable_execution_timeout(self) -> int:
        return self.settings.durable_execution_timeout

    @property
    def invocation_retries(self) -> int:
        return self.settings.invocation_retries

    @property
    def seed(self) -> int | str:
        return self.settings.seed

    @property
    def freeze_time(self) -> bool:
        return self.settings.freeze_time

    # -- context management --------------------------------------------------------------

    def __enter__(self) -> DurableFunctionTestRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._engine.close()
        self._closed = True

    # -- chained-invoke targets ----------------------------------------------------------

    def register_durable_function(self, function_name: str, handler: Callable[..., Any]) -> None:
        """Make ``context.invoke(function_name, ...)`` run ``handler`` as its own execution."""
        require_durable_handler(handler, f"the durable function {function_name!r}")
        if self._engine.sandbox is not None:
            target_of(handler)
        self._register(function_name, Function(handler, durable=True))

    def register_function(self, function_name: str, func: Callable[[Any, Any], Any]) -> None:
        """Make ``context.invoke(function_name, ...)`` call a plain Lambda handler."""
        self._register(function_name, Function(func, durable=False))

    def _register(self, function_name: str, function: Function) -> None:
        self._engine.register(function_name, function)

    # -- running -------------------------------------------------------------------------

    def run(
        self,
        input: Any = None,
        execution_timeout: float | None = None,
        timeout: float | None = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        crash_after: int | None = None,
        faults: Sequence[Fault] | None = None,
    ) -> DurableFunctionTestResult:
        """Start an execution and drive it until it SUCCEEDS or FAILS.

        ``callbacks`` declares answers to callbacks (see ``callbacks`` module). ``faults``
        injects faults (see ``faults`` module, which also says how calls are counted);
        ``crash_after=N`` is ``faults=[CrashAfterCheckpoint(N)]``: the invocation crashes
        right after the execution's Nth checkpoint call has been applied.

        Raises:
            StuckExecutionError: nothing can make progress (named in the message).
            TimeoutError: the run took longer than ``timeout`` real seconds.
            FaultNotFiredError: a fault never fired (the result is on the error).
            InvalidFaultError: a bad ``crash_after`` or ``faults``.
        """
        arn = self.start(
            input,
            function_name,
            execution_name,
            callbacks=callbacks,
            account_id=account_id,
            crash_after=crash_after,
            faults=faults,
        )
        return self.wait_for_result(arn, timeout=_first(execution_timeout, timeout))

    def run_async(
        self,
        input: Any = None,
        execution_timeout: float | None = None,
        timeout: float | None = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
        account_id: str = "123456789012",
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        crash_after: int | None = None,
        faults: Sequence[Fault] | None = None,
    ) -> str:
        """Start an execution, drive it while it can progress on its own, return its ARN."""
        arn = self.start(
            input,
            function_name,
            execution_name,
            callbacks=callbacks,
            account_id=account_id,
            crash_after=crash_after,
            faults=faults,
        )
        self._drive(arn, _first(execution_timeout, timeout), until=None, pause_for_callbacks=True)
        return arn

    def start(
        self,
        input: Any = None,
        function_name: str | None = None,
        execution_name: str = "execution-name",
        *,
        callbacks: Mapping[str, ActionSpec] | None = None,
        account_id: str = "123456789012",
        crash_after: int | None = None,
        faults: Sequence[Fault] | None = None,
    ) -> str:
        """Create an execution without invoking it yet; returns its ARN."""
        function_name = function_name or self.function_name
        if self._closed:
            raise DurableFunctionsLocalRunnerError("this runner is closed")
        if not re.fullmatch(r"\d{12}", account_id):
            raise DurableFunctionsTestError(f"account_id={account_id!r}: expected 12 digits")
        check_name("function_name", function_name)
        check_name("execution_name", execution_name)
        plan = self._engine.faults.prepare(
            crash_after, faults, subprocess=self._engine.sandbox is not None
        )
        record = self.service.start_execution(
            function_name,
            execution_name,
            normalize_input(input),
            self.durable_execution_timeout,
            account_id=account_id,
        )
        handler = self.handler
        if plan is not None:
            self._engine.faults.track(record, plan)
            callbacks = plan.callback_answers(callbacks)
            handler = handler if self._engine.sandbox is not None else plan.wrap(handler)
        self._engine.track(record, Function(handler))
        self._engine.desk.declare(record.arn, callbacks)
        return record.arn

    def wait_for_result(
        self, execution_arn: str, timeout: float | None = None
    ) -> DurableFunctionTestResult:
        """Drive the execution to its end and return the result.

        Raises:
            StuckExecutionError: it waits for something nothing will deliver.
        """
        record = self._record(execution_arn)
        self._drive(execution_arn, timeout, until=None)
        if not record.is_terminal:
            raise StuckExecutionError(self._engine.stuck_message(record))
        result = self.get_result(execution_arn)
        self._engine.faults.check_fired(execution_arn, result)
        return result

    @property
    def rejected_callback_actions(self) -> list[tuple[CreatedCallback, Any, ServiceApiError]]:
        """Declared answers that came too late (their callback or execution had ended)."""
        return self._engine.desk.rejected_callback_actions

    def get_result(self, execution_arn: str) -> DurableFunctionTestResult:
        return DurableFunctionTestResult.from_record(self._record(execution_arn))

    def get_execution(
        self, execution_arn: str, include_execution_data: bool = True
    ) -> dict[str, Any]:
        """The ``GetDurableExecution`` response (``Status``, ``Result``, ``Error``...).

        A ``PAUSING`` or ``PAUSED`` execution has ``PauseDetails`` (its ``Reason`` only with
        ``include_execution_data``). Cheap to poll: it reads the execution as it is; answers
        sent with ``send_callback_*`` have already been applied and driven.

        Raises:
            DurableFunctionsTestError: no such execution.
        """
        return describe_execution(self._record(execution_arn), include_execution_data)

    def get_execution_history(
        self,
        execution_arn: str,
        include_execution_data: bool = False,
        max_items: int = 1000,
        marker: str | None = None,
        reverse_order: bool = False,
    ) -> dict[str, Any]:
        """The ``GetDurableExecutionHistory`` response (``Events``, ``NextMarker``)."""
        self._record(execution_arn)
        return self.service.get_execution_history(
            execution_arn, include_execution_data, max_items, marker, reverse_order
        )

    def stop_execution(self, execution_arn: str, error: ErrorObject | None = None) -> None:
        """``StopDurableExecution``: the execution ends STOPPED."""
        self._record(execution_arn)
        self._engine.call(self.service.stop, execution_arn, error)

    def pause_execution(
        self,
        execution_arn: str,
        reason: str | None = None,
        execution_timeout_paused: bool = True,
        client_token: str | None = None,
    ) -> None:
        """``PauseDurableExecution``: no invocation starts until ``resume_execution``.

        Timers still fire (``advance_time``) and callbacks can still be answered; what
        completes meanwhile is invoked for once resumed. Paused while an invocation runs
        (from inside a step), the execution is ``PAUSING`` until that invocation's next
        checkpoint, which is applied; its later checkpoints are refused, and it runs again
        (replaying) once resumed, without counting against ``invocation_retries``.
        ``execution_timeout_paused`` (the service's default) stops the execution timeout
        while paused. ``wait_for_result`` on a paused execution raises at once.

        Raises:
            DurableFunctionsTestError: no such execution; it has ended or is already paused
                (``ResourceConflictException``); a malformed argument.
        """
        self._record(execution_arn)
        self._engine.call(
            self.service.pause_execution,
            execution_arn,
            reason,
            execution_timeout_paused,
            client_token,
        )

    def resume_execution(
        self, execution_arn: str, reason: str | None = None, client_token: str | None = None
    ) -> None:
        """``ResumeDurableExecution``, then let the execution go on (as
        ``send_callback_success`` does): it is invoked if the pause cut an invocation or
        something completed meanwhile.

        Raises:
            DurableFunctionsTestError: no such execution; it has ended or is not paused
                (``ResourceConflictException``); a malformed argument.
        """
        self._record(execution_arn)
        self._engine.call(self.service.resume_execution, execution_arn, reason, client_token)
        self._engine.drive_root(execution_arn)

    def delete_execution(self, execution_arn: str) -> datetime.datetime:
        """``DeleteDurableExecution``: an ended execution and its data are gone.

        Returns the ``DeletionRequestTimestamp``. Afterwards the execution is unknown to
        every method (and its callbacks too) and ``list_executions`` omits it.

        Raises:
            DurableFunctionsTestError: no such execution, or it has not ended
                (``ResourceConflictException``).
        """
        self._record(execution_arn)
        return self._engine.call(self.service.delete_execution, execution_arn)

    def list_executions(
        self,
        function_name: str | None = None,
        *,
        qualifier: str | None = None,
        execution_name: str | None = None,
        statuses: Sequence[str] | None = None,
        started_after: datetime.datetime | None = None,
        started_before: datetime.datetime | None = None,
        reverse_order: bool = False,
        marker: str | None = None,
        max_items: int = 100,
    ) -> dict[str, Any]:
        """The ``ListDurableExecutionsByFunction`` response (``DurableExecutions``,
        ``NextMarker``) for ``function_name`` (a name or ARN; this runner's by default).

        Newest first (oldest first with ``reverse_order``); ``started_after`` is inclusive,
        ``started_before`` exclusive; pass a response's ``NextMarker`` as ``marker`` with
        the same filters for the next page.

        Raises:
            DurableFunctionsTestError: a malformed filter, marker or ``max_items``.
        """
        return self._engine.call(
            self.service.list_executions,
            function_name or self.function_name,
            qualifier=qualifier,
            execution_name=execution_name,
            statuses=statuses,
            started_after=started_after,
            started_before=started_before,
            reverse_order=reverse_order,
            marker=marker,
            max_items=max_items,
        )

    # -- saved histories -----------------------------------------------------------------

    def replay(self, history: HistorySource) -> ReplayReport:
        """Run this runner's handler against a saved history; report the first divergence.

        ``history`` is a file saved with ``result.save_history(path)``, a
        ``GetDurableExecutionHistory`` response from the real service (or a list of its
        pages), or ``result.history``. See ``_replay`` for what is compared.

        Raises:
            InvalidHistoryError: ``history`` is not a durable-execution history.
        """
        return replay(self.handler, history, function_name=self.function_name, seed=self.seed)

    def assert_replays(self, history: HistorySource) -> ReplayReport:
        """``replay(history)``, raising ``AssertionError`` with the divergence if any."""
        return assert_replays(
            self.handler, history, function_name=self.function_name, seed=self.seed
        )

    # -- callbacks from the test ---------------------------------------------------------

    def wait_for_callback(
        self, execution_arn: str, name: str | None = None, timeout: float | None = None
    ) -> str:
        """The id of the execution's open callback called ``name`` (or the newest open one).

        Drives the execution until such a callback exists; returns as soon as it is created.

        Raises:
            DurableFunctionsTestError: the execution ended or got stuck without creating it.
        """
        record = self._record(execution_arn)

        def found() -> str | None:
            return open_callback(record, name)

        self._drive(execution_arn, timeout, until=found)
        callback_id = found()
        if callback_id is None:
            wanted = f"named {name!r}" if name else "open"
            state = "ended" if record.is_terminal else "is waiting for something else"
            raise DurableFunctionsTestError(
                f"execution {execution_arn} {state} without a callback {wanted}; "
                f"its callbacks: {callback_names(record) or 'none'}"
            )
        return callback_id

    def send_callback_success(self, callback_id: str, result: Any = None) -> None:
        """Answer a callback now (at the current virtual time), then let the execution go on.

        docs/decisions.md, "The clock stops while the test holds control": the execution
        is driven until it again needs the test or ends; timers fire only where the
        execution waits on nothing the test could give.
        """
        self._answer(
            self.service.send_callback_success, callback_id, encode_callback_result(result)
        )

    def send_callback_failure(self, callback_id: str, error: ErrorObject | None = None) -> None:
        """Fail a callback now, then let the execution go on (as ``send_callback_success``)."""
        self._answer(self.service.send_callback_failure, callback_id, error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        """Keep a callback alive; the clock does not move."""
        self._answer(self.service.send_callback_heartbeat, callback_id)

    def _answer(self, method: Callable[..., None], callback_id: str, *args: Any) -> None:
        self._engine.answer(method, callback_id, *args)

    def advance_time(self, seconds: float) -> None:
        """Move the virtual clock forward, firing (and invoking for) whatever falls due.

        For imperative tests: answer a callback "two hours later" with
        ``runner.advance_time(7200)`` before ``send_callback_success``.
        """
        self._engine.advance_time(seconds)

    def _record(self, arn: str) -> ExecutionRecord:
        return self._engine.record(arn)

    def _drive(
        self,
        arn: str,
        timeout: float | None,
        until: Callable[[], Any] | None,
        *,
        pause_for_callbacks: bool = False,
    ) -> None:
        self._engine.drive(arn, timeout, until, pause_for_callbacks=pause_for_callbacks)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
