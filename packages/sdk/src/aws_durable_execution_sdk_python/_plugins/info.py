"""What each hook receives: values built only when some plugin implements the hook.

Read-only by contract but not ``frozen``: a frozen attrs instance costs two to three times
as much to build, and with every hook implemented about five infos are built per step,
which alone would exceed the plugin overhead budget (issue 5). Plugins must not change them.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from typing import Any

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
    "UserFunctionEndInfo",
    "UserFunctionOutcome",
    "UserFunctionStartInfo",
]


@attrs.define(kw_only=True)
class InvocationInfo:
    request_id: str | None
    execution_arn: str
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    operations: Mapping[str, OperationInfo] = attrs.Factory(dict)
    updated_operation_ids: tuple[str, ...] = ()


@attrs.define(kw_only=True)
class InvocationStartInfo(InvocationInfo):
    """``updated_operations``: the operations that changed since the last invocation (those
    of ``updated_operation_ids``), by id, as ``OperationChangeInfo`` has them."""

    updated_operations: Mapping[str, OperationInfo] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class InvocationEndInfo(InvocationInfo):
    """``status`` is the invocation's outcome; ``RETRY`` with ``error`` when it raised."""

    status: InvocationStatus
    error: ErrorObject | None = None


def _details(op: Operation) -> tuple[Any, ErrorObject | None, int | None]:
    kind = op.operation_type
    if kind is OperationType.STEP and op.step_details is not None:
        d = op.step_details
        return d.result, d.error, d.attempt
    if kind is OperationType.CONTEXT and op.context_details is not None:
        return op.context_details.result, op.context_details.error, None
    if kind is OperationType.CALLBACK and op.callback_details is not None:
        return op.callback_details.result, op.callback_details.error, None
    if kind is OperationType.CHAINED_INVOKE and op.chained_invoke_details is not None:
        return op.chained_invoke_details.result, op.chained_invoke_details.error, None
    return None, None, None


@attrs.define(kw_only=True)
class OperationInfo:
    """An operation as a hook sees it; ``result`` is the checkpointed (serialised) payload."""

    operation_id: str
    operation_type: OperationType
    sub_type: OperationSubType | None = None
    name: str | None = None
    parent_id: str | None = None
    start_time: datetime.datetime | None = None
    is_replayed: bool = False
    status: OperationStatus | None = None
    end_time: datetime.datetime | None = None
    result: str | None = None
    error: ErrorObject | None = None
    attempt: int | None = None

    @classmethod
    def from_operation(cls, op: Operation, *, is_replayed: bool = False) -> OperationInfo:
        result, error, attempt = _details(op)
        return cls(
            operation_id=op.operation_id,
            operation_type=op.operation_type,
            sub_type=op.sub_type,
            name=op.name,
            parent_id=op.parent_id,
            start_time=op.start_timestamp,
            is_replayed=is_replayed,
            status=op.status,
            end_time=op.end_timestamp,
            result=result,
            error=error,
            attempt=attempt,
        )


@attrs.define(kw_only=True)
class OperationStartInfo(OperationInfo):
    pass


@attrs.define(kw_only=True)
class OperationEndInfo(OperationInfo):
    pass


class UserFunctionOutcome(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@attrs.define(kw_only=True)
class UserFunctionStartInfo(OperationInfo):
    """Before user code runs in a step, child context or ``wait_for_condition`` check."""

    is_replay_children: bool = False


@attrs.define(kw_only=True)
class UserFunctionEndInfo(UserFunctionStartInfo):
    outcome: UserFunctionOutcome = UserFunctionOutcome.SUCCEEDED


@attrs.define(kw_only=True)
class OperationChangeInfo:
    """Operations a checkpoint response changed, and (lazily) all of them."""

    execution_arn: str
    updated_operations: Mapping[str, OperationInfo]
    operations: Mapping[str, OperationInfo]
