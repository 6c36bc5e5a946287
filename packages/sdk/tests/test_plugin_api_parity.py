"""The plugin API of the existing SDK 3.0: its public surface, and which hook fires when.

Published plugins (OpenTelemetry, telemetry exporter, insight) are written against it, so
names, positional orders, info fields and timing are pinned here (docs/decisions.md,
"Plugin API of the existing SDK"). Three choices differ from 3.0 on purpose and are pinned
as this project's: the enums are the service model's own, ``sub_type`` is an
``OperationSubType`` member, and ``operations`` maps are lazy point-in-time views.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime
import enum
import json
import logging
import re
import typing
from collections.abc import Callable
from typing import Any

import pytest
from plugin_recording import (
    EXECUTION_ARN,
    NO_RETRY,
    Log,
    Recording,
    RecordingFactory,
    first_event,
    infos,
    once_then_ok,
    run_with,
    sequence,
)

from aws_durable_execution_sdk_python import (
    DurableContext,
    StepContext,
    durable_execution,
    lambda_service,
)
from aws_durable_execution_sdk_python import plugin as plugin_module
from aws_durable_execution_sdk_python.config import (
    ChildConfig,
    MapConfig,
    NestingType,
)
from aws_durable_execution_sdk_python.context import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.lambda_service import (
    DurableExecutionInvocationOutput,
    ErrorObject,
    OperationSubType,
)
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    DurableInstrumentationPluginFactory,
    InvocationEndInfo,
    InvocationInfo,
    InvocationStartInfo,
    InvocationStatus,
    OperationChangeInfo,
    OperationEndInfo,
    OperationInfo,
    OperationStartInfo,
    OperationStatus,
    OperationType,
    PropagationInput,
    PropagationMetadata,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner

NOW = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
ERROR = ErrorObject("boom", "ValueError", None, None)

# -- the public surface ----------------------------------------------------------------------

EXISTING_NAMES = [
    "DurableInstrumentationPlugin",
    "DurableInstrumentationPluginFactory",
    "InvocationInfo",
    "InvocationStartInfo",
    "InvocationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "OperationEndInfo",
    "UserFunctionStartInfo",
    "UserFunctionEndInfo",
    "OperationChangeInfo",
    "PropagationInput",
    "PropagationMetadata",
    "InvocationStatus",
    "OperationType",
    "OperationStatus",
    "UserFunctionOutcome",
]


@pytest.mark.parametrize("name", EXISTING_NAMES)
def test_the_plugin_module_exports(name: str) -> None:
    assert name in plugin_module.__all__
    assert getattr(plugin_module, name) is not None


ENUMS = [
    pytest.param(InvocationStatus, ["SUCCEEDED", "FAILED", "PENDING", "RETRY"], id="Invocation"),
    pytest.param(
        OperationType,
        ["EXECUTION", "CONTEXT", "STEP", "WAIT", "CALLBACK", "CHAINED_INVOKE"],
        id="OperationType",
    ),
    pytest.param(
        OperationStatus,
        [
            "STARTED",
            "PENDING",
            "READY",
            "SUCCEEDED",
            "FAILED",
            "CANCELLED",
            "TIMED_OUT",
            "STOPPED",
        ],
        id="OperationStatus",
    ),
    pytest.param(UserFunctionOutcome, ["SUCCEEDED", "FAILED", "INCOMPLETE"], id="Outcome"),
]


@pytest.mark.parametrize(("enum_type", "members"), ENUMS)
def test_enum_members_are_named_by_their_values(enum_type: Any, members: list[str]) -> None:
    assert issubclass(enum_type, enum.Enum)
    assert [m.name for m in enum_type] == members
    assert all(m.value == m.name for m in enum_type)


@pytest.mark.parametrize("name", ["InvocationStatus", "OperationType", "OperationStatus"])
def test_the_enums_are_the_service_models_own(name: str) -> None:
    """A deliberate difference: 3.0 defines its own InvocationStatus and OperationType in the
    plugin module; here one enum serves both, so a plugin cannot compare the wrong one."""
    assert getattr(plugin_module, name) is getattr(lambda_service, name)


def test_terminal_operation_statuses() -> None:
    terminal = {s for s in OperationStatus if s.is_terminal}
    assert terminal == {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.TIMED_OUT,
        OperationStatus.CANCELLED,
        OperationStatus.STOPPED,
    }


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (None, UserFunctionOutcome.SUCCEEDED),
        (ValueError("x"), UserFunctionOutcome.FAILED),
        (ERROR, UserFunctionOutcome.FAILED),
    ],
)
def test_outcome_from_error(error: Any, outcome: UserFunctionOutcome) -> None:
    assert UserFunctionOutcome.from_error(error) is outcome


def test_the_factory_is_a_protocol_that_is_not_runtime_checkable() -> None:
    assert typing.Protocol in DurableInstrumentationPluginFactory.__mro__
    assert "create_plugin" in dir(DurableInstrumentationPluginFactory)
    with pytest.raises(TypeError):
        isinstance(object(), DurableInstrumentationPluginFactory)  # type: ignore[misc]


def test_the_plugin_base_class_has_no_op_hooks() -> None:
    base = DurableInstrumentationPlugin()
    for hook in (
        "on_invocation_start",
        "on_invocation_end",
        "on_operation_start",
        "on_operation_end",
        "on_operation_change",
        "on_user_function_start",
        "on_user_function_end",
    ):
        assert getattr(base, hook)(object()) is None
    assert base.provide_propagation_metadata(object()) is None


def test_propagation_types_fields_and_defaults() -> None:
    request = PropagationInput("arn", "op", "target")
    assert (request.execution_arn, request.operation_id, request.target_function_name) == (
        "arn",
        "op",
        "target",
    )
    assert request.parent_operation_id is None
    assert PropagationInput("arn", "op", "target", "parent").parent_operation_id == "parent"
    assert PropagationMetadata().x_amzn_trace_id is None
    assert PropagationMetadata("Root=1-abc").x_amzn_trace_id == "Root=1-abc"
    with pytest.raises(AttributeError):
        request.operation_id = "other"  # type: ignore[misc]
    assert PropagationMetadata("a") == PropagationMetadata("a")


def _operation_fields() -> tuple[Any, ...]:
    return ("op-1", OperationType.STEP, OperationSubType.STEP, "s", None, NOW, False)


POSITIONAL = [
    pytest.param(
        lambda: InvocationInfo("req", "arn", True, NOW),
        {
            "request_id": "req",
            "execution_arn": "arn",
            "is_first_invocation": True,
            "execution_start_time": NOW,
        },
        id="InvocationInfo",
    ),
    pytest.param(
        lambda: InvocationStartInfo("req", "arn", False, NOW),
        {"request_id": "req", "is_first_invocation": False, "execution_start_time": NOW},
        id="InvocationStartInfo",
    ),
    pytest.param(
        lambda: InvocationEndInfo("req", "arn", True, NOW, ERROR, status=InvocationStatus.FAILED),
        {"execution_start_time": NOW, "error": ERROR, "status": InvocationStatus.FAILED},
        id="InvocationEndInfo: error after the start time",
    ),
    pytest.param(
        lambda: OperationInfo(*_operation_fields(), OperationStatus.STARTED),
        {
            "operation_id": "op-1",
            "operation_type": OperationType.STEP,
            "sub_type": OperationSubType.STEP,
            "name": "s",
            "parent_id": None,
            "start_time": NOW,
            "is_replayed": False,
            "status": OperationStatus.STARTED,
            "end_time": None,
            "result": None,
            "error": None,
            "attempt": None,
        },
        id="OperationInfo",
    ),
    pytest.param(
        lambda: OperationStartInfo(*_operation_fields(), OperationStatus.STARTED),
        {"status": OperationStatus.STARTED},
        id="OperationStartInfo",
    ),
    pytest.param(
        lambda: OperationEndInfo(
            *_operation_fields(), OperationStatus.FAILED, end_time=NOW, error=ERROR, attempt=2
        ),
        {"status": OperationStatus.FAILED, "end_time": NOW, "error": ERROR, "attempt": 2},
        id="OperationEndInfo",
    ),
    pytest.param(
        lambda: UserFunctionStartInfo(*_operation_fields(), OperationStatus.STARTED, True),
        {"status": OperationStatus.STARTED, "is_replay_children": True},
        id="UserFunctionStartInfo",
    ),
    pytest.param(
        lambda: UserFunctionEndInfo(
            *_operation_fields(), OperationStatus.STARTED, False, UserFunctionOutcome.INCOMPLETE
        ),
        {"is_replay_children": False, "outcome": UserFunctionOutcome.INCOMPLETE},
        id="UserFunctionEndInfo",
    ),
    pytest.param(
        lambda: OperationChangeInfo("arn", {}, {}),
        {"execution_arn": "arn", "updated_operations": {}, "operations": {}},
        id="OperationChangeInfo",
    ),
]


@pytest.mark.parametrize(("make", "fields"), POSITIONAL)
def test_infos_take_the_existing_positional_order(
    make: Callable[[], Any], fields: dict[str, Any]
) -> None:
    info = make()
    assert {name: getattr(info, name) for name in fields} == fields


def test_user_function_start_defaults_to_not_replaying_children() -> None:
    info = UserFunctionStartInfo(*_operation_fields(), OperationStatus.STARTED)
    assert info.is_replay_children is False
    assert not isinstance(
        UserFunctionEndInfo(
            *_operation_fields(), OperationStatus.STARTED, False, UserFunctionOutcome.SUCCEEDED
        ),
        UserFunctionStartInfo,
    )


def test_invocation_end_requires_a_status() -> None:
    with pytest.raises(TypeError):
        InvocationEndInfo("req", "arn", True)  # type: ignore[call-arg]


def _op(op_id: str = "x") -> OperationInfo:
    return OperationInfo(op_id, OperationType.STEP, None, None, None, None, False, NOW_STATUS)


NOW_STATUS = OperationStatus.SUCCEEDED

LEFT_OUT = [
    pytest.param(
        lambda **kw: InvocationInfo("req", "arn", True, NOW, **kw),
        {"execution_input": {"a": 1}, "operations": {"x": _op()}},
        id="InvocationInfo",
    ),
    pytest.param(
        lambda **kw: InvocationStartInfo("req", "arn", True, NOW, **kw),
        {"execution_input": [1], "operations": {"x": _op()}, "updated_operations": {"x": _op()}},
        id="InvocationStartInfo",
    ),
    pytest.param(
        lambda **kw: InvocationEndInfo(
            "req", "arn", True, NOW, status=InvocationStatus.PENDING, **kw
        ),
        {"execution_input": "in", "operations": {"x": _op()}, "execution_result": '"ok"'},
        id="InvocationEndInfo",
    ),
]


@pytest.mark.parametrize(("make", "bulky"), LEFT_OUT)
def test_repr_and_equality_leave_out_inputs_results_and_operation_maps(
    make: Callable[..., Any], bulky: dict[str, Any]
) -> None:
    plain, full = make(), make(**bulky)
    assert plain == full
    assert repr(plain) == repr(full)
    for name, value in bulky.items():
        assert getattr(full, name) == value
        assert name not in repr(full)


def test_user_function_end_from_its_start() -> None:
    start = UserFunctionStartInfo(
        "op-1",
        OperationType.CONTEXT,
        OperationSubType.RUN_IN_CHILD_CONTEXT,
        "child",
        "parent",
        NOW,
        False,
        OperationStatus.STARTED,
        True,
        attempt=1,
    )
    before = datetime.datetime.now(datetime.UTC)
    failed = UserFunctionEndInfo.from_start_info(start, ERROR)
    succeeded = UserFunctionEndInfo.from_start_info(start, None)
    cut = UserFunctionEndInfo.from_start_info(start, None, outcome=UserFunctionOutcome.INCOMPLETE)
    after = datetime.datetime.now(datetime.UTC)
    for end in (failed, succeeded, cut):
        assert isinstance(end, UserFunctionEndInfo)
        assert (end.operation_id, end.operation_type, end.sub_type, end.name) == (
            "op-1",
            OperationType.CONTEXT,
            OperationSubType.RUN_IN_CHILD_CONTEXT,
            "child",
        )
        assert (end.parent_id, end.start_time, end.is_replayed, end.status) == (
            "parent",
            NOW,
            False,
            OperationStatus.STARTED,
        )
        assert (end.is_replay_children, end.attempt) == (True, 1)
        assert end.end_time is not None
        assert before <= end.end_time <= after
    assert (failed.outcome, failed.error) == (UserFunctionOutcome.FAILED, ERROR)
    assert (succeeded.outcome, succeeded.error) == (UserFunctionOutcome.SUCCEEDED, None)
    assert (cut.outcome, cut.error) == (UserFunctionOutcome.INCOMPLETE, None)


def test_invocation_end_from_the_invocation_output() -> None:
    start = InvocationStartInfo(
        "req", "arn", False, NOW, execution_input={"x": 1}, operations={"x": _op()}
    )
    output = DurableExecutionInvocationOutput(InvocationStatus.SUCCEEDED, '"ok"')
    end = InvocationEndInfo.from_durable_execution_invocation_output(start, output)
    assert (end.request_id, end.execution_arn, end.is_first_invocation) == ("req", "arn", False)
    assert (end.execution_start_time, end.error) == (NOW, None)
    assert (end.status, end.execution_result) == (InvocationStatus.SUCCEEDED, '"ok"')
    assert end.execution_input == {"x": 1}
    assert list(end.operations) == ["x"]
    failed = DurableExecutionInvocationOutput(InvocationStatus.FAILED, None, ERROR)
    later = {"y": _op("y")}
    end = InvocationEndInfo.from_durable_execution_invocation_output(start, failed, later)
    assert (end.status, end.error, end.execution_result) == (InvocationStatus.FAILED, ERROR, None)
    assert end.operations == later


# -- factories -------------------------------------------------------------------------------


def _wait_then_step(event: Any, context: DurableContext) -> int:
    context.wait(5, name="pause")
    return context.step(lambda s: 1, name="after")


def test_each_invocation_gets_a_new_plugin_made_from_its_very_start_info() -> None:
    factory = RecordingFactory()
    result, _ = run_with(factory, _wait_then_step)

    assert result.status.value == "SUCCEEDED"
    first, second = factory.invocations()
    for calls in (first, second):
        [(_, made_from)] = [c for c in calls if c[0] == "create_plugin"]
        [started] = infos(calls, "on_invocation_start")
        assert started is made_from
        assert calls[1] == ("on_invocation_start", made_from)  # before any other hook
    assert len(factory.made) == 2
    assert factory.made[0] is not factory.made[1]


class Broken:
    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    def create_plugin(self, info: InvocationStartInfo) -> Any:
        if self.behaviour == "raise":
            raise RuntimeError("no exporter configured")
        if self.behaviour == "cancelled":
            raise asyncio.CancelledError
        if self.behaviour == "none":
            return None
        return object()


FACTORY_FAILURES = [
    pytest.param("raise", r"Plugin factory .*Broken.* exception ignored", id="raises"),
    pytest.param("cancelled", r"Plugin factory .*Broken.* exception ignored", id="cancelled"),
    pytest.param("none", r"Plugin factory .*Broken.* returned None; plugin ignored", id="None"),
    pytest.param(
        "object",
        r"Plugin factory .*Broken.* returned object, which is not a "
        r"DurableInstrumentationPlugin; plugin ignored",
        id="not a plugin",
    ),
]


@pytest.mark.parametrize(("behaviour", "message"), FACTORY_FAILURES)
def test_a_failing_factory_is_logged_and_the_others_still_run(
    behaviour: str, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    recording = RecordingFactory()
    handler = durable_execution(plugins=[Broken(behaviour), recording])(_wait_then_step)
    caplog.set_level(logging.ERROR, "aws_durable_execution_sdk_python.plugin")
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status.value == "SUCCEEDED"
    assert len(recording.invocations()) == 2
    assert infos(recording.log, "on_operation_end")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2  # once per invocation: each invocation calls the factory
    for record in errors:
        assert record.name == "aws_durable_execution_sdk_python.plugin"
        assert re.search(message, record.getMessage())


# -- invocation infos ------------------------------------------------------------------------


def test_each_invocation_gets_its_own_decoded_copy_of_the_input() -> None:
    class Mutating(Recording):
        def on_invocation_start(self, info: Any) -> None:
            super().on_invocation_start(info)
            info.execution_input["nested"]["seen"].append("mutated")

    class Factory(RecordingFactory):
        def create_plugin(self, info: InvocationStartInfo) -> Recording:
            self.log.append(("create_plugin", info))
            return Mutating(self.log)

    events: list[Any] = []

    def body(event: Any, context: DurableContext) -> int:
        events.append(event)
        context.wait(5, name="pause")
        return 1

    factory = Factory()
    result, _ = run_with(factory, body, input={"x": 1, "nested": {"seen": []}})

    assert result.status.value == "SUCCEEDED"
    first, second = factory.invocations()
    for calls in (first, second):
        [start] = infos(calls, "on_invocation_start")
        [end] = infos(calls, "on_invocation_end")
        assert start.execution_input == {"x": 1, "nested": {"seen": ["mutated"]}}
        assert end.execution_input == start.execution_input
    assert infos(first, "on_invocation_start")[0].execution_input is not (
        infos(second, "on_invocation_start")[0].execution_input
    )
    assert events == [{"x": 1, "nested": {"seen": []}}] * 2  # the handler's own copy


def _returns(value: Any) -> Callable[[Any, DurableContext], Any]:
    def body(event: Any, context: DurableContext) -> Any:
        context.step(lambda s: 1, name="one")
        return value

    return body


@pytest.mark.parametrize(
    ("value", "result"),
    [({"ok": True, "n": [1, 2]}, '{"ok": true, "n": [1, 2]}'), ("ok", '"ok"'), (None, "null")],
)
def test_the_end_info_carries_the_json_of_the_return_value(value: Any, result: str) -> None:
    factory = RecordingFactory()
    run_with(factory, _returns(value))
    [end] = infos(factory.log, "on_invocation_end")
    assert end.status is InvocationStatus.SUCCEEDED
    assert end.error is None
    assert end.execution_result is not None
    assert json.loads(end.execution_result) == value


def test_a_result_too_large_for_the_response_is_an_empty_execution_result() -> None:
    """Over Lambda's 6 MiB response limit the result goes through a checkpoint instead."""
    big = "x" * (6 * 1024 * 1024)
    factory = RecordingFactory()
    result, _ = run_with(factory, _returns(big))
    assert result.status.value == "SUCCEEDED"
    assert result.result == big
    [end] = infos(factory.log, "on_invocation_end")
    assert (end.status, end.execution_result) == (InvocationStatus.SUCCEEDED, "")


def _fails(event: Any, context: DurableContext) -> None:
    context.step(lambda s: 1, name="one")
    raise ValueError("declined")


def _suspends(event: Any, context: DurableContext) -> None:
    context.wait(5, name="pause")


ENDINGS = [
    pytest.param(_returns(2), [(InvocationStatus.SUCCEEDED, None)], id="returned"),
    pytest.param(_fails, [(InvocationStatus.FAILED, "ValueError")], id="raised"),
    pytest.param(
        _suspends,
        [(InvocationStatus.PENDING, None), (InvocationStatus.SUCCEEDED, None)],
        id="suspended",
    ),
]


@pytest.mark.parametrize(("body", "ends"), ENDINGS)
def test_the_invocation_end_status_and_error(body: Any, ends: list[Any]) -> None:
    factory = RecordingFactory()
    run_with(factory, body)
    got = [
        (info.status, info.error and info.error.type)
        for info in infos(factory.log, "on_invocation_end")
    ]
    assert got == ends
    for info in infos(factory.log, "on_invocation_end"):
        if info.status is not InvocationStatus.SUCCEEDED:
            assert info.execution_result is None


def test_an_invocation_that_raises_ends_with_retry_and_its_error() -> None:
    """A hook raising ``SystemExit`` stops the invocation on purpose; Lambda invokes again."""

    class Stopping(Recording):
        stopped = False

        def on_operation_start(self, info: Any) -> None:
            super().on_operation_start(info)
            if not Stopping.stopped:
                Stopping.stopped = True
                raise SystemExit(3)

    class Factory(RecordingFactory):
        def create_plugin(self, info: InvocationStartInfo) -> Recording:
            self.log.append(("create_plugin", info))
            return Stopping(self.log)

    factory = Factory()
    result, _ = run_with(factory, _returns(1))

    assert result.status.value == "SUCCEEDED"  # the runner invokes again
    first, second = factory.invocations()
    [end] = infos(first, "on_invocation_end")
    assert end.status is InvocationStatus.RETRY
    assert end.error is not None
    assert end.error.type == "SystemExit"
    assert infos(second, "on_invocation_end")[0].status is InvocationStatus.SUCCEEDED


# -- operation and user-function timing: the worked examples ---------------------------------


def test_a_step_that_fails_once_then_succeeds() -> None:
    """The spec's worked example: retry once after 2 s, default at-least-once semantics."""
    attempts: list[int] = []

    def flaky(step_context: StepContext) -> str:
        attempts.append(step_context.attempt)
        if len(attempts) == 1:
            raise ValueError("first try fails")
        return "ok"

    def body(event: Any, context: DurableContext) -> str:
        return context.step(flaky, name="s", config=once_then_ok())

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    first, second = factory.invocations()

    assert sequence(first) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "s"),
        ("on_user_function_start", "s"),
        ("on_user_function_end", "s"),
        "on_invocation_end",
    ]
    begin = infos(first, "on_invocation_start")[0]
    assert (begin.is_first_invocation, dict(begin.updated_operations)) == (True, {})
    assert [info.operation_type for info in begin.operations.values()] == [OperationType.EXECUTION]
    assert begin.execution_input == {"x": 1}
    [start] = infos(first, "on_operation_start")
    assert (start.operation_type, start.sub_type, start.status) == (
        OperationType.STEP,
        OperationSubType.STEP,
        OperationStatus.STARTED,
    )
    # A deliberate difference: the sub-type is the model's member, a str with a .value.
    assert (start.sub_type, start.sub_type.value) == ("Step", "Step")
    assert (start.is_replayed, start.start_time, start.attempt) == (False, None, None)
    [user_start] = infos(first, "on_user_function_start")
    assert (user_start.status, user_start.attempt, user_start.is_replayed) == (
        OperationStatus.STARTED,
        1,
        False,
    )
    assert user_start.start_time is not None
    [user_end] = infos(first, "on_user_function_end")
    assert (user_end.outcome, user_end.error.type, user_end.attempt) == (
        UserFunctionOutcome.FAILED,
        "ValueError",
        1,
    )
    [change] = infos(first, "on_operation_change")
    assert {i.name: i.status for i in change.updated_operations.values()} == {
        "s": OperationStatus.PENDING
    }
    [end] = infos(first, "on_invocation_end")
    assert (end.status, end.error, end.execution_result) == (InvocationStatus.PENDING, None, None)
    [step_now] = [i for i in end.operations.values() if i.name == "s"]
    assert (step_now.status, step_now.attempt) == (OperationStatus.PENDING, 1)

    assert sequence(second) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "s"),  # the retry's re-START, not a replay report of READY
        ("on_user_function_start", "s"),
        ("on_user_function_end", "s"),
        ("on_operation_end", "s"),
        "on_invocation_end",
    ]
    begin = infos(second, "on_invocation_start")[0]
    assert begin.is_first_invocation is False
    assert [(i.name, i.status, i.attempt) for i in begin.updated_operations.values()] == [
        ("s", OperationStatus.READY, 1)
    ]
    [start] = infos(second, "on_operation_start")
    assert (start.status, start.is_replayed, start.start_time, start.attempt) == (
        OperationStatus.STARTED,
        True,
        None,
        None,
    )
    [user_start] = infos(second, "on_user_function_start")
    [user_end] = infos(second, "on_user_function_end")
    assert (user_start.attempt, user_end.outcome, user_end.error) == (
        2,
        UserFunctionOutcome.SUCCEEDED,
        None,
    )
    [end_op] = infos(second, "on_operation_end")
    assert (end_op.status, end_op.attempt, end_op.result) == (
        OperationStatus.SUCCEEDED,
        2,
        '"ok"',
    )
    assert end_op.start_time is not None
    assert end_op.end_time is not None
    assert {
        i.name: i.status
        for c in infos(second, "on_operation_change")
        for i in c.updated_operations.values()
    }["s"] is OperationStatus.SUCCEEDED
    [end] = infos(second, "on_invocation_end")
    assert (end.status, end.execution_result) == (InvocationStatus.SUCCEEDED, '"ok"')


def test_a_child_context_that_suspends_inside() -> None:
    """The spec's second worked example: a child context waits 3 s, then runs a step."""

    def child(context: DurableContext) -> int:
        context.wait(3, name="w")
        return context.step(lambda s: 2, name="s")

    def body(event: Any, context: DurableContext) -> int:
        return context.run_in_child_context(child, name="ctx")

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    first, second = factory.invocations()

    assert sequence(first) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "ctx"),
        ("on_user_function_start", "ctx"),
        ("on_operation_start", "w"),
        ("on_user_function_end", "ctx"),
        "on_invocation_end",
    ]
    [ctx_start, wait_start] = infos(first, "on_operation_start")
    assert (ctx_start.is_replayed, ctx_start.status) == (False, OperationStatus.STARTED)
    assert (wait_start.operation_type, wait_start.parent_id) == (
        OperationType.WAIT,
        ctx_start.operation_id,
    )
    [user_start] = infos(first, "on_user_function_start")
    assert user_start.attempt == 1  # a new context
    [user_end] = infos(first, "on_user_function_end")
    assert (user_end.outcome, user_end.error) == (UserFunctionOutcome.INCOMPLETE, None)
    assert infos(first, "on_invocation_end")[0].status is InvocationStatus.PENDING

    assert sequence(second) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "ctx"),
        ("on_user_function_start", "ctx"),
        ("on_operation_end", "w"),
        ("on_operation_start", "s"),
        ("on_user_function_start", "s"),
        ("on_user_function_end", "s"),
        ("on_operation_end", "s"),
        ("on_user_function_end", "ctx"),
        ("on_operation_end", "ctx"),
        "on_invocation_end",
    ]
    [ctx_again, _step] = infos(second, "on_operation_start")
    assert (ctx_again.is_replayed, ctx_again.status) == (True, OperationStatus.STARTED)
    assert ctx_again.start_time is not None
    assert ctx_again.attempt is None
    assert infos(second, "on_user_function_start")[0].attempt is None  # resumed
    [wait_end, _s, ctx_end] = infos(second, "on_operation_end")
    assert (wait_end.status, wait_end.result, wait_end.is_replayed) == (
        OperationStatus.SUCCEEDED,
        None,
        False,
    )
    assert (ctx_end.status, ctx_end.result) == (OperationStatus.SUCCEEDED, "2")
    assert infos(second, "on_user_function_end")[-1].outcome is UserFunctionOutcome.SUCCEEDED


def test_an_in_flight_operation_is_reported_once_in_each_invocation_that_replays_it() -> None:
    def child(context: DurableContext) -> int:
        context.wait(3, name="w1")
        context.wait(3, name="w2")
        return 1

    def body(event: Any, context: DurableContext) -> int:
        return context.run_in_child_context(child, name="ctx")

    factory = RecordingFactory()
    run_with(factory, body)
    starts = [
        [(i.name, i.is_replayed) for i in infos(calls, "on_operation_start")]
        for calls in factory.invocations()
    ]
    assert starts == [
        [("ctx", False), ("w1", False)],
        [("ctx", True), ("w2", False)],
        [("ctx", True)],
    ]


def test_replay_reports_no_terminal_operation_that_was_not_updated() -> None:
    def body(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="done before")
        context.wait(3, name="w")
        return 1

    factory = RecordingFactory()
    run_with(factory, body)
    _first, second = factory.invocations()
    assert sequence(second) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_end", "w"),  # updated since the last invocation
        "on_invocation_end",
    ]


def test_a_failed_step_ends_with_its_error() -> None:
    def body(event: Any, context: DurableContext) -> int:
        return context.step(lambda s: int("x"), name="bad", config=NO_RETRY)

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "FAILED"
    [user_end] = infos(factory.log, "on_user_function_end")
    assert (user_end.outcome, user_end.error.type) == (UserFunctionOutcome.FAILED, "ValueError")
    [end] = infos(factory.log, "on_operation_end")
    assert end.status is OperationStatus.FAILED
    assert end.error is not None
    assert "invalid literal" in end.error.message
    [invocation] = infos(factory.log, "on_invocation_end")
    assert invocation.status is InvocationStatus.FAILED
    assert invocation.error is not None


def test_a_virtual_child_context_reports_only_its_user_function_and_end() -> None:
    def child(context: DurableContext) -> int:
        return context.step(lambda s: 1, name="inner")

    def body(event: Any, context: DurableContext) -> int:
        return context.run_in_child_context(
            child, name="virtual", config=ChildConfig(is_virtual=True)
        )

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    assert sequence(factory.log) == [
        "create_plugin",
        "on_invocation_start",
        ("on_user_function_start", "virtual"),
        ("on_operation_start", "inner"),
        ("on_user_function_start", "inner"),
        ("on_user_function_end", "inner"),
        ("on_operation_end", "inner"),
        ("on_user_function_end", "virtual"),
        ("on_operation_end", "virtual"),
        "on_invocation_end",
    ]
    assert infos(factory.log, "on_user_function_start")[0].attempt == 1
    end = infos(factory.log, "on_operation_end")[-1]
    assert (end.operation_type, end.status, end.start_time, end.result, end.attempt) == (
        OperationType.CONTEXT,
        OperationStatus.SUCCEEDED,
        None,
        None,
        None,
    )
    assert end.end_time is not None
    assert end.is_replayed is False
    inner = infos(factory.log, "on_operation_start")[0]
    assert inner.parent_id is None  # the virtual context has no checkpoint to point to


def test_wait_for_condition_reports_its_poll_as_the_attempt() -> None:
    def check(state: int, check_context: WaitForConditionCheckContext) -> int:
        return state + 1

    def strategy(state: int, attempt: int) -> WaitForConditionDecision:
        if state >= 3:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(5)

    def body(event: Any, context: DurableContext) -> int:
        config = WaitForConditionConfig(wait_strategy=strategy, initial_state=0)
        return context.wait_for_condition(check, config, name="poll")

    factory = RecordingFactory()
    result, _ = run_with(factory, body)
    assert result.status.value == "SUCCEEDED"
    user_starts = infos(factory.log, "on_user_function_start")
    assert [(i.operation_type, i.attempt) for i in user_starts] == [
        (OperationType.STEP, 1),
        (OperationType.STEP, 2),
        (OperationType.STEP, 3),
    ]
    starts = infos(factory.log, "on_operation_start")
    assert [(i.sub_type, i.is_replayed) for i in starts] == [
        (OperationSubType.WAIT_FOR_CONDITION, False),
        (OperationSubType.WAIT_FOR_CONDITION, True),
        (OperationSubType.WAIT_FOR_CONDITION, True),
    ]
    [end] = infos(factory.log, "on_operation_end")
    assert (end.status, end.attempt) == (OperationStatus.SUCCEEDED, 3)


@pytest.mark.parametrize(
    "details", [{}, {"InputPayload": ""}, {"InputPayload": "  "}], ids=["absent", "empty", "blank"]
)
def test_a_missing_input_is_an_empty_object_as_the_handler_sees_it(
    details: dict[str, Any],
) -> None:
    factory = RecordingFactory()
    events: list[Any] = []

    def body(event: Any, context: DurableContext) -> int:
        events.append(event)
        return 1

    # The handler checkpoints nothing, so the client is never called.
    handler = durable_execution(plugins=[factory], boto3_client=object())(body)
    assert handler(first_event(details), None) == {"Status": "SUCCEEDED", "Result": "1"}
    [start] = infos(factory.log, "on_invocation_start")
    [end] = infos(factory.log, "on_invocation_end")
    assert events == [{}]
    assert start.execution_input == {}
    assert end.execution_input == {}
    assert (start.execution_arn, start.execution_start_time) == (EXECUTION_ARN, NOW)
    assert (start.request_id, start.is_first_invocation) == (None, True)


# -- propagation metadata into chained invokes ----------------------------------------------

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


@durable_execution
def _target(event: Any, context: DurableContext) -> Any:
    context.wait(3, name="think")
    return {"echo": event}


def _invokes(event: Any, context: DurableContext) -> Any:
    def child(inner: DurableContext) -> Any:
        return inner.invoke("target", {"n": 1}, name="call")

    return context.run_in_child_context(child, name="ctx")


def run_invoking(
    plugins: list[Any], body: Callable[[Any, DurableContext], Any] = _invokes
) -> tuple[Any, str | None]:
    """Run ``body`` with ``plugins``; the trace header the invoked execution started with."""
    handler = durable_execution(plugins=plugins)(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        runner.register_durable_function("target", _target)
        result = runner.run(input={}, timeout=10)
        [started] = [e for e in result.history if e["EventType"] == "ChainedInvokeStarted"]
        target = runner.get_execution(started["ChainedInvokeStartedDetails"]["DurableExecutionArn"])
    header = target.get("TraceHeader", {}).get("XAmznTraceId")
    return result, header


def test_propagation_is_asked_once_before_the_invoke_starts_and_reaches_the_target() -> None:
    factory = RecordingFactory(trace=PropagationMetadata(TRACE))
    result, header = run_invoking([factory])

    assert result.status.value == "SUCCEEDED"
    assert result.result == {"echo": {"n": 1}}
    assert header == TRACE
    first, *later = factory.invocations()
    assert sequence(first) == [
        "create_plugin",
        "on_invocation_start",
        ("on_operation_start", "ctx"),
        ("on_user_function_start", "ctx"),
        "provide_propagation_metadata",
        ("on_operation_start", "call"),
        ("on_user_function_end", "ctx"),
        "on_invocation_end",
    ]
    [request] = infos(first, "provide_propagation_metadata")
    [ctx, call] = infos(first, "on_operation_start")
    assert request == PropagationInput(
        result.execution_arn, call.operation_id, "target", ctx.operation_id
    )
    assert (call.operation_type, call.sub_type) == (
        OperationType.CHAINED_INVOKE,
        OperationSubType.CHAINED_INVOKE,
    )
    for calls in later:  # the invoke replays: never asked again
        assert infos(calls, "provide_propagation_metadata") == []
    [call_end] = [i for i in infos(factory.log, "on_operation_end") if i.name == "call"]
    assert (call_end.status, call_end.result) == (OperationStatus.SUCCEEDED, '{"echo": {"n": 1}}')


def _raising_trace() -> Any:
    raise RuntimeError("no active span")


async def _coroutine_trace() -> PropagationMetadata:
    return PropagationMetadata(TRACE)


INVALID = [
    pytest.param(lambda: TRACE, id="a str, not a PropagationMetadata"),
    pytest.param(lambda: {"x_amzn_trace_id": TRACE}, id="a dict"),
    pytest.param(lambda: PropagationMetadata(42), id="a non-str trace id"),  # type: ignore[arg-type]
    pytest.param(_coroutine_trace, id="a coroutine"),
    pytest.param(_raising_trace, id="raises"),
]


@pytest.mark.parametrize("answer", INVALID)
def test_an_invalid_propagation_answer_is_logged_and_skipped(
    answer: Callable[[], Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "aws_durable_execution_sdk_python.plugin")
    bad, good = RecordingFactory(trace=answer), RecordingFactory(trace=PropagationMetadata("B"))
    result, header = run_invoking([bad, good])

    assert result.status.value == "SUCCEEDED"
    assert header == "B"
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in errors] == [logging.ERROR]
    assert "provide_propagation_metadata" in errors[0].getMessage()


NO_VALUE = [
    pytest.param([None], id="None"),
    pytest.param([PropagationMetadata()], id="no trace id"),
    pytest.param([PropagationMetadata("   ")], id="a blank trace id"),
]


@pytest.mark.parametrize("answers", NO_VALUE)
def test_without_a_value_the_invoke_carries_no_trace_header(answers: list[Any]) -> None:
    result, header = run_invoking([RecordingFactory(trace=a) for a in answers])
    assert result.status.value == "SUCCEEDED"
    assert header is None


def test_the_first_non_blank_value_wins_and_a_different_later_one_is_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, "aws_durable_execution_sdk_python.plugin")
    answers = [None, PropagationMetadata(" "), PropagationMetadata("A"), PropagationMetadata("A")]
    answers.append(PropagationMetadata("B"))
    result, header = run_invoking([RecordingFactory(trace=a) for a in answers])

    assert result.status.value == "SUCCEEDED"
    assert header == "A"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in warnings] == [logging.WARNING]  # "A" again is no conflict


def test_the_trace_header_is_sent_in_the_invokes_start_update() -> None:
    """On the wire: ``ChainedInvokeOptions.XAmznTraceId`` of the START update, omitted when
    there is none."""
    from aws_durable_execution_sdk_python.lambda_service import ChainedInvokeOptions

    assert ChainedInvokeOptions("target", x_amzn_trace_id=TRACE).to_dict() == {
        "FunctionName": "target",
        "XAmznTraceId": TRACE,
    }
    assert "XAmznTraceId" not in ChainedInvokeOptions("target").to_dict()


# -- the invocation's context ----------------------------------------------------------------

SPAN: contextvars.ContextVar[str] = contextvars.ContextVar("span", default="none")


class Binding(DurableInstrumentationPlugin):
    def on_invocation_start(self, info: Any) -> None:
        SPAN.set("invocation span")


class BindingFactory:
    def create_plugin(self, info: InvocationStartInfo) -> Binding:
        return Binding()


@pytest.mark.parametrize("plugin", [BindingFactory(), Binding()], ids=["factory", "instance"])
def test_what_the_start_hook_binds_is_seen_by_the_handler_and_its_branches_only(
    plugin: Any,
) -> None:
    seen: list[tuple[str, str]] = []

    def branch(context: DurableContext, item: int, index: int, items: Any) -> str:
        return SPAN.get()

    def body(event: Any, context: DurableContext) -> list[str]:
        seen.append(("handler", SPAN.get()))
        inner = context.run_in_child_context(lambda child: SPAN.get(), name="child")
        return [inner, *context.map([1, 2, 3], branch, name="fan out").get_results()]

    handler = durable_execution(plugins=[plugin])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status.value == "SUCCEEDED"
    assert seen == [("handler", "invocation span")]
    assert result.result == ["invocation span"] * 4
    assert SPAN.get() == "none"


# -- containment -----------------------------------------------------------------------------


class Raising(Recording):
    def __init__(self, log: Log, error: BaseException) -> None:
        super().__init__(log)
        self.error = error

    def on_operation_start(self, info: Any) -> None:
        raise self.error


class RaisingFactory(RecordingFactory):
    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error

    def create_plugin(self, info: InvocationStartInfo) -> Recording:
        self.log.append(("create_plugin", info))
        return Raising(self.log, self.error)


@pytest.mark.parametrize(
    "error",
    [RuntimeError("bug"), asyncio.CancelledError(), BaseExceptionGroup("g", [ValueError()])],
    ids=["Exception", "CancelledError", "a BaseExceptionGroup without control exceptions"],
)
def test_a_hook_raising_any_base_exception_is_contained(
    error: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "aws_durable_execution_sdk_python.plugin")
    after = RecordingFactory()

    def body(event: Any, context: DurableContext) -> int:
        return context.step(lambda s: 1, name="one") + context.step(lambda s: 1, name="two")

    handler = durable_execution(plugins=[RaisingFactory(error), after])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status.value == "SUCCEEDED"
    assert [i.name for i in infos(after.log, "on_operation_start")] == ["one", "two"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert all(r.exc_info and r.exc_info[1] is error for r in errors)


@pytest.mark.parametrize("error", [KeyboardInterrupt, GeneratorExit])
def test_a_hook_raising_a_thread_control_exception_is_not_contained(
    error: type[BaseException],
) -> None:
    def body(event: Any, context: DurableContext) -> int:
        return context.step(lambda s: 1, name="one")

    handler = durable_execution(plugins=[RaisingFactory(error())])(body)
    with pytest.raises(error), DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        runner.run(input={}, timeout=10)


def test_a_failing_hook_is_logged_once_per_execution(caplog: pytest.LogCaptureFixture) -> None:
    """A deliberate difference: 3.0 logs every failure; here each (plugin, hook) failure is
    logged once per execution, however many operations and invocations repeat it."""
    caplog.set_level(logging.ERROR, "aws_durable_execution_sdk_python.plugin")

    def body(event: Any, context: DurableContext) -> int:
        context.step(lambda s: 1, name="one")
        context.wait(3, name="pause")
        return context.step(lambda s: 1, name="two")

    handler = durable_execution(plugins=[RaisingFactory(RuntimeError("bug"))])(body)
    with DurableFunctionTestRunner(handler, record_hooks=False) as runner:
        result = runner.run(input={}, timeout=10)

    assert result.status.value == "SUCCEEDED"
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_flat_map_items_report_their_user_functions_and_checkpointless_ends() -> None:
    def item(context: DurableContext, value: int, index: int, items: Any) -> int:
        return context.step(lambda s: value * 2, name=f"double {value}")

    def body(event: Any, context: DurableContext) -> list[int]:
        config = MapConfig(nesting_type=NestingType.FLAT)
        return context.map([1, 2], item, name="fan out", config=config).get_results()

    factory = RecordingFactory()
    result, _ = run_with(factory, body)

    assert result.status.value == "SUCCEEDED"
    assert result.result == [2, 4]
    starts = infos(factory.log, "on_operation_start")
    [outer] = [i for i in starts if i.operation_type is OperationType.CONTEXT]
    assert outer.sub_type is OperationSubType.MAP
    items = [
        i
        for i in infos(factory.log, "on_operation_end")
        if i.sub_type is OperationSubType.MAP_ITERATION
    ]
    assert len(items) == 2
    for end in items:
        assert (end.status, end.start_time, end.is_replayed) == (
            OperationStatus.SUCCEEDED,
            None,
            False,
        )
        assert end.parent_id == outer.operation_id
    steps = [i for i in starts if i.operation_type is OperationType.STEP]
    assert [i.parent_id for i in steps] == [outer.operation_id] * 2  # the items are skipped
