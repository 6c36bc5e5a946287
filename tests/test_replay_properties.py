"""Property tests of replay: random small programs behave as if run once, straight through.

A program is a list of operations: a step returning a value, a step returning a fresh random
token (not reproducible by re-running it), a failing step the handler catches, or a wait of
k seconds. Through the runner (one invocation per wait, replaying everything before it) it
must give the result of executing the program directly, run each step body exactly once, use
the blake2b position ids, and show every step the same value in every invocation.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python import StepError, durable_execution
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.lambda_service import OperationStatus, OperationType
from aws_durable_execution_sdk_python.retries import RetryPresets
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner, InvocationStatus

FIRST_OP_ID = "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
SECOND_OP_ID = "c5faca15ac2f93578b39ef4b6bbb871bdedce4ddd584fd31f0bb66fade3947e6"
NO_RETRY = StepConfig(RetryPresets.none())

Op = tuple[str, Any]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)

operations = st.one_of(
    st.tuples(st.just("step"), json_values),
    st.tuples(st.just("nonce"), st.none()),
    st.tuples(st.just("fail"), st.text(min_size=1, max_size=12)),
    st.tuples(st.just("wait"), st.integers(1, 5)),
)

programs = st.lists(operations, max_size=6)

PROPERTY_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def position_id(position: int) -> str:
    return hashlib.blake2b(str(position).encode()).hexdigest()[:64]


def run_directly(program: list[Op]) -> list[Any]:
    """The program's meaning without durability (nonces are compared separately)."""
    out: list[Any] = []
    for kind, arg in program:
        if kind == "step":
            out.append(arg)
        elif kind == "nonce":
            out.append("<nonce>")
        elif kind == "fail":
            out.append(["caught", str(arg)])
        else:
            out.append(None)
    return out


class Recorder:
    """Executes a program inside a durable handler, recording what each invocation saw."""

    def __init__(self, program: list[Op]) -> None:
        self.program = program
        self.invocation = 0
        self.body_runs: list[int] = []  # positions whose body really ran
        self.seen: dict[int, list[Any]] = {}  # position -> value seen, per invocation

    def handler(self, event: Any, context: Any) -> list[Any]:
        self.invocation += 1
        out: list[Any] = []
        for position, (kind, arg) in enumerate(self.program, start=1):
            if kind == "wait":
                context.wait(arg)
                out.append(None)
                continue
            try:
                value = context.step(self.body(position, kind, arg), config=NO_RETRY)
            except StepError as error:
                value = ["caught", str(error)]
            self.seen.setdefault(position, []).append(value)
            out.append(value)
        return out

    def body(self, position: int, kind: str, arg: Any) -> Any:
        def run(_: Any) -> Any:
            self.body_runs.append(position)
            if kind == "fail":
                raise ValueError(arg)
            if kind == "nonce":
                return uuid.uuid4().hex
            return arg

        return run


def execute(program: list[Op]) -> tuple[Any, Recorder]:
    recorder = Recorder(program)
    with DurableFunctionTestRunner(durable_execution(recorder.handler)) as runner:
        result = runner.run(input={}, timeout=10)
    return result, recorder


def test_position_ids_match_the_published_vectors() -> None:
    assert position_id(1) == FIRST_OP_ID
    assert position_id(2) == SECOND_OP_ID


@PROPERTY_SETTINGS
@given(programs)
def test_runner_result_equals_direct_execution(program: list[Op]) -> None:
    result, recorder = execute(program)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    expected = run_directly(program)
    actual = list(result.result)
    for i, (kind, _) in enumerate(program):
        if kind == "nonce":
            assert isinstance(actual[i], str)
            assert len(actual[i]) == 32
            actual[i] = "<nonce>"
    assert actual == expected
    waits = sum(kind == "wait" for kind, _ in program)
    assert result.invocation_count == waits + 1
    assert recorder.invocation == waits + 1


@PROPERTY_SETTINGS
@given(programs)
def test_each_step_body_runs_once_and_history_matches_the_program(program: list[Op]) -> None:
    result, recorder = execute(program)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    step_positions = [i for i, (kind, _) in enumerate(program, start=1) if kind != "wait"]
    assert recorder.body_runs == step_positions  # once each, in program order
    types = [e["EventType"] for e in result.history]
    assert types.count("StepStarted") == len(step_positions)
    assert types.count("StepFailed") == sum(kind == "fail" for kind, _ in program)
    assert types.count("StepSucceeded") == sum(kind in ("step", "nonce") for kind, _ in program)
    assert types.count("WaitStarted") == types.count("WaitSucceeded")
    assert types.count("WaitStarted") == sum(kind == "wait" for kind, _ in program)
    assert types[0] == "ExecutionStarted"
    assert types[-1] == "ExecutionSucceeded"
    stamps = [e["EventTimestamp"] for e in result.history]
    assert stamps == sorted(stamps)


@PROPERTY_SETTINGS
@given(programs)
def test_operation_ids_are_blake2b_positions(program: list[Op]) -> None:
    result, _ = execute(program)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    ops = result.operations
    assert [op.operation_id for op in ops] == [position_id(i) for i in range(1, len(program) + 1)]
    for op, (kind, arg) in zip(ops, program, strict=True):
        assert op.parent_id is None
        if kind == "wait":
            assert op.operation_type is OperationType.WAIT
            assert op.status is OperationStatus.SUCCEEDED
        elif kind == "fail":
            assert op.operation_type is OperationType.STEP
            assert op.status is OperationStatus.FAILED
            assert op.error is not None
            assert (op.error.type, op.error.message) == ("ValueError", arg)
        else:
            assert op.operation_type is OperationType.STEP
            assert op.status is OperationStatus.SUCCEEDED
            assert op.attempt == 1
    if program:
        assert ops[0].operation_id == FIRST_OP_ID


@PROPERTY_SETTINGS
@given(programs)
def test_every_step_shows_the_same_value_in_every_invocation(program: list[Op]) -> None:
    result, recorder = execute(program)

    assert result.status is InvocationStatus.SUCCEEDED, result.error
    waits_before = 0
    invocations = recorder.invocation
    for position, (kind, _) in enumerate(program, start=1):
        if kind == "wait":
            waits_before += 1
            continue
        seen = recorder.seen[position]
        # Reached once per invocation from the one that ran it to the last.
        assert len(seen) == invocations - waits_before
        assert all(value == seen[0] for value in seen), (position, seen)
        assert result.result[position - 1] == seen[0]
