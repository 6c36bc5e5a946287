"""Which hooks fire in the situations the published plugins meet, per the SDK 3.0 plugin API.

Callbacks, chained invokes that fail, map and parallel branches on their own threads, child
contexts run again to rebuild a result too large to checkpoint, exhausted retries, and the
pairing and containment rules around thread-control exceptions (docs/decisions.md, "Plugin
API of the existing SDK").
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from plugin_recording import (
    Log,
    Recording,
    RecordingFactory,
    first_event,
    infos,
    run_with,
    sequence,
)

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig, StepSemantics
from aws_durable_execution_sdk_python.lambda_service import OperationSubType
from aws_durable_execution_sdk_python.plugin import (
    InvocationStartInfo,
    InvocationStatus,
    OperationStatus,
    OperationType,
    UserFunctionOutcome,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner


class Threads(Recording):
    """Also notes the thread each hook runs on."""

    def __init__(self, log: Log, threads: list[tuple[str, Any, str]]) -> None:
        super().__init__(log)
        self.threads = threads

    def _note(self, hook: str, info: Any) -> None:
        self.threads.append((hook, getattr(info, "name", None), threading.current_thread().name))

    def on_operation_start(self, info: Any) -> None:
        self._note("on_operation_start", info)
        super().on_operation_start(info)

    def on_operation_end(self, info: Any) -> None:
        self._note("on_operation_end", info)
        super().on_operation_end(info)

    def on_user_function_start(self, info: Any) -> None:
        self._note("on_user_function_start", info)
        super().on_user_function_start(info)

    def on_user_function_end(self, info: Any) -> None:
        self._note("on_user_function_end", info)
        super().on_user_function_end(info)


class ThreadsFactory(RecordingFactory):
    def __init__(self) -> None:
        super().__init__()
        self.threads: list[tuple[str, Any, str]] = []

    def create_plugin(self, info: InvocationStartInfo) -> Recording:
        self.log.append(("create_plugin", info))
        return Threads(self.log, self.threads)


def test_a_callback_starts_once_and_ends_when_its_answer_is_read() -> None:
    def body(event: Any, context: DurableContext) -> Any:
        return context.create_callback(name="approve").result()

    factory = RecordingFactory()
    handler = durable_execution(plugins=[factory])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10, callbacks={"approve": "yes"})

    assert result.status.value == "SUCCEEDED"
    [start] = infos(factory.log, "on_operation_start")
    assert (start.name, start.operation_type, start.sub_type, start.is_replayed) == (
        "approve",
        OperationType.CALLBACK,
        OperationSubType.CALLBACK,
        False,
    )
    [end] = infos(factory.log, "on_operation_end")
    assert (end.name, end.status, end.result) == ("approve", OperationStatus.SUCCEEDED, "yes")
    assert infos(factory.log, "on_user_function_start") == []  # no user function of its own


@durable_execution
def _refusing_target(event: Any, context: DurableContext) -> None:
    raise ValueError("cannot handle it")


def test_a_failed_chained_invoke_ends_failed_with_the_targets_error() -> None:
    def body(event: Any, context: DurableContext) -> str:
        try:
            context.invoke("target", {}, name="call")
        except Exception as error:
            return type(error).__name__
        return "no error"

    factory = RecordingFactory()
    handler = durable_execution(plugins=[factory])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        runner.register_durable_function("target", _refusing_target)
        result = runner.run(input={}, timeout=10)

    assert result.status.value == "SUCCEEDED"
    [end] = infos(factory.log, "on_operation_end")
    assert (end.name, end.operation_type, end.status) == (
        "call",
        OperationType.CHAINED_INVOKE,
        OperationStatus.FAILED,
    )
    assert end.error is not None
    assert "cannot handle it" in end.error.message


def test_map_branches_report_on_their_own_threads_inside_the_outer_operation() -> None:
    def item(context: DurableContext, value: int, index: int, items: Any) -> int:
        return context.step(lambda s: value * 2, name=f"double {value}")

    def body(event: Any, context: DurableContext) -> list[int]:
        return context.map([1, 2], item, name="fan out").get_results()

    factory = ThreadsFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"

    starts = infos(factory.log, "on_operation_start")
    [outer] = [i for i in starts if i.sub_type is OperationSubType.MAP]
    branches = [i for i in starts if i.sub_type is OperationSubType.MAP_ITERATION]
    assert sorted(i.name for i in branches) == ["map-item-0", "map-item-1"]
    assert {i.parent_id for i in branches} == {outer.operation_id}
    steps = [i for i in starts if i.operation_type is OperationType.STEP]
    assert {i.parent_id for i in steps} == {b.operation_id for b in branches}

    # The outer operation's user function ends before the outer operation, on one thread.
    calls = sequence(factory.log)
    assert calls.index(("on_user_function_end", "fan out")) < calls.index(
        ("on_operation_end", "fan out")
    )
    threads = {(hook, name): thread for hook, name, thread in factory.threads}
    coordinator = threads[("on_user_function_start", "fan out")]
    assert threads[("on_operation_end", "fan out")] == coordinator
    # Each branch reports from the thread that runs it. Which thread that is, is the
    # engine's choice: the coordinator is a worker too, and runs an item when it takes it
    # before a pool thread does.
    for index, value in enumerate([1, 2]):
        branch = threads[("on_user_function_start", f"map-item-{index}")]
        for hook in ("on_operation_start", "on_user_function_start", "on_user_function_end"):
            assert threads[(hook, f"double {value}")] == branch
        assert threads[("on_user_function_end", f"map-item-{index}")] == branch
    # Each branch: its start and user function before its inner operations, its end after.
    for index, value in enumerate([1, 2]):
        branch_calls = [c for c in calls if c[1] in (f"map-item-{index}", f"double {value}")]
        assert branch_calls == [
            ("on_operation_start", f"map-item-{index}"),
            ("on_user_function_start", f"map-item-{index}"),
            ("on_operation_start", f"double {value}"),
            ("on_user_function_start", f"double {value}"),
            ("on_user_function_end", f"double {value}"),
            ("on_operation_end", f"double {value}"),
            ("on_user_function_end", f"map-item-{index}"),
            ("on_operation_end", f"map-item-{index}"),
        ]


def test_parallel_branches_are_named_by_their_index() -> None:
    def body(event: Any, context: DurableContext) -> list[int]:
        return context.parallel([lambda c: 1, lambda c: 2], name="both").get_results()

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    starts = infos(factory.log, "on_operation_start")
    [outer] = [i for i in starts if i.sub_type is OperationSubType.PARALLEL]
    branches = [i for i in starts if i.sub_type is OperationSubType.PARALLEL_BRANCH]
    assert sorted(i.name for i in branches) == ["parallel-branch-0", "parallel-branch-1"]
    assert {i.parent_id for i in branches} == {outer.operation_id}


def test_a_context_run_again_to_rebuild_a_large_result() -> None:
    """A result over the operation limit is not checkpointed: the context's body runs again
    on replay, reported as replaying its children, and ends without a checkpoint."""
    big = "x" * (300 * 1024)

    def child(context: DurableContext) -> str:
        return context.step(lambda s: "small", name="inner") and big

    def body(event: Any, context: DurableContext) -> int:
        value = context.run_in_child_context(child, name="large")
        context.wait(3, name="pause")
        return len(value)

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    assert result.result == len(big)
    first, second = factory.invocations()

    [ctx_end] = [i for i in infos(first, "on_operation_end") if i.name == "large"]
    assert (ctx_end.status, ctx_end.start_time is not None) == (OperationStatus.SUCCEEDED, True)
    assert [i.name for i in infos(second, "on_operation_start")] == []
    [again] = [i for i in infos(second, "on_user_function_start") if i.name == "large"]
    assert (again.is_replay_children, again.attempt) == (True, None)
    [rebuilt] = [i for i in infos(second, "on_operation_end") if i.name == "large"]
    assert (rebuilt.status, rebuilt.start_time, rebuilt.is_replayed, rebuilt.result) == (
        OperationStatus.SUCCEEDED,
        None,
        True,
        None,
    )


def test_exhausted_retries_end_the_step_failed_with_the_last_attempt() -> None:
    config = StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, initial_delay_seconds=1)
        )
    )

    def always_fails(step_context: StepContext) -> None:
        raise ValueError(f"attempt {step_context.attempt}")

    def body(event: Any, context: DurableContext) -> None:
        context.step(always_fails, name="s", config=config)

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "FAILED"
    ends = infos(factory.log, "on_user_function_end")
    assert [(i.attempt, i.outcome, i.error.type) for i in ends] == [
        (n, UserFunctionOutcome.FAILED, "ValueError") for n in (1, 2, 3)
    ]
    [end] = infos(factory.log, "on_operation_end")
    assert (end.status, end.attempt, end.error.message) == (
        OperationStatus.FAILED,
        3,
        "attempt 3",
    )
    statuses = [i.status for i in infos(factory.log, "on_invocation_end")]
    assert statuses == [InvocationStatus.PENDING] * 2 + [InvocationStatus.FAILED]


# -- thread-control exceptions ---------------------------------------------------------------


class StoppingAtStart(Recording):
    def on_invocation_start(self, info: Any) -> None:
        super().on_invocation_start(info)
        raise SystemExit(3)


class StoppingFactory(RecordingFactory):
    def create_plugin(self, info: InvocationStartInfo) -> Recording:
        self.log.append(("create_plugin", info))
        return StoppingAtStart(self.log)


def _stopped_at_start() -> tuple[RecordingFactory, RecordingFactory]:
    stopping, later = StoppingFactory(), RecordingFactory()

    def body(event: Any, context: DurableContext) -> int:
        return 1

    handler = durable_execution(plugins=[stopping, later], boto3_client=object())(body)
    with pytest.raises(SystemExit):
        handler(first_event({}), None)
    return stopping, later


def test_plugins_after_a_stopping_start_hook_get_nothing() -> None:
    """Only started plugins get later hooks: the one after a start hook that stopped the
    invocation was never started, so it gets no ``on_invocation_end`` either."""
    _stopping, later = _stopped_at_start()
    assert [hook for hook, _ in later.log] == ["create_plugin"]


def test_the_plugin_whose_start_hook_stopped_the_invocation_gets_its_end() -> None:
    stopping, _later = _stopped_at_start()
    assert [hook for hook, _ in stopping.log] == [
        "create_plugin",
        "on_invocation_start",
        "on_invocation_end",
    ]
    [end] = infos(stopping.log, "on_invocation_end")
    assert end.status is InvocationStatus.RETRY
    assert end.error is not None
    assert end.error.type == "SystemExit"


class GroupRaising(Recording):
    def on_invocation_start(self, info: Any) -> None:
        raise BaseExceptionGroup("hook", [ValueError("bug"), KeyboardInterrupt()])


class GroupFactory(RecordingFactory):
    def create_plugin(self, info: InvocationStartInfo) -> Recording:
        self.log.append(("create_plugin", info))
        return GroupRaising(self.log)


def test_a_group_holding_a_thread_control_exception_is_split(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The thread-control leaves propagate, the rest is logged and contained."""
    caplog.set_level(logging.ERROR, "aws_durable_execution_sdk_python.plugin")

    def body(event: Any, context: DurableContext) -> int:
        return 1

    handler = durable_execution(plugins=[GroupFactory()], boto3_client=object())(body)
    with pytest.raises(BaseExceptionGroup) as raised:
        handler(first_event({}), None)
    assert raised.group_contains(KeyboardInterrupt)
    assert not raised.group_contains(ValueError)
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged.exc_info is not None
    contained = logged.exc_info[1]
    assert isinstance(contained, BaseExceptionGroup)
    assert [type(e) for e in contained.exceptions] == [ValueError]


def test_an_interrupted_at_most_once_step_is_reported_as_replayed_without_user_hooks() -> None:
    """The invocation crashes right after the step's START: the next one finds it STARTED,
    reports a replayed start, and never runs its body again (docs/decisions.md,
    "Interrupted at-most-once steps")."""
    at_most_once = StepConfig(
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
        retry_strategy=create_retry_strategy(RetryStrategyConfig(max_attempts=1)),
    )

    def body(event: Any, context: DurableContext) -> str:
        try:
            context.step(lambda s: "charged", name="charge", config=at_most_once)
        except Exception as error:
            return type(error).__name__
        return "no error"

    factory = RecordingFactory()
    handler = durable_execution(plugins=[factory])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10, crash_after=1)

    assert result.status.value == "SUCCEEDED"
    _crashed, second = factory.invocations()
    assert sequence(second) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "charge"),
        ("on_operation_end", "charge"),
        "on_invocation_end",
    ]
    [start] = infos(second, "on_operation_start")
    assert (start.is_replayed, start.status) == (True, OperationStatus.STARTED)
    assert start.start_time is not None
    [end] = infos(second, "on_operation_end")
    assert end.status is OperationStatus.FAILED


def test_the_request_id_is_the_lambda_invocations() -> None:
    def body(event: Any, context: DurableContext) -> int:
        context.wait(3, name="w")
        return 1

    factory = RecordingFactory()
    result, _ = run_with(factory, body)

    completed = [e for e in result.history if e["EventType"] == "InvocationCompleted"]
    request_ids = [e["InvocationCompletedDetails"]["RequestId"] for e in completed]
    assert len(set(request_ids)) == 2
    for hook in ("on_invocation_start", "on_invocation_end"):
        assert [i.request_id for i in infos(factory.log, hook)] == request_ids
