"""Read-only views of an execution's operations, with deserialised results.

Built in one pass (children indexed by parent id). Results are deserialised with the
operation's default serdes, then plain JSON; the raw payload stays beside them. Lookups by
name refuse ambiguity instead of silently picking the first match.
"""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, TypeVar

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python.lambda_service import Operation as WireOperation
from aws_durable_execution_sdk_python.serdes import EXTENDED_TYPES_SERDES, SerDes, SerDesContext
from aws_durable_execution_sdk_python_testing._stored import stored_payload, stored_text
from aws_durable_execution_sdk_python_testing.errors import DurableFunctionsTestError

__all__ = [
    "CallbackOperation",
    "ContextOperation",
    "ExecutionOperation",
    "InvokeOperation",
    "Operation",
    "StepOperation",
    "WaitOperation",
    "build_operations",
    "decode_payload",
]

V = TypeVar("V", bound="Operation")


def decode_payload(payload: str | None, serdes: SerDes[Any] | None = None) -> Any:
    """Default serdes (or the given one), then plain JSON, else the raw text."""
    if payload is None or payload == "":
        return None
    try:
        return (serdes or EXTENDED_TYPES_SERDES).deserialize(payload, SerDesContext())
    except Exception:
        if serdes is not None:
            raise
    try:
        return json.loads(payload)
    except ValueError:
        return payload


class OperationLookup:
    """Name lookups over a list of operations (an execution's, or a context's children)."""

    _operations: tuple[Operation, ...]

    def _all(self) -> Iterator[Operation]:
        stack = list(reversed(self._operations))
        while stack:
            op = stack.pop()
            yield op
            stack.extend(reversed(op.child_operations))

    def get_all_operations(self) -> list[Operation]:
        """Every operation, nested ones included, in creation order (depth first)."""
        return list(self._all())

    def get_operation_by_name(self, name: str) -> Operation:
        """The operation called ``name``: top level first, then nested; ambiguity raises."""
        for pool in (self._operations, tuple(self._all())):
            matches = [op for op in pool if op.name == name]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                ids = ", ".join(op.operation_id[:12] for op in matches)
                raise DurableFunctionsTestError(
                    f"{len(matches)} operations are named {name!r} (ids {ids}...); use "
                    "get_operation_by_id or get_operations_by_name to choose one"
                )
        names = sorted({op.name for op in self._all() if op.name})
        raise DurableFunctionsTestError(
            f"no operation named {name!r}; named operations: {names or 'none'}"
        )

    def get_operations_by_name(self, name: str) -> list[Operation]:
        return [op for op in self._all() if op.name == name]

    def get_operation_by_id(self, operation_id: str) -> Operation:
        for op in self._all():
            if op.operation_id == operation_id:
                return op
        raise DurableFunctionsTestError(f"no operation with id {operation_id!r}")

    def _typed(self, name: str, kind: type[V]) -> V:
        op = self.get_operation_by_name(name)
        if not isinstance(op, kind):
            raise DurableFunctionsTestError(
                f"operation {name!r} is a {op.operation_type.value} "
                f"({type(op).__name__}), not a {kind.__name__}"
            )
        return op

    def get_step(self, name: str) -> StepOperation:
        return self._typed(name, StepOperation)

    def get_wait(self, name: str) -> WaitOperation:
        return self._typed(name, WaitOperation)

    def get_context(self, name: str) -> ContextOperation:
        return self._typed(name, ContextOperation)

    def get_callback(self, name: str) -> CallbackOperation:
        return self._typed(name, CallbackOperation)

    def get_invoke(self, name: str) -> InvokeOperation:
        return self._typed(name, InvokeOperation)


@attrs.frozen(kw_only=True)
class Operation(OperationLookup):
    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = None
    name: str | None = None
    sub_type: OperationSubType | None = None
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    child_operations: tuple[Operation, ...] = ()

    @property
    def _operations(self) -> tuple[Operation, ...]:  # type: ignore[override]
        return self.child_operations


@attrs.frozen(kw_only=True)
class ExecutionOperation(Operation):
    input_payload: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class _Outcome(Operation):
    """What operations that end with a result or an error share; not a view of its own.

    The concrete views derive from this, never from each other, so ``get_context`` cannot
    hand back a step because a step "is" a context.
    """

    raw_result: str | None = None
    error: ErrorObject | None = None
    # Whether the user's serdes wrote the payload, which may then be a FileSystemSerDes
    # pointer (invoke results and callback answers are other systems' data).
    _user_serdes: ClassVar[bool] = False

    @functools.cached_property
    def result(self) -> Any:
        """The raw payload deserialised on first read (most tests never read it); a
        ``FileSystemSerDes`` payload gives the value it stores (read from its file)."""
        stored = stored_text(self.raw_result) if self._user_serdes else None
        return decode_payload(self.raw_result if stored is None else stored)

    @property
    def preview(self) -> dict[str, Any] | None:
        """The preview a ``FileSystemSerDes`` pointer carries beside its file, else None."""
        stored = stored_payload(self.raw_result) if self._user_serdes else None
        return stored.preview if stored is not None else None


@attrs.frozen(kw_only=True, slots=False)
class ContextOperation(_Outcome):
    """A child context (also map, parallel and their branches, ``wait_for_callback``)."""

    _user_serdes: ClassVar[bool] = True


@attrs.frozen(kw_only=True, slots=False)
class StepOperation(_Outcome):
    _user_serdes: ClassVar[bool] = True
    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None


@attrs.frozen(kw_only=True)
class WaitOperation(Operation):
    scheduled_end_timestamp: datetime.datetime | None = None


@attrs.frozen(kw_only=True, slots=False)
class CallbackOperation(_Outcome):
    callback_id: str | None = None


@attrs.frozen(kw_only=True, slots=False)
class InvokeOperation(_Outcome):
    """A chained invoke; its result is the target's."""


def _view(op: WireOperation, children: tuple[Operation, ...]) -> Operation:
    common: dict[str, Any] = {
        "operation_id": op.operation_id,
        "operation_type": op.operation_type,
        "status": op.status,
        "parent_id": op.parent_id,
        "name": op.name,
        "sub_type": op.sub_type,
        "start_timestamp": op.start_timestamp,
        "end_timestamp": op.end_timestamp,
        "child_operations": children,
    }
    kind = op.operation_type
    if kind is OperationType.STEP:
        step = op.step_details
        raw = step.result if step else None
        return StepOperation(
            **common,
            raw_result=raw,
            error=step.error if step else None,
            attempt=step.attempt if step else 0,
            next_attempt_timestamp=step.next_attempt_timestamp if step else None,
        )
    if kind is OperationType.WAIT:
        wait = op.wait_details
        return WaitOperation(
            **common, scheduled_end_timestamp=wait.scheduled_end_timestamp if wait else None
        )
    if kind is OperationType.CALLBACK:
        callback = op.callback_details
        raw = callback.result if callback else None
        return CallbackOperation(
            **common,
            raw_result=raw,
            error=callback.error if callback else None,
            callback_id=callback.callback_id if callback else None,
        )
    if kind is OperationType.CHAINED_INVOKE:
        invoke = op.chained_invoke_details
        raw = invoke.result if invoke else None
        return InvokeOperation(
            **common,
            raw_result=raw,
            error=invoke.error if invoke else None,
        )
    if kind is OperationType.EXECUTION:
        execution = op.execution_details
        return ExecutionOperation(
            **common, input_payload=execution.input_payload if execution else None
        )
    context = op.context_details
    raw = context.result if context else None
    return ContextOperation(
        **common,
        raw_result=raw,
        error=context.error if context else None,
    )


def build_operations(operations: Iterable[WireOperation]) -> list[Operation]:
    """Top-level views (EXECUTION excluded), children nested, in creation order."""
    ordered = [op for op in operations if op.operation_type is not OperationType.EXECUTION]
    children: dict[str | None, list[WireOperation]] = {}
    for op in ordered:
        children.setdefault(op.parent_id, []).append(op)

    def build(op: WireOperation) -> Operation:
        return _view(op, tuple(build(child) for child in children.get(op.operation_id, ())))

    known = {op.operation_id for op in ordered}
    roots = [op for op in ordered if op.parent_id is None or op.parent_id not in known]
    return [build(op) for op in roots]
