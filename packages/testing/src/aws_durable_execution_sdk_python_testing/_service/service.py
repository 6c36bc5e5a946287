"""``InMemoryDurableService``: the durable-execution API, in memory, on a virtual clock.

It owns executions and keeps every timer in one heap ordered by virtual time. Executions
that need an invocation (a timer fired, a callback was answered, an invoked target
finished) wait in a FIFO queue for the runner. Every lookup is a dict access or a heap
operation.

Each call is split in two. A decision function (``starting``, ``checkpoint``, ``callbacks``,
``closing``, ``pausing``, ``triggers``; ``validation`` checks a batch first) reads the state
and returns a ``Decision``: the effects, as data, in order. ``apply`` is the one place that
carries effects out. Faults, crashes and recording can slot in between a decision and its
effects, or between two effects, without any deciding module knowing the service; none
imports it.

The class keeps the lifecycle, the API the SDK calls, timers, callback answers and
``apply``. Beside it, as functions: ``invoking`` brackets one invocation (its token checked,
its start and end recorded), ``reading`` pages operations and history, and ``managing``
holds the calls that manage executions from outside (stop, pause, resume, delete, list,
read a history), which the class binds as its methods, so every caller sees one API.
"""

from __future__ import annotations

import collections
import datetime
from collections.abc import Callable
from typing import assert_never

from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    DurableExecutionInvocationInput,
    ErrorObject,
    Operation,
    OperationStatus,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._service import invoking, managing
from aws_durable_execution_sdk_python_testing._service.callbacks import (
    CallbackRegistry,
    callback_ids,
    decide_answer,
    decide_deadline,
    decide_heartbeat,
)
from aws_durable_execution_sdk_python_testing._service.checkpoint import decide_checkpoint
from aws_durable_execution_sdk_python_testing._service.closing import decide_close
from aws_durable_execution_sdk_python_testing._service.effects import (
    AnnounceCallback,
    AppendEvent,
    ArmCallback,
    CallbackDeadline,
    CancelTimer,
    ChangeStatus,
    CutInvocation,
    Deadline,
    Decision,
    Effect,
    EndExecution,
    ExecutionTimeout,
    MarkChanged,
    RearmTimeout,
    RecordOutcome,
    RememberRequest,
    ResolveInvoke,
    ScheduleTimer,
    StartChainedInvoke,
    StoreOperation,
    TimerKey,
    Trigger,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
    ExecutionRecord,
    ExecutionStatus,
    Limits,
)
from aws_durable_execution_sdk_python_testing._service.pausing import decide_pause_takes_effect
from aws_durable_execution_sdk_python_testing._service.reading import state_page
from aws_durable_execution_sdk_python_testing._service.starting import ACCOUNT, decide_start
from aws_durable_execution_sdk_python_testing._service.timers import Timer, TimerQueue
from aws_durable_execution_sdk_python_testing._service.tracking import ChangeTracker, trigger_arn
from aws_durable_execution_sdk_python_testing._service.triggers import decide_trigger
from aws_durable_execution_sdk_python_testing._service.validation import validate_batch

__all__ = ["MAX_EXECUTION_TIMEOUT_SECONDS", "InMemoryDurableService"]

# start_chained_invoke asks this hook for the target: it returns the target execution's ARN,
# or None when no function of that name exists.
InvokeHook = Callable[[ExecutionRecord, Operation, str, str], "str | None"]
CallbackHook = Callable[[ExecutionRecord, Operation], None]


class InMemoryDurableService:
    """Executions by ARN; the same semantics the SDK sees from Lambda."""

    def __init__(self, clock: VirtualClock | None = None, limits: Limits | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.limits = limits or Limits()
        self.executions: dict[str, ExecutionRecord] = {}
        self.timers = TimerQueue()
        self.ready: collections.deque[str] = collections.deque()
        self.invoke_hook: InvokeHook | None = None
        self.callback_hook: CallbackHook | None = None
        self.callbacks = CallbackRegistry()
        self.changes = ChangeTracker()  # what changed since a store (``_store``) saved
        # The live timer of each callback deadline, so a heartbeat can replace it, and of
        # each execution timeout, so a pause can hold it.
        self._deadlines: dict[TimerKey, Timer] = {}
        self._sequence = 0  # creation order of executions, for listings

    # -- lifecycle -----------------------------------------------------------------------

    def start_execution(
        self,
        function_name: str,
        execution_name: str,
        input_payload: str | None,
        execution_timeout: int = MAX_EXECUTION_TIMEOUT_SECONDS,
        qualifier: str = "$LATEST",
        account_id: str = ACCOUNT,
    ) -> ExecutionRecord:
        now = self.clock.now_datetime()
        record, decision = decide_start(
            function_name,
            execution_name,
            input_payload,
            now,
            execution_timeout=execution_timeout,
            qualifier=qualifier,
            account_id=account_id,
        )
        self._sequence += 1
        record.sequence = self._sequence
        self.executions[record.arn] = record
        self.apply(decision)
        self.ready.append(record.arn)
        return record

    def get(self, arn: str) -> ExecutionRecord:
        record = self.executions.get(arn)
        if record is None:
            raise ResourceNotFoundException(f"Execution not found: {arn}")
        return record

    def restore_execution(self, record: ExecutionRecord) -> None:
        """Take in a saved execution as it was (a store restoring the service after a
        restart); later executions are numbered after it."""
        self.executions[record.arn] = record
        self._sequence = max(self._sequence, record.sequence)

    def mark_changed(self, record: ExecutionRecord, operation_id: str | None = None) -> None:
        """Something the execution waits on changed: it needs another invocation."""
        self.changes.touch(record.arn)
        if operation_id is not None:
            record.updated_operation_ids.add(operation_id)
        if not record.needs_invocation and not record.is_terminal:
            record.needs_invocation = True
            self.ready.append(record.arn)

    def next_ready(self) -> ExecutionRecord | None:
        while self.ready:
            record = self.executions.get(self.ready.popleft())  # None: deleted since
            # A paused execution stays unqueued; a resume queues it again.
            if (
                record is not None
                and record.needs_invocation
                and record.status is ExecutionStatus.RUNNING
            ):
                return record
        return None

    def begin_invocation(self, arn: str) -> DurableExecutionInvocationInput:
        """A fresh token and the first page of operations, as Lambda's invoke event carries."""
        record = self.get(arn)
        self.changes.touch(arn)
        return invoking.begin(record, self.limits.state_page_size)

    def end_invocation(
        self,
        arn: str,
        start: datetime.datetime,
        request_id: str,
        error: ErrorObject | None = None,
    ) -> None:
        record = self.get(arn)
        self.changes.touch(arn)
        invoking.end(record, self.clock.now_datetime(), start, request_id, error)

    def succeed(self, arn: str, result: str | None) -> None:
        self._close(arn, ExecutionStatus.SUCCEEDED, result=result)

    def fail(self, arn: str, error: ErrorObject, termination_reason: str) -> None:
        self._close(arn, ExecutionStatus.FAILED, error=error, termination_reason=termination_reason)

    def time_out(self, arn: str) -> None:
        self.react(ExecutionTimeout(arn))

    # -- managing executions from outside: functions of ``managing``, bound as methods ----

    stop = managing.stop
    pause_execution = managing.pause
    resume_execution = managing.resume
    settle_pause = managing.settle_pause
    delete_execution = managing.delete
    list_executions = managing.list_by_function
    get_execution_history = managing.history

    def forget_execution(self, arn: str) -> None:
        """The execution is gone: from every index, its timers cancelled (a delete)."""
        record = self.get(arn)
        self.callbacks.forget(callback_ids(record))
        self._deadlines.pop(ExecutionTimeout(arn), None)
        for timer in self.changes.timers_of(arn):  # a wait cut short by a stop, say
            self.timers.cancel(timer)
        del self.executions[arn]
        self.changes.touch(arn)  # a store finds it gone and drops its rows
        self.changes.forget(arn)

    def _close(
        self,
        arn: str,
        status: ExecutionStatus,
        *,
        result: str | None = None,
        error: ErrorObject | None = None,
        termination_reason: str | None = None,
    ) -> None:
        record = self.get(arn)
        now = self.clock.now_datetime()
        self.apply(
            decide_close(
                record,
                status,
                now,
                result=result,
                error=error,
                termination_reason=termination_reason,
            )
        )

    # -- timers --------------------------------------------------------------------------

    def fire_next_timers(self) -> list[Timer]:
        """Jump the clock to the earliest timer and fire every timer due by then.

        Returns nothing when no timer can make progress (only execution timeouts remain):
        the caller reports the run as stuck rather than sleeping into a timeout.
        """
        if not self.timers.has_progress:
            return []
        first = self.timers.peek()
        if first is None:
            return []
        self.clock.advance_to(first.when)
        fired = []
        while (timer := self.timers.peek()) is not None and timer.when <= first.when:
            self.timers.pop()
            timer.fire()
            fired.append(timer)
        return fired

    def decide(self, trigger: Trigger) -> Decision | None:
        """What a trigger (a timer's, or an execution's end for its caller) does now."""
        return decide_trigger(trigger, self.get, self.callbacks, self.clock.now_datetime())

    def react(self, trigger: Trigger) -> None:
        """Decide what ``trigger`` does now and apply it (a timer's ``fire`` calls this)."""
        if isinstance(trigger, CallbackDeadline | ExecutionTimeout):
            self._deadlines.pop(trigger, None)  # its timer is firing: no longer live
        if not isinstance(trigger, CallbackDeadline) and trigger.arn not in self.executions:
            return  # a deleted execution's timers fire into nothing
        if (arn := trigger_arn(trigger, self.callbacks)) in self.executions:
            self.changes.touch(arn)  # its timer is gone, even if it decides nothing
        decision = self.decide(trigger)
        if decision is not None:
            self.apply(decision)

    # -- callbacks (answers from outside) ------------------------------------------------

    def send_callback_success(self, callback_id: str, result: str | None) -> None:
        entry = self.callbacks.locate(callback_id)
        record = self.get(entry.arn)
        now = self.clock.now_datetime()
        self.apply(decide_answer(record, entry, callback_id, now, result=result))

    def send_callback_failure(self, callback_id: str, error: ErrorObject | None) -> None:
        entry = self.callbacks.locate(callback_id)
        record = self.get(entry.arn)
        now = self.clock.now_datetime()
        self.apply(decide_answer(record, entry, callback_id, now, error=error, failed=True))

    def send_callback_heartbeat(self, callback_id: str) -> None:
        entry = self.callbacks.locate(callback_id)
        record = self.get(entry.arn)
        self.apply(decide_heartbeat(record, entry, callback_id, self.clock.now_datetime()))

    def time_out_callback(self, callback_id: str) -> None:
        """The callback's timeout passes now (a test declared that nobody answers)."""
        entry = self.callbacks.locate(callback_id)
        due = CallbackDeadline(callback_id, Deadline.TIMEOUT)
        self.apply(decide_deadline(self.get(entry.arn), entry, due, self.clock.now_datetime()))

    # -- the one place effects are carried out -------------------------------------------

    def apply(self, decision: Decision) -> None:
        """Carry out a decision's effects, in order, on its execution."""
        record = self.get(decision.arn)
        self.changes.touch(record.arn)
        for effect in decision.effects:
            self._apply_effect(record, effect)

    def _apply_effect(self, record: ExecutionRecord, effect: Effect) -> None:
        # The common effects first: a checkpoint is mostly events and stored operations.
        match effect:
            case AppendEvent(event_type, timestamp, details, operation):
                record.history.append(event_type, timestamp, details, operation)
            case StoreOperation(operation):
                record.operations[operation.operation_id] = operation
                self.changes.touch(record.arn, operation.operation_id)
            case MarkChanged(operation_id):
                self.mark_changed(record, operation_id)
            case ScheduleTimer():
                self.schedule(record.arn, effect)
            case CancelTimer(key):
                self.timers.cancel(self._deadlines.pop(key, None))
            case ArmCallback():
                self.callbacks.arm(record.arn, effect)
            case AnnounceCallback(operation):
                if self.callback_hook is not None:
                    self.callback_hook(record, operation)
            case StartChainedInvoke():
                self._start_chained_invoke(record, effect)
            case RecordOutcome(update):
                record.checkpointed_outcome = update
            case EndExecution():
                record.status = effect.status
                record.result = effect.result
                record.error = effect.error
                record.termination_reason = effect.termination_reason
                record.end = effect.end
            case ResolveInvoke():
                self.react(effect)
            case ChangeStatus(status, pause):
                record.status = status
                record.pause = pause
                if status is ExecutionStatus.RUNNING and record.needs_invocation:
                    self.ready.append(record.arn)  # what waited while paused runs now
            case RearmTimeout(when, held):
                record.timeout_at = None if held is not None else when
                record.timeout_held = held
                timeout = ExecutionTimeout(record.arn)
                self._apply_effect(
                    record,
                    ScheduleTimer(
                        when,
                        f"timeout of execution {record.execution_name}",
                        timeout,
                        keeps_alive=False,
                        key=timeout,
                    ),
                )
            case CutInvocation():
                record.cut_by_pause = True
                self.mark_changed(record)
            case RememberRequest(key, parameters, when):
                record.client_tokens[key] = (parameters, when)
            case _:
                assert_never(effect)

    def schedule(self, arn: str, effect: ScheduleTimer, seq: int | None = None) -> None:
        """Add ``arn``'s timer; a store restoring one passes its saved ``seq`` (its order)."""
        key = effect.key
        if key is not None:
            self.timers.cancel(self._deadlines.pop(key, None))
        trigger = effect.trigger
        timer = self.timers.add(
            effect.when,
            effect.description,
            lambda: self.react(trigger),
            keeps_alive=effect.keeps_alive,
            trigger=trigger,
            seq=seq,
        )
        self.changes.add_timer(arn, timer)
        if key is not None:
            self._deadlines[key] = timer

    def _start_chained_invoke(self, record: ExecutionRecord, effect: StartChainedInvoke) -> None:
        op = effect.operation
        target_arn = (
            self.invoke_hook(record, op, effect.function_name, effect.payload or "null")
            if self.invoke_hook is not None
            else None
        )
        if target_arn is None:
            # Only the runner knows its functions: the failure is decided once it says no.
            error = ErrorObject(
                f"Function not found: {effect.function_name}. Register the target on the test "
                f"runner with runner.register_durable_function({effect.function_name!r}, "
                f"handler) or runner.register_function({effect.function_name!r}, func).",
                "ResourceNotFoundException",
            )
            outcome = ResolveInvoke(
                record.arn, op.operation_id, OperationStatus.FAILED, None, error
            )
            self.schedule(
                record.arn,
                ScheduleTimer(
                    self.clock.now(),
                    f"failure of chained invoke {op.name or op.operation_id}",
                    outcome,
                ),
            )
        elif (target := self.executions.get(target_arn)) is not None:
            target.trace_header = effect.trace_header or record.trace_header
        started = effect.started
        details = dict(started.details)  # keeps the members' order; the ARN is filled in
        details["DurableExecutionArn"] = target_arn
        record.history.append(started.event_type, started.timestamp, details, started.operation)

    # -- the API the SDK calls -----------------------------------------------------------

    def checkpoint(
        self,
        arn: str,
        token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        record = self.get(arn)
        invoking.check_token(record, token)
        validate_batch(record, self.limits, updates)
        now = self.clock.now_datetime()
        decision = decide_checkpoint(record, updates, now)
        self.apply(decision)
        if record.status is ExecutionStatus.PAUSING:
            # The invocation reached its next checkpoint: applied, then the pause holds.
            self.apply(decide_pause_takes_effect(record, now, cut=True))
        touched = decision.stored_operations()
        return CheckpointOutput(record.new_token(), CheckpointUpdatedExecutionState(touched, None))

    def get_execution_state(
        self, arn: str, token: str, marker: str, max_items: int = 1000
    ) -> StateOutput:
        record = self.get(arn)
        invoking.check_token(record, token)
        return state_page(record, marker, max_items)
