"""``DurableServiceClient``: the only calls the SDK makes, on model objects.

Two implementations exist: :class:`LambdaClient` (boto3, the real service) and the testing
package's in-memory service. Batching and size limits live above this protocol, once.
Implementations raise :class:`CheckpointError` / :class:`GetExecutionStateError` classified
with :meth:`BotoClientError.classify`, so the SDK treats both back-ends alike.
"""

from __future__ import annotations

from typing import Any, Protocol

import attrs

from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate

__all__ = [
    "CheckpointOutput",
    "CheckpointUpdatedExecutionState",
    "DurableServiceClient",
    "StateOutput",
]


@attrs.frozen
class CheckpointUpdatedExecutionState:
    operations: list[Operation] = attrs.Factory(list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointUpdatedExecutionState:
        return cls(
            [Operation.from_dict(op) for op in data.get("Operations") or []],
            data.get("NextMarker") or None,
        )


@attrs.frozen
class CheckpointOutput:
    """A new token (absent once the execution is over) and the operations that changed."""

    checkpoint_token: str | None
    new_execution_state: CheckpointUpdatedExecutionState = attrs.Factory(
        CheckpointUpdatedExecutionState
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckpointOutput:
        return cls(
            data.get("CheckpointToken"),
            CheckpointUpdatedExecutionState.from_dict(data.get("NewExecutionState") or {}),
        )


@attrs.frozen
class StateOutput:
    operations: list[Operation] = attrs.Factory(list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StateOutput:
        return cls(
            [Operation.from_dict(op) for op in data.get("Operations") or []],
            data.get("NextMarker") or None,
        )


class DurableServiceClient(Protocol):
    """The durable-execution API as the SDK needs it during an invocation."""

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: list[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput: ...

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str,
        max_items: int = 1000,
    ) -> StateOutput: ...
