"""The store's codec: an execution's parts become JSON-able dicts and come back exactly.

Properties over random values, records, operations, triggers and timers (each through
``json.dumps``/``loads``, as a store writes them), a table of values the codec refuses, and
a guard that every attribute of ``ExecutionRecord`` is saved or listed with the reason it
is not, so that a new field cannot be forgotten.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    ChainedInvokeDetails,
    ContextDetails,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
    OperationUpdate,
    StepDetails,
    WaitDetails,
)
from aws_durable_execution_sdk_python_testing._service.callbacks import CallbackEntry
from aws_durable_execution_sdk_python_testing._service.effects import (
    CallbackDeadline,
    Deadline,
    ExecutionTimeout,
    ResolveInvoke,
    StepRetryDue,
    WaitEnded,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
    PauseRequest,
)
from aws_durable_execution_sdk_python_testing._store.snapshot import (
    NOT_PERSISTED,
    RECORD_FIELDS,
    SAVED_AS_ROWS,
    SavedCallback,
    SavedTimer,
    decode_event,
    decode_operation,
    decode_record,
    decode_trigger,
    decode_value,
    encode_event,
    encode_operation,
    encode_record,
    encode_trigger,
    encode_value,
)


def _through_json(value: Any) -> Any:
    return json.loads(json.dumps(value, allow_nan=False))


# -- strategies -------------------------------------------------------------------------------

texts = st.text(max_size=12)
names = st.none() | st.text(min_size=1, max_size=12)  # None is unnamed, empty is invalid
timestamps = st.datetimes(
    min_value=datetime.datetime(2000, 1, 1),
    max_value=datetime.datetime(2100, 1, 1),
    timezones=st.just(datetime.UTC),
).map(lambda moment: moment.replace(fold=0))  # the service's come from fromtimestamp: fold 0
errors = st.builds(
    ErrorObject,
    st.none() | texts,
    st.none() | texts,
    st.none() | texts,
    st.none() | st.lists(texts, max_size=3),
)
keys = st.text(max_size=8) | st.sampled_from(["$datetime", "$dict", "$", "EventId"])
values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | timestamps,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)
operations = st.builds(
    Operation,
    operation_id=st.text(min_size=1, max_size=12),
    operation_type=st.sampled_from(OperationType),
    status=st.sampled_from(OperationStatus),
    parent_id=st.none() | st.text(min_size=1, max_size=8),
    name=names,
    start_timestamp=st.none() | timestamps,
    end_timestamp=st.none() | timestamps,
    sub_type=st.none() | st.sampled_from(OperationSubType),
    execution_details=st.none() | st.builds(ExecutionDetails, st.none() | texts),
    context_details=st.none()
    | st.builds(ContextDetails, st.booleans(), st.none() | texts, st.none() | errors),
    step_details=st.none()
    | st.builds(
        StepDetails,
        st.integers(0, 100),
        st.none() | timestamps,
        st.none() | texts,
        st.none() | errors,
    ),
    wait_details=st.none() | st.builds(WaitDetails, st.none() | timestamps),
    callback_details=st.none()
    | st.builds(CallbackDetails, texts, st.none() | texts, st.none() | errors),
    chained_invoke_details=st.none()
    | st.builds(ChainedInvokeDetails, st.none() | texts, st.none() | errors),
)
updates = st.builds(
    OperationUpdate,
    operation_id=st.text(min_size=1, max_size=12),
    operation_type=st.just(OperationType.EXECUTION),
    action=st.sampled_from([OperationAction.SUCCEED, OperationAction.FAIL]),
    payload=st.none() | texts,
    error=st.none() | errors,
)
triggers = st.one_of(
    st.builds(ExecutionTimeout, texts),
    st.builds(StepRetryDue, texts, texts),
    st.builds(WaitEnded, texts, texts, st.integers(0, 10**8)),
    st.builds(
        ResolveInvoke,
        texts,
        texts,
        st.sampled_from(OperationStatus),
        st.none() | texts,
        st.none() | errors,
    ),
    st.builds(CallbackDeadline, texts, st.sampled_from(Deadline)),
)
saved_timers = st.builds(
    SavedTimer,
    st.floats(0, 10**10, allow_nan=False),
    st.integers(0, 10**6),
    texts,
    triggers,
    st.booleans(),
)


@st.composite
def records(draw: st.DrawFn) -> ExecutionRecord:
    record = ExecutionRecord(
        draw(texts),
        draw(texts),
        draw(texts),
        draw(texts),
        draw(timestamps),
        draw(texts),
        draw(st.integers(1, 31_622_400)),
    )
    record.status = draw(st.sampled_from(ExecutionStatus))
    record.sequence = draw(st.integers(0, 10**6))
    record.pause = draw(
        st.none() | st.builds(PauseRequest, timestamps, st.none() | texts, st.booleans())
    )
    moments = st.floats(0, 10**10, allow_nan=False)
    record.timeout_at = draw(st.none() | moments)
    record.timeout_held = draw(st.none() | moments)
    record.cut_by_pause = draw(st.booleans())
    record.client_tokens = draw(st.dictionaries(texts, st.tuples(texts, moments), max_size=3))
    record.result = draw(st.none() | texts)
    record.error = draw(st.none() | errors)
    record.termination_reason = draw(st.none() | texts)
    record.end = draw(st.none() | timestamps)
    record._token_seq = draw(st.integers(0, 10**6))
    record.token = draw(texts)
    record.invoking = draw(st.booleans())
    record.invocations = draw(st.integers(0, 10**4))
    record.failed_invocations = draw(st.integers(0, 10))
    record.updated_operation_ids = draw(st.sets(texts, max_size=4))
    record.needs_invocation = draw(st.booleans())
    record.parent = draw(st.none() | st.tuples(texts, texts))
    record.trace_header = draw(st.none() | texts)
    record.checkpointed_outcome = draw(st.none() | updates)
    return record


# -- the guard --------------------------------------------------------------------------------


def test_every_record_attribute_is_saved_or_listed_as_not_saved_with_a_reason():
    record = ExecutionRecord("arn", "fn", "run", "id", datetime.datetime.now(datetime.UTC), "", 60)
    saved, apart, dropped = set(RECORD_FIELDS), set(SAVED_AS_ROWS), set(NOT_PERSISTED)
    assert not (saved & apart or saved & dropped or apart & dropped)
    assert set(vars(record)) == saved | apart | dropped, (
        "a new ExecutionRecord attribute must be saved by _store/snapshot.py (RECORD_FIELDS) "
        "or listed in NOT_PERSISTED with the reason"
    )
    assert all(reason.strip() for reason in [*SAVED_AS_ROWS.values(), *NOT_PERSISTED.values()])


# -- properties -------------------------------------------------------------------------------


@given(values)
def test_values_with_datetimes_and_tag_like_keys_come_back_exactly(value: Any):
    back = decode_value(_through_json(encode_value(value)))
    assert back == value
    assert repr(back) == repr(value)  # types too: a datetime stays a datetime, 1 stays an int


@given(st.dictionaries(keys, values, max_size=4))
def test_events_come_back_exactly(event: dict[str, Any]):
    assert decode_event(_through_json(encode_event(event))) == event


@given(operations)
def test_operations_come_back_exactly(operation: Operation):
    assert decode_operation(_through_json(encode_operation(operation))) == operation


@given(records())
def test_records_come_back_exactly(record: ExecutionRecord):
    back = decode_record(_through_json(encode_record(record)))
    for name in RECORD_FIELDS:
        assert getattr(back, name) == getattr(record, name), name
        assert type(getattr(back, name)) is type(getattr(record, name)), name


@given(triggers)
def test_triggers_come_back_exactly(trigger: Any):
    assert decode_trigger(_through_json(encode_trigger(trigger))) == trigger


@given(saved_timers)
def test_timers_come_back_exactly(timer: SavedTimer):
    assert SavedTimer.from_dict(_through_json(timer.to_dict())) == timer


@given(texts, st.builds(CallbackEntry, texts, texts, st.integers(0, 10**6)))
def test_callback_entries_come_back_exactly(callback_id: str, entry: CallbackEntry):
    saved = SavedCallback(callback_id, entry)
    assert SavedCallback.from_dict(_through_json(saved.to_dict())) == saved


@pytest.mark.parametrize("deadline", list(Deadline))
def test_a_callback_deadline_timer_is_restored_under_its_key(deadline: Deadline):
    trigger = CallbackDeadline("cb-1", deadline)
    assert SavedTimer(1.0, 0, "deadline", trigger).effect().key == trigger
    assert SavedTimer(1.0, 0, "wait", WaitEnded("arn", "op", 5)).effect().key is None


# -- refused values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        pytest.param((1, 2), id="tuple"),
        pytest.param({1, 2}, id="set"),
        pytest.param({1: "a"}, id="non-string key"),
        pytest.param(object(), id="object"),
        pytest.param(b"bytes", id="bytes"),
        pytest.param(datetime.date(2026, 1, 1), id="date"),
        pytest.param([{"k": (1,)}], id="nested tuple"),
    ],
)
def test_a_value_that_would_not_come_back_the_same_is_refused(value: Any):
    with pytest.raises(TypeError, match="cannot save"):
        encode_value(value)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({"kind": "Nope", "arn": "a"}, id="unknown kind"),
        pytest.param(
            {"kind": "CallbackDeadline", "callback_id": "c", "deadline": "X"}, id="deadline"
        ),
        pytest.param({"kind": "WaitEnded", "arn": "a"}, id="missing member"),
    ],
)
def test_saved_triggers_this_version_does_not_know_are_refused(data: dict[str, Any]):
    with pytest.raises((KeyError, ValueError)):
        decode_trigger(data)
