"""What ``assert_durable`` checks: a faulted run against the fault-free reference run.

Pure functions over results (histories, operations, recorded hook calls): they return what
differed as sentences, and the caller decides how to report them. Three properties:

- the same end: status, result (or error) equal the reference's;
- nothing lost: every operation that succeeded in the reference succeeded with the same
  result, each step's ``StepSucceeded`` is recorded once, and no step body runs again in an
  invocation after the one that checkpointed its success;
- at most once: a step whose START the reference made durable before its body ran (what
  ``AT_MOST_ONCE_PER_RETRY`` means) has no two ``StepStarted`` events for one attempt and
  its body never runs twice in one attempt.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    Operation,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._result import DurableFunctionTestResult
from aws_durable_execution_sdk_python_testing._stored import stored_text
from aws_durable_execution_sdk_python_testing.hooks import HookEvent

__all__ = ["at_most_once_steps", "differences"]


def _payload(op: Operation) -> Any:
    """The serialised result an operation recorded, whatever its type."""
    for details in (op.step_details, op.context_details):
        if details is not None:
            # A FileSystemSerDes pointer names a file of its own execution: compare the
            # value stored there, which every run must reproduce.
            stored = stored_text(details.result)
            return details.result if stored is None else stored
    for outcome in (op.callback_details, op.chained_invoke_details):
        if outcome is not None:
            return outcome.result
    return None


def _step_body_runs(events: Sequence[HookEvent]) -> Iterator[tuple[int, str, int | None]]:
    """(invocation number, operation id, attempt) of every step body that ran."""
    invocation = 0
    for event in events:
        if event.hook == "on_invocation_start":
            invocation += 1
        elif (
            event.hook == "on_user_function_start"
            and event.info.operation_type is OperationType.STEP
        ):
            yield invocation, event.info.operation_id, event.info.attempt


def at_most_once_steps(reference: DurableFunctionTestResult) -> frozenset[str]:
    """Ids of the steps whose START the service acknowledged before their body ran.

    The history does not record a step's semantics, but the SDK's behaviour shows them:
    an ``AT_MOST_ONCE_PER_RETRY`` START is checkpointed, and answered, before the body may
    run; an at-least-once START is queued and reaches the service with (or, for a slow
    step, during) the body. The recorded hook calls of the fault-free run order the two:
    an ``on_operation_change`` to STARTED before the step's ``on_user_function_start``
    in the same invocation.
    """
    found: set[str] = set()
    started: set[str] = set()  # acknowledged STARTED in the current invocation
    for event in reference.hook_events:
        if event.hook == "on_invocation_start":
            started.clear()
        elif event.hook == "on_operation_change":
            for op_id, op in event.info.updated_operations.items():
                if op.status is OperationStatus.STARTED:
                    started.add(op_id)
        elif (
            event.hook == "on_user_function_start"
            and event.info.operation_type is OperationType.STEP
            and event.info.operation_id in started
        ):
            found.add(event.info.operation_id)
    return frozenset(found)


def _label(op_id: str, names: dict[str, str]) -> str:
    return names.get(op_id) or f"operation {op_id[:12]}"


def _names(result: DurableFunctionTestResult) -> dict[str, str]:
    """How to name each operation in a message: its type, name (if any) and short id."""
    return {
        op.operation_id: f"{op.operation_type.value.lower()} "
        + (f"{op.name!r} " if op.name else "")
        + f"({op.operation_id[:12]})"
        for op in result.wire_operations
    }


def _same_end(reference: DurableFunctionTestResult, run: DurableFunctionTestResult) -> list[str]:
    found = []
    if run.status != reference.status:
        found.append(
            f"the status is {run.status.value}, the fault-free run's is {reference.status.value}"
        )
    if run.result != reference.result:
        found.append(f"the result is {run.result!r}, the fault-free run's is {reference.result!r}")
    want = reference.error
    got = run.error
    if (want is None) != (got is None) or (
        want is not None
        and got is not None
        and (want.type, want.message, want.termination_reason)
        != (got.type, got.message, got.termination_reason)
    ):
        found.append(f"the error is {_error(got)}, the fault-free run's is {_error(want)}")
    return found


def _error(error: Any) -> str:
    return "none" if error is None else f"{error.type}: {error.message}"


def _nothing_lost(
    reference: DurableFunctionTestResult, run: DurableFunctionTestResult
) -> list[str]:
    found = []
    names = _names(reference)
    ops = {op.operation_id: op for op in run.wire_operations}
    for want in reference.wire_operations:
        if (
            want.status is not OperationStatus.SUCCEEDED
            or want.operation_type is OperationType.EXECUTION  # its id is the execution's
        ):
            continue
        got = ops.get(want.operation_id)
        label = _label(want.operation_id, names)
        if got is None:
            found.append(f"{label} succeeded in the fault-free run but is missing")
        elif got.status is not OperationStatus.SUCCEEDED:
            found.append(f"{label} succeeded in the fault-free run but is {got.status.value}")
        elif _payload(got) != _payload(want):
            found.append(
                f"{label} succeeded with {_payload(got)!r}, in the fault-free run with "
                f"{_payload(want)!r}"
            )
    return found


def _history_by_invocation(
    history: Iterable[dict[str, Any]],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each event with the number of the invocation that wrote it (from 1)."""
    invocation = 1
    for event in history:
        yield invocation, event
        if event["EventType"] == "InvocationCompleted":
            invocation += 1


def _completes(event: dict[str, Any]) -> bool:
    """A ``StepSucceeded`` that ends its step; a ``wait_for_condition`` check that asks to
    check again is recorded as a ``StepSucceeded`` with a next attempt, and does not."""
    if event["EventType"] != "StepSucceeded":
        return False
    retry = (event.get("StepSucceededDetails") or {}).get("RetryDetails") or {}
    return "NextAttemptDelaySeconds" not in retry


def _not_rerun(run: DurableFunctionTestResult) -> list[str]:
    found = []
    names = _names(run)
    succeeded = Counter(event["Id"] for event in run.history if _completes(event))
    for op_id, count in succeeded.items():
        if count > 1:
            found.append(f"{_label(op_id, names)} has {count} StepSucceeded events")
    completed_in: dict[str, int] = {}
    for invocation, event in _history_by_invocation(run.history):
        if _completes(event):
            completed_in.setdefault(event["Id"], invocation)
    invocations = sum(1 for e in run.history if e["EventType"] == "InvocationCompleted")
    starts = sum(1 for e in run.hook_events if e.hook == "on_invocation_start")
    if starts != invocations:
        return found  # the hook calls cannot be matched to invocations (another mode)
    reported: set[str] = set()
    for invocation, op_id, _attempt in _step_body_runs(run.hook_events):
        done = completed_in.get(op_id)
        if done is not None and invocation > done and op_id not in reported:
            reported.add(op_id)
            found.append(
                f"{_label(op_id, names)} ran again in invocation {invocation} although "
                f"invocation {done} had checkpointed its success"
            )
    return found


def _at_most_once(run: DurableFunctionTestResult, steps: frozenset[str]) -> list[str]:
    if not steps:
        return []
    found = []
    names = _names(run)
    failed: Counter[str] = Counter()
    started: Counter[tuple[str, int]] = Counter()
    for event in run.history:
        op_id = event.get("Id")
        if op_id not in steps:
            continue
        if event["EventType"] == "StepFailed":
            failed[op_id] += 1  # a retried attempt ends with StepFailed; the next begins
        elif event["EventType"] == "StepStarted":
            started[op_id, failed[op_id] + 1] += 1
    for (op_id, attempt), count in sorted(started.items()):
        if count > 1:
            found.append(
                f"at-most-once {_label(op_id, names)} has {count} StepStarted events for "
                f"attempt {attempt}"
            )
    runs = Counter(
        (op_id, attempt)
        for _invocation, op_id, attempt in _step_body_runs(run.hook_events)
        if op_id in steps
    )
    for (op_id, run_attempt), count in sorted(runs.items(), key=lambda item: str(item[0])):
        if count > 1:
            found.append(
                f"at-most-once {_label(op_id, names)} ran {count} times in attempt {run_attempt}"
            )
    return found


def differences(
    reference: DurableFunctionTestResult,
    run: DurableFunctionTestResult,
    at_most_once: frozenset[str],
) -> list[str]:
    """What the faulted ``run`` did that the fault-free ``reference`` says it must not."""
    return [
        *_same_end(reference, run),
        *_nothing_lost(reference, run),
        *_not_rerun(run),
        *_at_most_once(run, at_most_once),
    ]
