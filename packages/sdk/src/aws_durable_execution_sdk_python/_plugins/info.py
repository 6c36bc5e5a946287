"""What each hook receives: values built only when some plugin implements the hook.

Fields, their order and their meaning are those of the existing SDK 3.0, so published plugins
read them unchanged (docs/decisions.md, "Plugin API of the existing SDK"). Positional
arguments follow its order; ``operations`` and the like are left out of ``repr`` and ``==``.

Read-only by contract but not ``frozen``: a frozen attrs instance costs two to three times
as much to build, and with every hook implemented about five infos are built per step,
which alone would exceed the plugin overhead budget. Plugins must not change them.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from typing import Any, Self

import attrs

from aws_durable_execution_sdk_python._model.enums import (
    InvocationStatus,
    OperationStatus,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.operation import Operation

__all__ = [
    "InvocationEndInfo",
    "InvocationInfo",
    "InvocationStartInfo",
    "OperationChangeInfo",
    "OperationEndInfo",
    "OperationInfo",
    "OperationStartInfo",
    "PropagationInput",
    "PropagationMetadata",
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
]

_UTC = datetime.UTC


@attrs.define
class InvocationInfo:
    """One invocation of the handler, as every invocation hook sees it.

    ``execution_input`` is the decoded input of the execution, a private copy for each
    invocation; ``operations`` all operations by id at the moment of the hook.
    ``updated_operation_ids`` are the operations that changed since the last invocation.
    """

    request_id: str | None
    execution_arn: str | None
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    execution_input: Any = attrs.field(default=None, repr=False, eq=False, kw_only=True)
    operations: Mapping[str, OperationInfo] = attrs.field(
        factory=dict, repr=False, eq=False, kw_only=True
    )
    updated_operation_ids: tuple[str, ...] = attrs.field(
        default=(), repr=False, eq=False, kw_only=True
    )


@attrs.define
class InvocationStartInfo(InvocationInfo):
    """``updated_operations``: the operations of ``updated_operation_ids``, by id."""

    updated_operations: Mapping[str, OperationInfo] = attrs.field(
        factory=dict, repr=False, eq=False, kw_only=True
    )


@attrs.define
class InvocationEndInfo(InvocationInfo):
    """The invocation's outcome: ``status`` (``RETRY`` with ``error`` when it raised), and
    ``execution_result``, the JSON the handler returned (``""`` when it was too large for
    the response and went through a checkpoint)."""

    error: ErrorObject | None = None
    status: InvocationStatus = attrs.field(kw_only=True)
    execution_result: str | None = attrs.field(default=None, repr=False, eq=False, kw_only=True)

    @classmethod
    def from_durable_execution_invocation_output(
        cls,
        start_info: InvocationInfo,
        output: Any,
        operations: Mapping[str, OperationInfo] | None = None,
    ) -> InvocationEndInfo:
        """The end info of an invocation that began with ``start_info`` and returned
        ``output`` (a ``DurableExecutionInvocationOutput``)."""
        return cls(
            start_info.request_id,
            start_info.execution_arn,
            start_info.is_first_invocation,
            start_info.execution_start_time,
            output.error,
            status=output.status,
            execution_result=output.result,
            execution_input=start_info.execution_input,
            operations=start_info.operations if operations is None else operations,
            updated_operation_ids=start_info.updated_operation_ids,
        )


def _details(op: Operation) -> tuple[Any, ErrorObject | None, int | None]:
    if op.step_details is not None:
        d = op.step_details
        return d.result, d.error, d.attempt
    for details in (op.callback_details, op.chained_invoke_details, op.context_details):
        if details is not None:
            return details.result, details.error, None
    return None, None, None


@attrs.define
class OperationInfo:
    """An operation as a hook sees it; ``result`` is the checkpointed (serialised) payload.

    ``sub_type`` is an ``OperationSubType``, a ``str`` that also has ``.value``; ``attempt``
    is the step's (or condition check's) attempt, ``None`` for other operations.
    """

    operation_id: str
    operation_type: OperationType
    sub_type: OperationSubType | None
    name: str | None
    parent_id: str | None
    start_time: datetime.datetime | None
    is_replayed: bool
    status: OperationStatus
    end_time: datetime.datetime | None = attrs.field(default=None, kw_only=True)
    result: str | None = attrs.field(default=None, kw_only=True)
    error: ErrorObject | None = attrs.field(default=None, kw_only=True)
    attempt: int | None = attrs.field(default=None, kw_only=True)

    @classmethod
    def from_operation(cls, op: Operation, *, is_replayed: bool = False) -> Self:
        """The info of a checkpointed operation (of the class it is called on)."""
        result, error, attempt = _details(op)
        return cls(
            op.operation_id,
            op.operation_type,
            op.sub_type,
            op.name,
            op.parent_id,
            op.start_timestamp,
            is_replayed,
            op.status,
            end_time=op.end_timestamp,
            result=result,
            error=error,
            attempt=attempt,
        )


@attrs.define
class OperationStartInfo(OperationInfo):
    pass


@attrs.define
class OperationEndInfo(OperationInfo):
    pass


class UserFunctionOutcome(enum.Enum):
    """How user code ended: returned, raised, or was cut short (the execution suspended)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"

    @classmethod
    def from_error(cls, error: BaseException | ErrorObject | None) -> UserFunctionOutcome:
        return cls.SUCCEEDED if error is None else cls.FAILED


@attrs.define
class UserFunctionStartInfo(OperationInfo):
    """Before user code runs in a step, child context or ``wait_for_condition`` check.

    ``attempt`` is this attempt of a step or check (1 on the first try); for a child context
    1 when it is new, ``None`` when an existing one runs again. ``is_replay_children``: a
    finished context whose result was too large to checkpoint runs again to rebuild it.
    """

    is_replay_children: bool = False


@attrs.define
class UserFunctionEndInfo(OperationInfo):
    """After that user code: same fields as its start, plus ``end_time``, ``outcome`` and
    the ``error`` it raised."""

    is_replay_children: bool
    outcome: UserFunctionOutcome

    @classmethod
    def from_start_info(
        cls,
        start: UserFunctionStartInfo,
        error: ErrorObject | None,
        *,
        outcome: UserFunctionOutcome | None = None,
    ) -> UserFunctionEndInfo:
        return cls(
            start.operation_id,
            start.operation_type,
            start.sub_type,
            start.name,
            start.parent_id,
            start.start_time,
            start.is_replayed,
            start.status,
            start.is_replay_children,
            UserFunctionOutcome.from_error(error) if outcome is None else outcome,
            end_time=datetime.datetime.now(_UTC),
            error=error,
            attempt=start.attempt,
        )


@attrs.define
class OperationChangeInfo:
    """Operations a checkpoint response changed, and all of them after it."""

    execution_arn: str | None
    updated_operations: Mapping[str, OperationInfo]
    operations: Mapping[str, OperationInfo]


@attrs.frozen
class PropagationInput:
    """A chained invoke about to start: what a plugin may derive trace context from."""

    execution_arn: str
    operation_id: str
    target_function_name: str
    parent_operation_id: str | None = None


@attrs.frozen
class PropagationMetadata:
    """What a plugin hands the invoked function: an X-Ray trace header, or ``None``."""

    x_amzn_trace_id: str | None = None
