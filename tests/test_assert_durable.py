"""``assert_durable``: a durable handler survives every crash point and generated schedule;
one that is not durable fails with the schedule named and what differed."""

from __future__ import annotations

import re
from typing import Any

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python import DurableContext, Duration, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python_testing import (
    DurableFunctionTestResult,
    DurableFunctionTestRunner,
    InvocationStatus,
)
from aws_durable_execution_sdk_python_testing.errors import (
    DurableFunctionsTestError,
    StuckExecutionError,
)
from aws_durable_execution_sdk_python_testing.faults import (
    CrashAfterCheckpoint,
    Fault,
    ServiceError,
    ServiceFault,
)
from aws_durable_execution_sdk_python_testing.strategies import assert_durable, fault_schedules

ONCE = StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)


@durable_execution
def checkout(event: dict, context: DurableContext) -> dict:
    """Three calls of its own: a fast at-least-once step (START and SUCCEED together), an
    at-most-once step (START alone, then SUCCEED), and a wait."""
    price = context.step(lambda _: event["items"] * 5, name="price")
    charged = context.step(lambda _: {"charged": price}, name="charge", config=ONCE)
    context.wait(Duration.from_minutes(10), name="cooling off")
    return {"order": event["order_id"], **charged}


@durable_execution
def refuses(event: dict, context: DurableContext) -> dict:
    context.step(lambda _: "checked", name="check")
    raise ValueError("out of stock")


@durable_execution
def approval(event: dict, context: DurableContext) -> str:
    answer: str = context.wait_for_callback(lambda callback_id, _: None, name="approval")
    return context.step(lambda _: f"approved: {answer}", name="record")


# -- durable handlers pass -----------------------------------------------------------------


def test_a_durable_handler_survives_a_crash_before_and_after_every_checkpoint_call():
    report = assert_durable(checkout, {"order_id": "o-1", "items": 2})

    assert report.reference.status is InvocationStatus.SUCCEEDED
    assert report.reference.result == {"order": "o-1", "charged": 10}
    # price (START+SUCCEED), charge START, charge SUCCEED, the wait's START.
    assert report.checkpoint_calls == 4
    assert report.schedules_checked == 2 * 4
    charge = report.reference.get_step("charge").operation_id
    assert report.at_most_once_steps == frozenset({charge})


def test_crash_points_after_or_before_only():
    after = assert_durable(checkout, {"order_id": "o-1", "items": 2}, crash_points="after")
    before = assert_durable(checkout, {"order_id": "o-1", "items": 2}, crash_points="before")

    assert (after.schedules_checked, before.schedules_checked) == (4, 4)


def test_a_failing_execution_must_fail_the_same_way_under_faults():
    report = assert_durable(refuses, {})

    assert report.reference.status is InvocationStatus.FAILED
    assert report.checkpoint_calls > 0
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)


def test_declared_callbacks_answer_every_run():
    report = assert_durable(approval, {}, callbacks={"approval": "yes"})

    assert report.reference.result == "approved: yes"
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)


def test_generated_schedules_of_crashes_and_retryable_service_faults():
    seen: list[list[Fault]] = []

    class Recording(DurableFunctionTestRunner):
        def run(self, *args: Any, **kwargs: Any) -> DurableFunctionTestResult:
            seen.append(list(kwargs["faults"]))
            return super().run(*args, **kwargs)

    report = assert_durable(
        checkout,
        {"order_id": "o-1", "items": 2},
        crash_points=None,
        schedules=fault_schedules,
        settings=settings(max_examples=15, database=None, deadline=None),
        runner_factory=lambda handler: Recording(handler, record_hooks=True),
    )

    assert report.checkpoint_calls == 4  # found by probing, without the exhaustive runs
    assert any(isinstance(f, ServiceFault) for s in seen for f in s)
    assert any(len(s) == 2 for s in seen)


def test_a_fixed_schedule_strategy():
    throttled = [ServiceFault(ServiceError.THROTTLING, call=2)]
    report = assert_durable(
        checkout,
        {"order_id": "o-1", "items": 2},
        crash_points=None,
        schedules=st.just(throttled),
        settings=settings(max_examples=1, database=None),
    )

    assert report.schedules_checked == 1


# -- handlers that are not durable fail, naming the schedule --------------------------------

INVOCATIONS = {"count": 0}


@durable_execution
def counts_invocations(event: dict, context: DurableContext) -> int:
    INVOCATIONS["count"] += 1  # state kept across invocations: a replay sees it changed
    context.wait(Duration.from_seconds(30), name="pause")
    return context.step(lambda _: INVOCATIONS["count"], name="report")


OUTBOX: list[str] = []


@durable_execution
def mails_outside_a_step(event: dict, context: DurableContext) -> int:
    OUTBOX.append(event["to"])  # a side effect outside a step: sent again by every replay
    context.wait(Duration.from_seconds(30), name="pause")
    return context.step(lambda _: len(OUTBOX), name="count mails")


def fresh_outbox(handler: Any) -> DurableFunctionTestRunner:
    OUTBOX.clear()  # each run starts with an empty outbox, as a new execution would
    return DurableFunctionTestRunner(handler, record_hooks=True)


def fresh_counter(handler: Any) -> DurableFunctionTestRunner:
    INVOCATIONS["count"] = 0
    return DurableFunctionTestRunner(handler, record_hooks=True)


def test_state_kept_in_a_global_fails_naming_the_crash_point():
    with pytest.raises(AssertionError) as caught:
        assert_durable(counts_invocations, {}, runner_factory=fresh_counter)

    message = str(caught.value)
    assert message.startswith("not durable under crash point [CrashBeforeCheckpoint(call=1)]")
    # The reference ran two invocations (the wait suspends); the crash added one.
    assert "the result is 3, the fault-free run's is 2" in message
    assert "step 'report'" in message and "succeeded with '3'" in message
    assert "timeline of that run:" in message and "Runtime.ExitError" in message


def test_a_side_effect_outside_a_step_fails_naming_the_crash_point():
    with pytest.raises(AssertionError, match=re.escape("crash point [CrashBeforeCheckpoint")):
        assert_durable(mails_outside_a_step, {"to": "sam"}, runner_factory=fresh_outbox)


def test_a_generated_schedule_that_breaks_it_is_shrunk_to_one_early_fault():
    with pytest.raises(AssertionError) as caught:
        assert_durable(
            counts_invocations,
            {},
            crash_points=None,
            schedules=fault_schedules,
            runner_factory=fresh_counter,
        )

    first_line = str(caught.value).splitlines()[0]
    assert first_line == "not durable under schedule [CrashAfterCheckpoint(call=1)]:"


# -- what each run is checked for, shown by runs doctored after the fact --------------------


def doctoring(change: Any) -> Any:
    """A runner factory whose faulted runs come back changed by ``change(result)``: the
    fault-free reference run is left as it is."""

    class Doctored(DurableFunctionTestRunner):
        def run(self, *args: Any, **kwargs: Any) -> DurableFunctionTestResult:
            result = super().run(*args, **kwargs)
            return change(result) if kwargs.get("faults") else result

    return lambda handler: Doctored(handler, record_hooks=True)


def repeat_event(result: DurableFunctionTestResult, event_type: str, name: str) -> Any:
    history = list(result.history)
    (index,) = [
        i for i, e in enumerate(history) if e["EventType"] == event_type and e["Name"] == name
    ][:1]
    history.insert(index + 1, dict(history[index]))
    return attrs.evolve(result, history=history)


def without_operation(result: DurableFunctionTestResult, name: str) -> Any:
    kept = tuple(op for op in result.wire_operations if op.name != name)
    return attrs.evolve(result, wire_operations=kept)


def ran_again(result: DurableFunctionTestResult, name: str) -> Any:
    """The step's body is reported running once more, in the execution's last invocation."""
    (body,) = [e for e in result.hook_events if e.hook == "on_user_function_start"][:1]
    assert body.info.name == "price"
    return attrs.evolve(result, hook_events=[*result.hook_events, body])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: repeat_event(r, "StepStarted", "charge"),
            "at-most-once step 'charge' ({id}) has 2 StepStarted events for attempt ",
        ),
        (
            lambda r: repeat_event(r, "StepSucceeded", "price"),
            "step 'price' ({id}) has 2 StepSucceeded events",
        ),
        (
            lambda r: without_operation(r, "price"),
            "step 'price' ({id}) succeeded in the fault-free run but is missing",
        ),
        (
            lambda r: ran_again(r, "price"),
            "step 'price' ({id}) ran again in invocation ",
        ),
    ],
    ids=["at-most-once started twice", "succeeded twice", "lost", "completed step re-run"],
)
def test_each_property_is_checked(change: Any, expected: str):
    with pytest.raises(AssertionError) as caught:
        assert_durable(checkout, {"order_id": "o-1", "items": 2}, runner_factory=doctoring(change))

    with DurableFunctionTestRunner(checkout) as runner:
        reference = runner.run({"order_id": "o-1", "items": 2})
    step = "charge" if "charge" in expected else "price"
    short = reference.get_step(step).operation_id[:12]
    assert expected.format(id=short) in str(caught.value)
    assert str(caught.value).startswith("not durable under crash point [")


def test_an_at_most_once_step_run_twice_in_one_attempt_is_caught():
    def twice(result: DurableFunctionTestResult) -> Any:
        bodies = [
            e
            for e in result.hook_events
            if e.hook == "on_user_function_start" and e.info.name == "charge"
        ]
        return attrs.evolve(result, hook_events=[*result.hook_events, bodies[-1]])

    with pytest.raises(AssertionError, match=r"at-most-once step 'charge' \(\w+\) ran 2 times"):
        assert_durable(checkout, {"order_id": "o-1", "items": 2}, runner_factory=doctoring(twice))


# -- bad options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"crash_points": "every"}, "crash_points='every': expected 'all'"),
        ({"crash_points": 3}, "crash_points=3: expected 'all'"),
        ({"schedules": [CrashAfterCheckpoint(1)]}, "schedules=[CrashAfterCheckpoint(call=1)]"),
        (
            {"runner_factory": DurableFunctionTestRunner, "seed": 3},
            "runner_factory and runner options (seed) together",
        ),
    ],
)
def test_bad_options_are_refused(options: dict[str, Any], message: str):
    with pytest.raises(DurableFunctionsTestError, match=re.escape(message)):
        assert_durable(checkout, {"order_id": "o-1", "items": 2}, **options)


# -- runs that cannot end ------------------------------------------------------------------


def test_a_fault_free_run_that_cannot_end_is_the_test_authors_error():
    with pytest.raises(StuckExecutionError, match="approval"):
        assert_durable(approval, {})  # no answer declared for the callback


def test_a_faulted_run_that_gets_stuck_fails_naming_the_crash_point():
    class StuckUnderFaults(DurableFunctionTestRunner):
        def run(self, *args: Any, **kwargs: Any) -> DurableFunctionTestResult:
            if kwargs.get("faults"):
                raise StuckExecutionError("waits for callback 'approval'")
            return super().run(*args, **kwargs)

    with pytest.raises(AssertionError) as caught:
        assert_durable(checkout, {"order_id": "o-1", "items": 2}, runner_factory=StuckUnderFaults)

    assert str(caught.value) == (
        "not durable under crash point [CrashBeforeCheckpoint(call=1)]: the run raised "
        "StuckExecutionError: waits for callback 'approval'"
    )
