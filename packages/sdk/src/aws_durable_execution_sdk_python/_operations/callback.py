"""``create_callback``: ask the service for a callback id that an outside system answers.

START is sent and confirmed (the service assigns the id). Failures are not raised at
creation but by ``Callback.result()``, so the code between creating a callback and awaiting
it runs identically on every replay.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from aws_durable_execution_sdk_python._model.enums import (
    OperationAction,
    OperationStatus,
)
from aws_durable_execution_sdk_python._model.update import CallbackOptions
from aws_durable_execution_sdk_python._operations.replay import (
    checkpointed,
    suspend_until,
    update_for,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python.config import CallbackConfig
from aws_durable_execution_sdk_python.exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    InvalidStateError,
)
from aws_durable_execution_sdk_python.identifier import OperationIdentifier
from aws_durable_execution_sdk_python.serdes import (
    PassThroughSerDes,
    SerDes,
    deserialize,
)

__all__ = ["Callback", "create_callback"]

T = TypeVar("T")

_PASS_THROUGH = PassThroughSerDes()
_DEFAULT = CallbackConfig()


class Callback(Generic[T]):
    """A callback to hand to an outside system; ``result()`` waits for its answer."""

    def __init__(
        self,
        callback_id: str,
        operation_id: str,
        state: ExecutionState,
        serdes: SerDes[Any] | None = None,
        name: str | None = None,
    ) -> None:
        self.callback_id = callback_id
        self.operation_id = operation_id
        self.name = name
        self._state = state
        self._serdes = serdes

    def __repr__(self) -> str:
        return f"Callback(callback_id={self.callback_id!r}, name={self.name!r})"

    def result(self) -> T | None:
        """The answer (raw text unless the config has a serdes); suspends until there is one.

        Raises:
            CallbackTimeoutError: the callback or its heartbeat timed out.
            CallbackExternalError: the outside system reported failure.
        """
        op = self._state.get(self.operation_id)
        if op is None:
            raise CallbackError("Callback operation must exist", callback_id=self.callback_id)
        details = op.callback_details
        error = details.error if details else None
        if op.status is OperationStatus.SUCCEEDED:
            payload = details.result if details else None
            if payload is None:
                return None
            value: T = deserialize(
                self._serdes or _PASS_THROUGH,
                payload,
                self.operation_id,
                self._state.durable_execution_arn,
                self.name,
            )
            return value
        if op.status is OperationStatus.TIMED_OUT:
            raise _callback_error(CallbackTimeoutError, error, self, "Callback timed out")
        if op.status in (
            OperationStatus.FAILED,
            OperationStatus.CANCELLED,
            OperationStatus.STOPPED,
        ):
            raise _callback_error(CallbackExternalError, error, self, "Callback failed")
        raise suspend_until(f"callback {self.callback_id} has no answer yet", None)


def _callback_error(
    kind: type[CallbackError], error: Any, callback: Callback[Any], default: str
) -> CallbackError:
    exc = kind(
        (error.message if error is not None else None) or default,
        None,
        error.data if error is not None else None,
        error.stack_trace if error is not None else None,
        callback_id=callback.callback_id,
    )
    return exc


def create_callback(
    state: ExecutionState, identifier: OperationIdentifier, config: CallbackConfig | None
) -> Callback[Any]:
    config = config or _DEFAULT
    op = checkpointed(state, identifier)
    if op is None:
        state.commit(
            update_for(
                identifier,
                OperationAction.START,
                callback_options=CallbackOptions(
                    timeout_seconds=config.timeout_seconds,
                    heartbeat_timeout_seconds=config.heartbeat_timeout_seconds,
                ),
            )
        )
        op = state.get(identifier.operation_id)
    details = op.callback_details if op is not None else None
    if details is None or not details.callback_id:
        raise InvalidStateError(
            f"callback {identifier.operation_id} has no CallbackId in the checkpointed state"
        )
    return Callback(
        details.callback_id, identifier.operation_id, state, config.serdes, identifier.name
    )
