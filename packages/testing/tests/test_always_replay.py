"""``always_replay=True``: every checkpoint boundary is also a replay, so every replay path runs.

After each checkpoint call that leaves no step running, the invocation ends and the next
one replays the handler from the top. Each cut invocation is recorded as the service records
any invocation (``InvocationCompleted``, without an error), is invoked again at once and does
not count against ``invocation_retries``. A handler that does not replay as it ran fails with
``NonDeterministicExecutionError`` naming the checkpointed and the replayed operation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from examples.batch_etl.workflow import handler as etl_handler
from examples.fanout_first_successful.workflow import handler as fanout_handler
from examples.operation_metrics.workflow import handler as metrics_handler
from examples.order_processing.workflow import handler as order_handler
from examples.order_saga.workflow import PAYMENT_FUNCTION, payment_handler
from examples.order_saga.workflow import handler as saga_handler
from examples.polling.workflow import handler as polling_handler

from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus
from aws_durable_execution_sdk_python_testing.errors import InvalidFaultError
from aws_durable_execution_sdk_python_testing.faults import CrashAfterCheckpoint

pytest_plugins = ["pytester"]


def run(handler: Callable[..., Any], event: Any, **options: Any) -> Any:
    with DurableFunctionTestRunner(handler, **options) as runner:
        runner.register_durable_function(PAYMENT_FUNCTION, payment_handler)
        return runner.run(event, timeout=30)


def cut_invocations(result: Any) -> int:
    return sum(1 for inv in result.invocations if "Error" not in inv)


EXAMPLES = [
    pytest.param(order_handler, {"order_id": "o-1", "items": 3}, id="order_processing"),
    pytest.param(saga_handler, {"order_id": "o-1", "items": 2, "card": "tok_visa"}, id="saga"),
    pytest.param(
        etl_handler,
        {"records": [{"id": i, "value": i} for i in range(6)]},
        id="batch_etl",
    ),
    pytest.param(polling_handler, {"job_id": "j-1", "units": 100}, id="polling"),
    pytest.param(fanout_handler, {"item": "sku-42"}, id="fanout"),
    pytest.param(metrics_handler, {"shipment_id": "s-1", "parcels": 3}, id="metrics"),
]


@pytest.mark.parametrize(("handler", "event"), EXAMPLES)
def test_examples_replay_at_every_boundary_and_end_as_they_do_without(
    handler: Callable[..., Any], event: Any
) -> None:
    plain = run(handler, event)
    replayed = run(handler, event, always_replay=True)

    assert replayed.status is plain.status, replayed.error
    assert replayed.result == plain.result
    assert [(op.name, op.status) for op in replayed.operations] == [
        (op.name, op.status) for op in plain.operations
    ]
    assert replayed.invocation_count > plain.invocation_count  # it did replay


def test_each_step_is_its_own_invocation_and_runs_once() -> None:
    bodies: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[str]:
        return [context.step(lambda sc, n=n: bodies.append(n) or n, name=n) for n in "abc"]

    result = run(handler, {}, always_replay=True)

    assert result.result == ["a", "b", "c"]
    assert bodies == ["a", "b", "c"]  # replays take results from checkpoints
    # One invocation per step's checkpoint, and the last replays all three and returns.
    assert result.invocation_count == 4
    assert [e["EventType"] for e in result.history] == [
        "ExecutionStarted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert all("Error" not in inv for inv in result.invocations)


def test_a_cut_is_not_a_failure_and_costs_no_invocation_retries() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return sum(context.step(lambda sc, i=i: i, name=f"s{i}") for i in range(5))

    result = run(handler, {}, always_replay=True, invocation_retries=0)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    assert result.result == 10
    assert cut_invocations(result) == 6


def test_an_at_most_once_step_is_never_cut_between_its_start_and_its_end() -> None:
    bodies: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        config = StepConfig(RetryPresets.none(), StepSemantics.AT_MOST_ONCE_PER_RETRY)
        context.step(lambda sc: bodies.append(sc.attempt), name="pay", config=config)
        return "paid"

    result = run(handler, {}, always_replay=True)

    assert result.status is InvocationStatus.SUCCEEDED, result.error  # not interrupted
    assert bodies == [1]


def test_a_handler_that_diverges_on_replay_fails_naming_both_operations() -> None:
    invocations: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> str:
        invocations.append(1)
        # A global counter decides the branch: fine on one straight run, wrong on replay.
        first = "reserve" if len(invocations) == 1 else "charge"
        context.step(lambda sc: 1, name=first)
        context.step(lambda sc: 2, name="ship")
        return "done"

    assert run(handler, {}).status is InvocationStatus.SUCCEEDED  # one invocation hides it
    invocations.clear()
    result = run(handler, {}, always_replay=True)

    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error["error_type"] == "NonDeterministicExecutionError"
    assert result.error["termination_reason"] == "NON_DETERMINISTIC_EXECUTION"
    assert "reserve" in result.error["message"]
    assert "charge" in result.error["message"]


def test_always_replay_and_crashes_together() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> list[str]:
        return [context.step(lambda sc, n=n: n, name=n) for n in "ab"]

    with DurableFunctionTestRunner(handler, always_replay=True) as runner:
        result = runner.run({}, faults=[CrashAfterCheckpoint(2)])

    assert result.result == ["a", "b"]
    errors = [
        inv.get("Error", {}).get("Payload", {}).get("ErrorType") for inv in result.invocations
    ]
    assert errors == [None, "Runtime.ExitError", None]


def test_always_replay_must_be_a_bool() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> None:
        return None

    with pytest.raises(InvalidFaultError, match=r"always_replay='yes'"):
        DurableFunctionTestRunner(handler, always_replay="yes")  # type: ignore[arg-type]


def test_the_marker_takes_always_replay_faults_and_crash_after(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from aws_durable_execution_sdk_python import durable_execution
        from aws_durable_execution_sdk_python_testing.faults import CrashBeforeCheckpoint

        @durable_execution
        def handler(event, context):
            return [context.step(lambda sc, n=n: n, name=n) for n in "ab"]

        def errors(result):
            return [
                i.get("Error", {}).get("Payload", {}).get("ErrorType") for i in result.invocations
            ]

        @pytest.mark.durable_execution(handler=handler, always_replay=True)
        def test_replays(durable_runner):
            with durable_runner:
                result = durable_runner.run({})
            assert result.result == ["a", "b"]
            assert result.invocation_count == 3

        @pytest.mark.durable_execution(handler=handler, crash_after=1)
        def test_crashes(durable_runner):
            with durable_runner:
                result = durable_runner.run({})
            assert errors(result) == ["Runtime.ExitError", None]

        @pytest.mark.durable_execution(handler=handler, faults=[CrashBeforeCheckpoint(2)])
        def test_faults(durable_runner):
            with durable_runner:
                result = durable_runner.run({})
            assert errors(result) == ["Runtime.ExitError", None]

        @pytest.mark.durable_execution(handler=handler, crash_after=0)
        def test_bad_value(durable_runner):
            pass
        """
    )
    outcome = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=3, errors=1)
    outcome.stdout.fnmatch_lines(["*crash_after=0*expected a checkpoint call number*"])
