"""Replay a saved history against the current handler and find the first divergence.

The checkpointed operations are rebuilt from the events as the service held them at the
end of the recorded execution, and the handler is invoked once with that state through
the SDK's public service-client interface. The client is read-only: the recorded
execution holds everything the code may find, so a checkpoint of a new operation means
the code went somewhere the recorded execution did not. The SDK itself detects an
operation whose type, subtype or name changed at a recorded id
(``NonDeterministicExecutionError``); a public plugin that receives replay events lists
the operations the code reached, so that recorded operations it no longer reaches are
found too. A completed execution must end the same way: same result, or same error.
"""

from __future__ import annotations

import ast
import json
import random
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aws_durable_execution_sdk_python.exceptions import CheckpointError
from aws_durable_execution_sdk_python.execution import (
    DurableExecutionInvocationInputWithClient,
    DurableExecutionInvocationOutput,
)
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    ErrorObject,
    InitialExecutionState,
    InvocationStatus,
    Operation,
    OperationAction,
    OperationType,
    OperationUpdate,
    StateOutput,
)
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin, instrument
from aws_durable_execution_sdk_python.retries import use_random
from aws_durable_execution_sdk_python_testing._invocation import LambdaContext
from aws_durable_execution_sdk_python_testing._recorded import operations_from_history, payload_of
from aws_durable_execution_sdk_python_testing.history import (
    Divergence,
    DivergenceKind,
    ExecutionHistory,
    HistorySource,
    OperationShape,
    ReplayReport,
    load_history,
)

__all__ = ["assert_replays", "replay", "replay_history"]

_RAN = re.compile(r"(?P<type>[A-Z_]+)/(?P<sub>\w+)(?: named (?P<name>'.*')| \(unnamed\))")
_NDEE = re.compile(r"at operation (?P<id>\S+): .*this replay ran (?P<found>.+?)\. Code outside")


def _shape(op: Operation | OperationUpdate) -> OperationShape:
    return OperationShape(op.operation_id, op.operation_type, op.sub_type, op.name)


# -- the replay ------------------------------------------------------------------------------


class _Reached(DurableInstrumentationPlugin):
    """Lists every operation the code reaches, replayed or new, in order."""

    receive_replay_events = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ids: list[str] = []

    def on_operation_start(self, info: Any) -> None:
        with self._lock:
            self.ids.append(info.operation_id)


class _Guard:
    """A read-only ``DurableServiceClient`` over the recorded operations.

    The first checkpoint of anything but the execution itself ends the replay: in a
    completed execution it is a divergence; in one that was still running it is where the
    code goes on past the recorded point (unless recorded operations were skipped first).
    """

    def __init__(
        self,
        recorded: dict[str, Operation],
        reached: _Reached,
        complete: bool,
    ) -> None:
        self._recorded = recorded
        self._reached = reached
        self._complete = complete
        self._lock = threading.Lock()
        self.divergence: Divergence | None = None
        self.stopped = False
        self.execution_result: str | None = None
        self.execution_error: ErrorObject | None = None

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        with self._lock:
            for update in updates:
                if update.operation_type is OperationType.EXECUTION:
                    if update.action is OperationAction.SUCCEED:
                        self.execution_result = update.payload
                    elif update.action is OperationAction.FAIL:
                        self.execution_error = update.error
                    continue
                if not self.stopped:
                    self.stopped = True
                    self.divergence = self._judge(update)
            if self.stopped:
                raise CheckpointError(
                    "replay of a saved history: the read-only client accepts no new checkpoints",
                    error_category=CheckpointError.classify("ReplayStopped", "", 400),
                )
        return CheckpointOutput(checkpoint_token=f"{checkpoint_token}+")

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput:
        return StateOutput()  # every operation is in the invocation's first page

    def _judge(self, update: OperationUpdate) -> Divergence | None:
        recorded = self._recorded.get(update.operation_id)
        if recorded is not None:
            if not self._complete:
                return None  # the code carries on an operation still in flight
            return Divergence(
                DivergenceKind.UNEXPECTED_OPERATION,
                update.operation_id,
                f"{_shape(recorded)} to stay {recorded.status.value}",
                f"a new {update.action.value} checkpoint of it",
            )
        skipped = _first_unreached(self._recorded, set(self._reached.ids), update.parent_id)
        if skipped is None and not self._complete:
            return None  # past the recorded point of a running execution
        expected = (
            str(_shape(skipped))
            if skipped is not None
            else "no further operation (the recorded execution ended here)"
        )
        return Divergence(
            DivergenceKind.UNEXPECTED_OPERATION, update.operation_id, expected, str(_shape(update))
        )


def _first_unreached(
    recorded: Mapping[str, Operation], reached: set[str], parent_id: str | None
) -> Operation | None:
    for op in recorded.values():
        if op.parent_id == parent_id and op.operation_id not in reached:
            return op
    return None


def _missing(recorded: Mapping[str, Operation], reached: set[str]) -> Operation | None:
    """The first recorded operation the code should have reached but did not.

    Only the children of the top level and of contexts the code re-entered count: a
    finished child context replays from its checkpointed result without running its body.
    """
    entered = {None} | {recorded[i].parent_id for i in reached if i in recorded}
    for op in recorded.values():
        if op.parent_id in entered and op.operation_id not in reached:
            return op
    return None


def replay_history(
    handler: Callable[..., Any],
    history: ExecutionHistory,
    *,
    function_name: str = "test-function",
    environment: Callable[[], Any] | None = None,
) -> ReplayReport:
    """Invoke ``handler`` once against ``history``'s checkpointed state and judge it."""
    operations = operations_from_history(history)
    execution = next(op for op in operations if op.operation_type is OperationType.EXECUTION)
    recorded = {
        op.operation_id: op for op in operations if op.operation_type is not OperationType.EXECUTION
    }
    reached = _Reached()
    guard = _Guard(recorded, reached, history.is_complete)
    arn = (
        f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        f"/durable-execution/replay/{execution.operation_id}"
    )
    event = DurableExecutionInvocationInputWithClient(
        arn,
        "replay-token",
        InitialExecutionState(operations, ""),
        updated_operation_ids=[],
        service_client=guard,
    )
    context = LambdaContext(arn.split("/durable-execution/", 1)[0], function_name, "replay")
    with instrument(reached):
        if environment is not None:
            with environment():
                output = _call(handler, event, context)
        else:
            output = _call(handler, event, context)
    seen = set(reached.ids)
    count = len(seen & recorded.keys())
    divergence = guard.divergence
    if divergence is None and not guard.stopped:
        divergence = _judge_end(history, recorded, seen, output, guard)
    first = next(iter(recorded), None)
    if divergence is not None and first is not None and divergence.operation_id == first:
        hint = "the first operation differs: is this a history of another function?"
        divergence = attrs.evolve(divergence, hint=hint)
    return ReplayReport(divergence, count, history.is_complete)


def _call(
    handler: Callable[..., Any], event: Any, context: Any
) -> DurableExecutionInvocationOutput:
    try:
        return DurableExecutionInvocationOutput.from_dict(handler(event, context))
    except Exception as error:  # escaped the SDK: the invocation failed with it
        return DurableExecutionInvocationOutput(
            InvocationStatus.FAILED, error=ErrorObject.from_exception(error)
        )


def _judge_end(
    history: ExecutionHistory,
    recorded: Mapping[str, Operation],
    reached: set[str],
    output: DurableExecutionInvocationOutput,
    guard: _Guard,
) -> Divergence | None:
    error = output.error or guard.execution_error
    if error is not None and (error.type or "").endswith("NonDeterministicExecutionError"):
        return _mismatch(recorded, error)
    missing = _missing(recorded, reached)
    if missing is not None:
        return Divergence(
            DivergenceKind.MISSING_OPERATION,
            missing.operation_id,
            str(_shape(missing)),
            f"the code ended ({_describe(output, guard)}) without reaching it",
        )
    final = history.final_event
    if final is None or final["EventType"] not in ("ExecutionSucceeded", "ExecutionFailed"):
        return None  # running, timed out or stopped: there is no recorded outcome to match
    details = final.get(f"{final['EventType']}Details") or {}
    if final["EventType"] == "ExecutionSucceeded":
        want = payload_of(details.get("Result"))
        got = guard.execution_result if guard.execution_result is not None else output.result
        if output.status is InvocationStatus.SUCCEEDED and _same_json(want, got):
            return None
        expected = f"SUCCEEDED with result {want}"
    else:
        raw = (details.get("Error") or {}).get("Payload") or {}
        want_error = ErrorObject.from_dict(raw)
        if (
            output.status is InvocationStatus.FAILED
            and error is not None
            and (error.type, error.message) == (want_error.type, want_error.message)
        ):
            return None
        expected = f"FAILED with {want_error.type}: {want_error.message}"
    return Divergence(DivergenceKind.DIFFERENT_OUTCOME, None, expected, _describe(output, guard))


def _mismatch(recorded: Mapping[str, Operation], error: ErrorObject) -> Divergence:
    match = _NDEE.search(error.message or "")
    if match is None:
        return Divergence(
            DivergenceKind.MISMATCH, None, "the recorded operation", error.message or "?"
        )
    op_id = match["id"]
    op = recorded.get(op_id)
    expected = str(_shape(op)) if op is not None else f"the recorded operation {op_id}"
    return Divergence(DivergenceKind.MISMATCH, op_id, expected, _ran(op_id, match["found"]))


def _ran(op_id: str, described: str) -> str:
    """The SDK's ``TYPE/SubType named 'x'`` as an ``OperationShape``, like ``expected``."""
    parts = _RAN.fullmatch(described)
    if parts is None:
        return described
    sub = None if parts["sub"] == "None" else parts["sub"]
    name = ast.literal_eval(parts["name"]) if parts["name"] else None
    return str(OperationShape(op_id, parts["type"], sub, name))


def _describe(output: DurableExecutionInvocationOutput, guard: _Guard) -> str:
    if output.status is InvocationStatus.SUCCEEDED:
        result = guard.execution_result if guard.execution_result is not None else output.result
        return f"SUCCEEDED with result {result}"
    if output.status is InvocationStatus.FAILED:
        error = output.error or guard.execution_error
        return f"FAILED with {error.type}: {error.message}" if error else "FAILED"
    return f"{output.status.value} (suspended)"


def _same_json(want: str | None, got: str | None) -> bool:
    if want == got:
        return True
    try:
        return bool(json.loads(want or "null") == json.loads(got or "null"))
    except ValueError:
        return False


def replay(
    handler: Callable[..., Any],
    history: HistorySource,
    *,
    function_name: str = "test-function",
    seed: int | str = 0,
) -> ReplayReport:
    """Load ``history`` and replay ``handler`` against it, with jitter seeded as the runner's.

    Raises:
        InvalidHistoryError: ``history`` is not a durable-execution history.
    """
    loaded = load_history(history)
    return replay_history(
        handler,
        loaded,
        function_name=function_name,
        environment=lambda: use_random(random.Random(f"{seed}:replay")),
    )


def assert_replays(
    handler: Callable[..., Any],
    history: HistorySource,
    *,
    function_name: str = "test-function",
    seed: int | str = 0,
) -> ReplayReport:
    """``replay``, raising ``AssertionError`` with the report's message on a divergence."""
    report = replay(handler, history, function_name=function_name, seed=seed)
    if not report.ok:
        raise AssertionError(str(report))
    return report
