"""The runner's side of callbacks: declared answers, and finding open callbacks.

Declared answers (``run(callbacks=...)``) become timers on the service's virtual clock when
their callback is created; those due after their execution ended are rejected, as a real
system's late call would be, and never leak into a later run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_durable_execution_sdk_python.lambda_service import (
    ErrorObject,
    Operation,
    OperationSubType,
    OperationType,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ServiceApiError,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._service.timers import Timer
from aws_durable_execution_sdk_python_testing.callbacks import (
    ActionSpec,
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
    CallbackTimeout,
    CreatedCallback,
    actions_for,
    encode_callback_result,
    wait_for_callback_name,
)

__all__ = ["CallbackDesk", "callback_names", "open_callback"]


class CallbackDesk:
    """Declared callback answers of a runner's executions."""

    def __init__(self, service: InMemoryDurableService) -> None:
        self.service = service
        self.clock = service.clock
        self._callback_actions: dict[str, Mapping[str, ActionSpec]] = {}
        self._pending_actions: list[tuple[Timer, CreatedCallback, Any]] = []
        self.rejected_callback_actions: list[tuple[CreatedCallback, Any, ServiceApiError]] = []

    def declare(self, arn: str, spec: Mapping[str, ActionSpec] | None) -> None:
        if spec:
            self._callback_actions[arn] = spec

    def inherit(self, caller_arn: str, target_arn: str) -> None:
        """Declared answers hold for the whole run, invoked targets included."""
        self.declare(target_arn, self._callback_actions.get(caller_arn))

    def on_created(self, record: ExecutionRecord, op: Operation) -> None:
        spec = self._callback_actions.get(record.arn)
        if not spec:
            return
        created = CreatedCallback(
            callback_id=op.callback_details.callback_id if op.callback_details else "",
            name=op.name,
            operation_id=op.operation_id,
            execution_arn=record.arn,
            wait_for_callback_name=_wait_for_callback_name(record, op),
        )
        now = self.clock.now()
        for action in actions_for(spec, created):
            timer = self.service.timers.add(
                now + max(0.0, float(action.delay)),
                f"{type(action).__name__} for callback {op.name or op.operation_id}",
                lambda action=action: self._apply_action(created, action),  # type: ignore[misc]
            )
            self._pending_actions.append((timer, created, action))

    def _apply_action(self, created: CreatedCallback, action: Any) -> None:
        try:
            if isinstance(action, CallbackSuccess):
                self.service.send_callback_success(
                    created.callback_id, encode_callback_result(action.result)
                )
            elif isinstance(action, CallbackFailure):
                self.service.send_callback_failure(
                    created.callback_id,
                    ErrorObject(
                        action.error_message,
                        action.error_type,
                        action.error_data,
                        action.stack_trace,
                    ),
                )
            elif isinstance(action, CallbackHeartbeat):
                self.service.send_callback_heartbeat(created.callback_id)
            elif isinstance(action, CallbackTimeout):
                self.service.time_out_callback(created.callback_id)
        except ServiceApiError as error:
            # Too late (the callback timed out or its execution ended), as for a real system.
            self.rejected_callback_actions.append((created, action, error))

    def awaits_test(self, record: ExecutionRecord) -> bool:
        """An open callback the test may answer, with no declared answer coming for it."""
        return open_callback(record, None) is not None and not any(
            not timer.cancelled for timer, _created, _action in self._pending_actions
        )

    def drop_orphaned(self) -> None:
        """Declared answers for executions that have ended are rejected, not left pending."""
        keep = []
        for timer, created, action in self._pending_actions:
            if timer.cancelled:
                continue
            record = self.service.executions.get(created.execution_arn)
            if record is None or record.is_terminal:  # None: deleted
                self.service.timers.cancel(timer)
                self.rejected_callback_actions.append(
                    (created, action, InvalidParameterValueException("the execution has ended"))
                )
            else:
                keep.append((timer, created, action))
        self._pending_actions = keep


def open_callback(record: ExecutionRecord, name: str | None) -> str | None:
    candidates = []
    for op in record.operations.values():
        if op.operation_type is not OperationType.CALLBACK or op.callback_details is None:
            continue
        if op.status.is_terminal:
            continue
        parent = record.operations.get(op.parent_id) if op.parent_id else None
        names = {
            op.name,
            parent.name if parent is not None else None,
            wait_for_callback_name(op.name),
        }
        if name is None or name in names:
            candidates.append(op.callback_details.callback_id)
    return candidates[-1] if candidates else None


def _wait_for_callback_name(record: ExecutionRecord, op: Operation) -> str | None:
    """The name of the ``wait_for_callback`` a callback belongs to, if it belongs to one."""
    parent = record.operations.get(op.parent_id) if op.parent_id else None
    if parent is None or parent.sub_type is not OperationSubType.WAIT_FOR_CALLBACK:
        return None
    return parent.name or wait_for_callback_name(op.name)


def callback_names(record: ExecutionRecord) -> list[str]:
    return [
        f"{op.name or op.operation_id} ({op.status.value})"
        for op in record.operations.values()
        if op.operation_type is OperationType.CALLBACK
    ]
