"""The in-memory service decides first, as data, and applies in one place.

A checkpoint batch, a timer that fires, a callback answer and an execution's end each
become a ``Decision`` (effects in order) that can be inspected before anything changes;
applying it gives the same state as the service's own call. No module of the service
imports the service, and the testing package has no import cycle.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from clock_support import START, StoppedClock

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackOptions,
    ChainedInvokeOptions,
    ErrorObject,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from aws_durable_execution_sdk_python_testing._service.callbacks import decide_answer
from aws_durable_execution_sdk_python_testing._service.checkpoint import decide_checkpoint
from aws_durable_execution_sdk_python_testing._service.closing import decide_close
from aws_durable_execution_sdk_python_testing._service.effects import (
    AnnounceCallback,
    AppendEvent,
    ArmCallback,
    CallbackDeadline,
    CancelTimer,
    Deadline,
    Decision,
    EndExecution,
    MarkChanged,
    ResolveInvoke,
    ScheduleTimer,
    StartChainedInvoke,
    StepRetryDue,
    StoreOperation,
    WaitEnded,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._service.validation import validate_batch


def _service() -> tuple[InMemoryDurableService, ExecutionRecord, str]:
    service = InMemoryDurableService(StoppedClock())
    record = service.start_execution("fn", "run-1", '{"k": 1}')
    token = service.begin_invocation(record.arn).checkpoint_token
    return service, record, token


def _update(operation_id: str, kind: OperationType, action: OperationAction, **kw: Any) -> Any:
    return OperationUpdate(operation_id=operation_id, operation_type=kind, action=action, **kw)


BATCH = [
    _update("s1", OperationType.STEP, OperationAction.START, name="fetch"),
    _update("s1", OperationType.STEP, OperationAction.SUCCEED, name="fetch", payload="7"),
    _update("w1", OperationType.WAIT, OperationAction.START, wait_options=WaitOptions(30)),
    _update(
        "c1",
        OperationType.CALLBACK,
        OperationAction.START,
        name="approval",
        callback_options=CallbackOptions(timeout_seconds=600, heartbeat_timeout_seconds=60),
    ),
]


def _state(service: InMemoryDurableService, record: ExecutionRecord) -> dict[str, Any]:
    """What the execution looks like, with callback ids (random) replaced by their order."""
    ids: dict[str, str] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: ids.setdefault(v, f"cb{len(ids)}") if k == "CallbackId" else plain(v)
                for k, v in value.items()
            }
        return value

    return {
        "events": [plain(e) for e in record.history.events],
        "operations": {
            op_id: (op.status, op.start_timestamp, op.end_timestamp)
            for op_id, op in record.operations.items()
        },
        "timers": [(t.when, t.description) for t in service.timers.pending()],
        "ready": list(service.ready),
    }


def _now() -> datetime.datetime:
    return datetime.datetime.fromtimestamp(START, tz=datetime.UTC)


def test_a_checkpoint_is_decided_as_data_before_anything_changes() -> None:
    service, record, _token = _service()
    before = _state(service, record)

    validate_batch(record, service.limits, BATCH)
    decision = decide_checkpoint(record, BATCH, _now())

    assert _state(service, record) == before  # deciding changed nothing
    assert [type(effect) for effect in decision] == [
        AppendEvent,  # StepStarted
        StoreOperation,
        AppendEvent,  # StepSucceeded
        StoreOperation,
        AppendEvent,  # WaitStarted
        ScheduleTimer,  # the wait's end
        StoreOperation,
        ArmCallback,
        AppendEvent,  # CallbackStarted
        StoreOperation,
        ScheduleTimer,  # the callback's timeout
        ScheduleTimer,  # its heartbeat timeout
        AnnounceCallback,
    ]
    events = [e.event_type for e in decision.effects if isinstance(e, AppendEvent)]
    assert events == ["StepStarted", "StepSucceeded", "WaitStarted", "CallbackStarted"]
    timers = [e for e in decision.effects if isinstance(e, ScheduleTimer)]
    assert timers[0].trigger == WaitEnded(record.arn, "w1", 30)
    assert timers[0].when == START + 30
    callback_id = next(e.callback_id for e in decision.effects if isinstance(e, ArmCallback))
    assert [t.key for t in timers[1:]] == [
        CallbackDeadline(callback_id, Deadline.TIMEOUT),
        CallbackDeadline(callback_id, Deadline.HEARTBEAT),
    ]
    assert [(t.when, t.description) for t in timers[1:]] == [
        (START + 600, "timeout of callback approval"),
        (START + 60, "heartbeat timeout of a callback"),
    ]
    # The operations the checkpoint answers with: each once, in its final state.
    stored = decision.stored_operations()
    assert [(op.operation_id, op.status) for op in stored] == [
        ("s1", OperationStatus.SUCCEEDED),
        ("w1", OperationStatus.STARTED),
        ("c1", OperationStatus.STARTED),
    ]


def test_applying_a_decision_gives_the_same_state_as_the_checkpoint_call() -> None:
    decided, decided_record, _ = _service()
    called, called_record, token = _service()

    validate_batch(decided_record, decided.limits, BATCH)
    decided.apply(decide_checkpoint(decided_record, BATCH, _now()))
    output = called.checkpoint(called_record.arn, token, BATCH)

    decided_state = _state(decided, decided_record)
    called_state = _state(called, called_record)
    # Past ExecutionStarted (whose ids are each execution's own) the two are the same.
    assert decided_state["events"][1:] == called_state["events"][1:]
    assert len(decided_state["events"]) == 5
    del decided_state["operations"][decided_record.invocation_id]
    del called_state["operations"][called_record.invocation_id]
    assert decided_state["operations"] == called_state["operations"]
    assert list(decided_state["operations"]) == ["s1", "w1", "c1"]
    assert [op.operation_id for op in output.new_execution_state.operations] == ["s1", "w1", "c1"]
    assert decided_state["timers"] == called_state["timers"]


def test_a_rejected_batch_changes_nothing_even_past_its_first_update() -> None:
    service, record, token = _service()
    invoke = _update(
        "i1",
        OperationType.CHAINED_INVOKE,
        OperationAction.START,
        chained_invoke_options=ChainedInvokeOptions("nowhere"),
    )
    token = service.checkpoint(record.arn, token, [invoke]).checkpoint_token or ""
    before = _state(service, record)
    batch = [
        _update("s9", OperationType.STEP, OperationAction.START),
        _update("i1", OperationType.CHAINED_INVOKE, OperationAction.CANCEL),
    ]

    with pytest.raises(InvalidParameterValueException, match="not supported"):
        service.checkpoint(record.arn, token, batch)

    assert _state(service, record) == before
    assert "s9" not in record.operations


def test_a_chained_invoke_start_is_an_effect_that_names_its_target_when_applied() -> None:
    service, record, _ = _service()
    invoke = _update(
        "i1",
        OperationType.CHAINED_INVOKE,
        OperationAction.START,
        payload='"hi"',
        chained_invoke_options=ChainedInvokeOptions("target", tenant_id="t-1"),
    )
    decision = decide_checkpoint(record, [invoke], _now())
    (start, _store) = decision.effects
    assert isinstance(start, StartChainedInvoke)
    assert start.started.details["DurableExecutionArn"] is None  # not known until started
    service.invoke_hook = lambda caller, op, name, payload: f"arn:target:{name}:{payload}"

    service.apply(decision)

    started = record.history.events[-1]
    assert started["EventType"] == "ChainedInvokeStarted"
    details = started["ChainedInvokeStartedDetails"]
    assert details["DurableExecutionArn"] == 'arn:target:target:"hi"'
    assert list(details) == [
        "FunctionName",
        "Input",
        "ExecutedVersion",
        "DurableExecutionArn",
        "TenantId",
    ]


def test_a_timer_decides_when_it_fires_and_only_then() -> None:
    service, record, token = _service()
    service.checkpoint(record.arn, token, [BATCH[2]])
    record.needs_invocation = False  # the invocation is under way
    trigger = WaitEnded(record.arn, "w1", 30)
    service.clock.advance_to(START + 30)
    before = _state(service, record)

    decision = service.decide(trigger)

    assert _state(service, record) == before
    assert decision is not None
    assert [type(e) for e in decision] == [StoreOperation, AppendEvent, MarkChanged]
    assert decision.stored_operations()[0].status is OperationStatus.SUCCEEDED
    assert service.fire_next_timers()[0].description == "end of wait w1 (30s)"
    assert record.operations["w1"].status is OperationStatus.SUCCEEDED
    assert record.history.events[-1]["EventType"] == "WaitSucceeded"
    assert list(service.ready)[-1] == record.arn


def test_a_step_retry_is_a_timer_whose_trigger_names_the_step() -> None:
    service, record, token = _service()
    service.checkpoint(
        record.arn, token, [_update("s1", OperationType.STEP, OperationAction.START)]
    )
    retry = _update(
        "s1",
        OperationType.STEP,
        OperationAction.RETRY,
        error=ErrorObject("boom", "ValueError"),
        step_options=StepOptions(next_attempt_delay_seconds=5),
    )
    decision = decide_checkpoint(record, [retry], _now())
    [timer] = [e for e in decision.effects if isinstance(e, ScheduleTimer)]
    assert timer.trigger == StepRetryDue(record.arn, "s1")
    assert timer.when == START + 5


def test_a_callback_answer_is_decided_before_it_is_applied() -> None:
    service, record, token = _service()
    service.checkpoint(record.arn, token, [BATCH[3]])
    callback_id = record.operations["c1"].callback_details.callback_id  # type: ignore[union-attr]
    entry = service.callbacks.locate(callback_id)
    before = _state(service, record)

    decision = decide_answer(record, entry, callback_id, _now(), result='"yes"')

    assert _state(service, record) == before
    assert decision.effects[1:3] == (
        CancelTimer(CallbackDeadline(callback_id, Deadline.TIMEOUT)),
        CancelTimer(CallbackDeadline(callback_id, Deadline.HEARTBEAT)),
    )
    service.apply(decision)
    assert record.operations["c1"].status is OperationStatus.SUCCEEDED
    # Both deadlines are cancelled: only the execution's timeout is left.
    assert [t.description for t in service.timers.pending()] == ["timeout of execution run-1"]


def test_an_end_releases_callbacks_and_resolves_the_callers_invoke() -> None:
    service, record, token = _service()
    service.checkpoint(record.arn, token, [BATCH[3]])
    callback_id = record.operations["c1"].callback_details.callback_id  # type: ignore[union-attr]
    record.parent = ("arn:caller", "op-7")

    decision = decide_close(record, ExecutionStatus.SUCCEEDED, _now(), result='"r"')

    assert type(decision.effects[0]) is EndExecution
    assert CancelTimer(CallbackDeadline(callback_id, Deadline.HEARTBEAT)) in decision.effects
    assert decision.effects[-1] == ResolveInvoke(
        "arn:caller", "op-7", OperationStatus.SUCCEEDED, '"r"', None
    )
    assert record.status is ExecutionStatus.RUNNING


def test_an_empty_decision_applies_nothing() -> None:
    service, record, _ = _service()
    before = _state(service, record)
    service.apply(Decision(record.arn))
    assert _state(service, record) == before
