"""The fault-schedule strategies: valid ``faults`` values, readable, shrinking towards fewer
and earlier faults."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python_testing.errors import InvalidFaultError
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    CrashBeforeCheckpoint,
    Fault,
    ServiceError,
    ServiceFault,
)
from aws_durable_execution_sdk_python_testing.strategies import (
    RETRYABLE_SERVICE_ERRORS,
    crash_points,
    fault_schedules,
    service_faults,
)

QUICK = settings(max_examples=200, database=None, deadline=None)


def call(fault: Fault) -> int:
    value: int = getattr(fault, "call")  # noqa: B009 - every drawn fault has one
    return value


@QUICK
@given(fault_schedules(max_calls=7, max_faults=3))
def test_schedules_are_one_fault_per_call_in_call_order_within_bounds(schedule: list[Fault]):
    calls = [call(f) for f in schedule]
    assert 1 <= len(schedule) <= 3
    assert calls == sorted(set(calls))
    assert all(1 <= c <= 7 for c in calls)
    for fault in schedule:
        if isinstance(fault, ServiceFault):
            assert fault.error in RETRYABLE_SERVICE_ERRORS and fault.times == 1
        else:
            assert isinstance(fault, CrashAfterCheckpoint | CrashBeforeCheckpoint)


@QUICK
@given(fault_schedules(max_calls=5, crashes=False))
def test_service_faults_only(schedule: list[Fault]):
    assert all(isinstance(f, ServiceFault) for f in schedule)


@QUICK
@given(fault_schedules(max_calls=5, service_errors=[]))
def test_crashes_only(schedule: list[Fault]):
    assert all(isinstance(f, CrashAfterCheckpoint | CrashBeforeCheckpoint) for f in schedule)


@QUICK
@given(service_faults(max_calls=3, errors=[ServiceError.PAYLOAD_TOO_LARGE]))
def test_service_faults_draw_the_errors_asked_for(fault: ServiceFault):
    assert fault.error is ServiceError.PAYLOAD_TOO_LARGE and 1 <= fault.call <= 3


def test_shrinking_goes_to_one_crash_after_the_first_call():
    assert find(fault_schedules(max_calls=20), lambda s: True) == [CrashAfterCheckpoint(1)]
    assert find(crash_points(max_calls=20), lambda c: True) == CrashAfterCheckpoint(1)


def test_shrinking_goes_to_fewer_and_earlier_faults():
    # Any schedule reaching call 9 shrinks to one fault, at call 9.
    assert find(fault_schedules(max_calls=20), lambda s: call(s[-1]) >= 9) == [
        CrashAfterCheckpoint(9)
    ]
    # A schedule that needs two faults keeps two, at the first calls.
    assert find(fault_schedules(max_calls=20), lambda s: len(s) >= 2) == [
        CrashAfterCheckpoint(1),
        CrashAfterCheckpoint(2),
    ]
    # One that needs a service fault gets the first error, at call 1.
    found = find(
        fault_schedules(max_calls=20), lambda s: any(isinstance(f, ServiceFault) for f in s)
    )
    assert found == [ServiceFault(ServiceError.THROTTLING, call=1)]


def test_a_drawn_schedule_prints_as_the_faults_it_holds():
    drawn = find(fault_schedules(max_calls=20), lambda s: len(s) >= 2)
    assert repr(drawn) == "[CrashAfterCheckpoint(call=1), CrashAfterCheckpoint(call=2)]"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: crash_points(0), "max_calls=0: expected an int >= 1"),
        (lambda: crash_points(True), "max_calls=True: expected an int >= 1"),
        (lambda: crash_points("3"), "max_calls='3': expected an int >= 1"),
        (lambda: service_faults(3, errors=[]), "errors=[]: name at least one ServiceError"),
        (
            lambda: service_faults(3, errors=["THROTTLING"]),
            "errors=['THROTTLING']: expected a list of ServiceError",
        ),
        (lambda: service_faults(3, errors=ServiceError.THROTTLING), "expected a list of"),
        (lambda: fault_schedules(0), "max_calls=0"),
        (lambda: fault_schedules(3, service_errors=None), "service_errors=None: expected a list"),
        (lambda: fault_schedules(3, max_faults=0), "max_faults=0: expected an int >= 1"),
        (lambda: fault_schedules(3, crashes=None), "crashes=None: expected True or False"),
        (
            lambda: fault_schedules(3, crashes=False, service_errors=[]),
            "a schedule needs some fault to draw",
        ),
    ],
)
def test_bad_arguments_are_refused(make: Any, message: str):
    with pytest.raises(InvalidFaultError, match=re.escape(message)):
        make()


def test_strategies_compose_with_others():
    # A schedule strategy is a plain Hypothesis strategy: it can be mapped and combined.
    both = st.tuples(crash_points(3), fault_schedules(3).map(len))
    crash, count = find(both, lambda t: True)
    assert crash == CrashAfterCheckpoint(1) and count == 1
