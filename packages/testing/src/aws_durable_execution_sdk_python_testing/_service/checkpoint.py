"""Applying a checkpoint batch the way the service does: validate all of it, then apply.

Validation covers what the real service rejects with ``InvalidParameterValueException``:
actions allowed per operation type and status, an operation's type, subtype, name and parent
never changing, parents being contexts, the same id twice in a batch only as START then a
completion, and the size and count limits. A rejected batch changes nothing.
"""

from __future__ import annotations

import datetime
import json
import operator
from typing import TYPE_CHECKING, Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import (
    CallbackDetails,
    ContextDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StepDetails,
    WaitDetails,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionRecord
from aws_durable_execution_sdk_python_testing._service.history import (
    error_details,
    result_details,
)

if TYPE_CHECKING:
    from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService

__all__ = ["CheckpointProcessor"]

_ALLOWED_ACTIONS = {
    OperationType.STEP: {
        OperationAction.START,
        OperationAction.SUCCEED,
        OperationAction.FAIL,
        OperationAction.RETRY,
    },
    OperationType.CONTEXT: {OperationAction.START, OperationAction.SUCCEED, OperationAction.FAIL},
    OperationType.WAIT: {OperationAction.START, OperationAction.CANCEL},
    OperationType.CALLBACK: {OperationAction.START},
    OperationType.CHAINED_INVOKE: {OperationAction.START, OperationAction.CANCEL},
    OperationType.EXECUTION: {OperationAction.SUCCEED, OperationAction.FAIL},
}

# Which status an operation must be in for each action (None = the operation is new).
_FROM_STATUS: dict[tuple[OperationType, OperationAction], frozenset[OperationStatus | None]] = {
    (OperationType.STEP, OperationAction.START): frozenset({None, OperationStatus.READY}),
    (OperationType.STEP, OperationAction.SUCCEED): frozenset(
        {None, OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.STEP, OperationAction.FAIL): frozenset(
        {None, OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.STEP, OperationAction.RETRY): frozenset(
        {OperationStatus.STARTED, OperationStatus.READY}
    ),
    (OperationType.CONTEXT, OperationAction.START): frozenset({None}),
    (OperationType.CONTEXT, OperationAction.SUCCEED): frozenset({None, OperationStatus.STARTED}),
    (OperationType.CONTEXT, OperationAction.FAIL): frozenset({None, OperationStatus.STARTED}),
    (OperationType.WAIT, OperationAction.START): frozenset({None}),
    (OperationType.WAIT, OperationAction.CANCEL): frozenset({OperationStatus.STARTED}),
    (OperationType.CALLBACK, OperationAction.START): frozenset({None}),
    (OperationType.CHAINED_INVOKE, OperationAction.START): frozenset({None}),
    (OperationType.CHAINED_INVOKE, OperationAction.CANCEL): frozenset({OperationStatus.STARTED}),
}

_RESULTING_STATUS = {
    OperationAction.START: OperationStatus.STARTED,
    OperationAction.SUCCEED: OperationStatus.SUCCEEDED,
    OperationAction.FAIL: OperationStatus.FAILED,
    OperationAction.RETRY: OperationStatus.PENDING,
    OperationAction.CANCEL: OperationStatus.CANCELLED,
}

_EVENT_PREFIX = {
    OperationType.STEP: "Step",
    OperationType.CONTEXT: "Context",
    OperationType.WAIT: "Wait",
    OperationType.CALLBACK: "Callback",
    OperationType.CHAINED_INVOKE: "ChainedInvoke",
}


class _Where:
    """Names an update in an error message; formatted only if there is an error."""

    __slots__ = ("index", "update")

    def __init__(self, index: int, update: OperationUpdate) -> None:
        self.index = index
        self.update = update

    def __str__(self) -> str:
        u = self.update
        return f"update {self.index} (Id={u.operation_id}, {u.operation_type} {u.action})"


def _reject(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


# Keys, id, type, action, parent, name and options of one update, generously: the batch
# limit is checked on this estimate rather than by encoding every update to JSON.
_UPDATE_OVERHEAD_BYTES = 512


def _estimated_size(update: OperationUpdate) -> int:
    size = _UPDATE_OVERHEAD_BYTES
    if update.payload is not None:
        size += len(update.payload.encode())
    if update.error is not None:
        size += _json_size(update.error.to_dict())
    return size


def _json_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


class CheckpointProcessor:
    """Validates and applies batches for one execution, appending history as it goes."""

    def __init__(self, record: ExecutionRecord, service: InMemoryDurableService) -> None:
        self.record = record
        self.service = service
        self.clock = service.clock
        self.limits = service.limits

    # -- validation ----------------------------------------------------------------------

    def validate(self, updates: list[OperationUpdate]) -> None:
        record = self.record
        seen: dict[str, tuple[OperationUpdate, OperationStatus | None]] = {}
        batch_bytes = 0
        new_ops = 0
        for index, update in enumerate(updates):
            kind = update.operation_type
            action = update.action
            where = _Where(index, update)
            if action not in _ALLOWED_ACTIONS.get(kind, ()):
                raise _reject(f"Invalid action for the given operation type: {where}")
            if kind is OperationType.EXECUTION:
                if index != len(updates) - 1:
                    raise _reject(f"an EXECUTION update must be the last of its batch: {where}")
                continue
            batch_bytes += _estimated_size(update)
            self._check_sizes(update, where)
            existing = record.operations.get(update.operation_id)
            if update.operation_id in seen:
                first, status = seen[update.operation_id]
                if not (
                    first.action is OperationAction.START
                    and action is not OperationAction.START
                    and kind in (OperationType.STEP, OperationType.CONTEXT)
                ):
                    raise _reject(
                        f"an operation may appear twice in a batch only as START then a "
                        f"completion of a STEP or CONTEXT: {where}"
                    )
                reference: OperationUpdate | Operation | None = first
            else:
                status = existing.status if existing else None
                reference = existing
                if existing is None:
                    new_ops += 1
            allowed = _FROM_STATUS.get((kind, action), frozenset())
            if status not in allowed:
                found = status.value if status else "no operation"
                raise _reject(f"Invalid {action.value} of {kind.value} in status {found}: {where}")
            if reference is not None:
                self._check_consistent(update, reference, where)
            self._check_parent(update, seen, where)
            self._check_content(update, where)
            seen[update.operation_id] = (update, _RESULTING_STATUS[action])
        if batch_bytes > self.limits.max_batch_bytes:
            raise _reject(
                f"checkpoint request is {batch_bytes} bytes; the limit is "
                f"{self.limits.max_batch_bytes} bytes"
            )
        if len(record.operations) - 1 + new_ops > self.limits.max_operations:
            raise _reject(
                f"the execution would have more than {self.limits.max_operations} operations"
            )

    def _check_sizes(self, update: OperationUpdate, where: _Where) -> None:
        if update.payload is not None:
            size = len(update.payload.encode())
            limit = self.limits.max_operation_payload_bytes
            if size > limit:
                raise _reject(
                    f"{update.operation_type.value} output payload size must be less than or "
                    f"equal to {limit} bytes (got {size}): {where}"
                )
        if update.error is not None:
            size = _json_size(update.error.to_dict())
            if size > self.limits.max_error_bytes:
                raise _reject(
                    f"error payload is {size} bytes; the limit is "
                    f"{self.limits.max_error_bytes}: {where}"
                )

    def _check_consistent(
        self, update: OperationUpdate, reference: OperationUpdate | Operation, where: _Where
    ) -> None:
        pairs = (
            ("Type", update.operation_type, reference.operation_type),
            ("SubType", update.sub_type, reference.sub_type),
            ("Name", update.name, reference.name),
            ("ParentId", update.parent_id, reference.parent_id),
        )
        for field, new, old in pairs:
            if new is not None and old is not None and new != old:
                raise _reject(
                    f"Inconsistent operation {field}: checkpointed {old!s}, update has {new!s}: "
                    f"{where}"
                )

    def _check_parent(
        self,
        update: OperationUpdate,
        seen: dict[str, tuple[OperationUpdate, OperationStatus | None]],
        where: _Where,
    ) -> None:
        if not update.parent_id:
            return
        parent = self.record.operations.get(update.parent_id)
        parent_type = parent.operation_type if parent else None
        if parent is None and update.parent_id in seen:
            parent_type = seen[update.parent_id][0].operation_type
        if parent_type is not OperationType.CONTEXT:
            raise _reject(f"ParentId {update.parent_id} is not a CONTEXT operation: {where}")

    def _check_content(self, update: OperationUpdate, where: _Where) -> None:
        action = update.action
        if action is OperationAction.FAIL and update.payload is not None:
            raise _reject(f"a FAIL update must not carry a Payload: {where}")
        if action is OperationAction.SUCCEED and update.error is not None:
            raise _reject(f"a SUCCEED update must not carry an Error: {where}")
        if action is OperationAction.RETRY:
            if update.step_options is None:
                raise _reject(f"a RETRY update needs StepOptions: {where}")
            if update.payload is not None and update.error is not None:
                raise _reject(f"a RETRY update carries a Payload or an Error, not both: {where}")
        if (
            update.operation_type is OperationType.WAIT
            and action is OperationAction.START
            and update.wait_options is None
        ):
            raise _reject(f"a WAIT START needs WaitOptions: {where}")

    # -- application ---------------------------------------------------------------------

    def apply(self, updates: list[OperationUpdate]) -> list[Operation]:
        touched: dict[str, Operation] = {}
        now = self.now()  # one call, one moment: every update of the batch is stamped alike
        for update in updates:
            if update.operation_type is OperationType.EXECUTION:
                self.record.checkpointed_outcome = update
                continue
            existing = self.record.operations.get(update.operation_id)
            op = self._apply_one(update, existing, now)
            self.record.operations[op.operation_id] = op
            self.service.after_apply(self.record, op, update)
            touched[op.operation_id] = op
        return list(touched.values())

    def now(self) -> datetime.datetime:
        return self.clock.now_datetime()

    def _apply_one(
        self, update: OperationUpdate, existing: Operation | None, now: datetime.datetime
    ) -> Operation:
        kind = update.operation_type
        action = update.action
        if kind is OperationType.STEP:
            return self._apply_step(update, existing, now)
        status = _RESULTING_STATUS[action]
        op = _operation(update, existing, status, now)
        if kind is OperationType.WAIT:
            return self._apply_wait(op, update, now)
        if kind is OperationType.CONTEXT:
            return self._apply_context(op, update, now)
        if kind is OperationType.CALLBACK:
            return self._apply_callback(op, update, now)
        if kind is OperationType.CHAINED_INVOKE and action is OperationAction.START:
            return self._apply_invoke(op, update, now)
        raise _reject(f"{kind.value} {action.value} is not supported by this service")

    def _event(
        self, op: Operation, suffix: str, details: dict[str, Any], now: datetime.datetime
    ) -> None:
        event(self.record, op, suffix, details, now)

    def _apply_step(
        self, update: OperationUpdate, existing: Operation | None, now: datetime.datetime
    ) -> Operation:
        details = (existing.step_details if existing is not None else None) or _NO_STEP
        action = update.action
        status = _RESULTING_STATUS[action]
        if action is OperationAction.START:
            op = _operation(
                update,
                existing,
                status,
                now,
                step_details=StepDetails(details.attempt, None, details.result, details.error),
            )
            self._event(op, "Started", {}, now)
            return op
        attempt = details.attempt + 1
        retry: dict[str, Any] = {"CurrentAttempt": attempt}
        if action is OperationAction.RETRY:
            delay = update.step_options.next_attempt_delay_seconds if update.step_options else 0
            due = now + datetime.timedelta(seconds=delay)
            op = _operation(
                update,
                existing,
                status,
                now,
                step_details=StepDetails(attempt, due, update.payload, update.error),
            )
            retry["NextAttemptDelaySeconds"] = delay
            if update.error is not None:
                outcome = {"Error": error_details(update.error), "RetryDetails": retry}
                self._event(op, "Failed", outcome, now)
            else:
                outcome = {"Result": result_details(update.payload), "RetryDetails": retry}
                self._event(op, "Succeeded", outcome, now)
            operation_id = op.operation_id
            self.service.timers.add(
                due.timestamp(),
                f"retry of step {op.name or operation_id}",
                lambda: self._step_ready(operation_id),
            )
            return op
        op = _operation(
            update,
            existing,
            status,
            now,
            step_details=StepDetails(attempt, None, update.payload, update.error),
        )
        if action is OperationAction.SUCCEED:
            outcome = {"Result": result_details(update.payload), "RetryDetails": retry}
            self._event(op, "Succeeded", outcome, now)
        else:
            outcome = {"Error": error_details(update.error), "RetryDetails": retry}
            self._event(op, "Failed", outcome, now)
        return op

    def _step_ready(self, operation_id: str) -> None:
        op = self.record.operations.get(operation_id)
        if op is None or op.status is not OperationStatus.PENDING or self.record.is_terminal:
            return
        details = op.step_details or StepDetails()
        self.record.operations[operation_id] = attrs.evolve(
            op,
            status=OperationStatus.READY,
            step_details=attrs.evolve(details, next_attempt_timestamp=None),
        )
        self.service.mark_changed(self.record, operation_id)

    def _apply_wait(
        self, op: Operation, update: OperationUpdate, now: datetime.datetime
    ) -> Operation:
        if update.action is OperationAction.CANCEL:
            details = {"Error": error_details(update.error)} if update.error else {}
            self._event(op, "Cancelled", details, now)
            return op
        seconds = update.wait_options.wait_seconds if update.wait_options else 1
        end = now + datetime.timedelta(seconds=seconds)
        op = attrs.evolve(op, wait_details=WaitDetails(end))
        self._event(op, "Started", {"Duration": seconds, "ScheduledEndTimestamp": end}, now)
        self.service.timers.add(
            end.timestamp(),
            f"end of wait {op.name or op.operation_id} ({seconds}s)",
            lambda: self._wait_ended(op.operation_id, seconds),
        )
        return op

    def _wait_ended(self, operation_id: str, seconds: int) -> None:
        op = self.record.operations.get(operation_id)
        if op is None or op.status is not OperationStatus.STARTED or self.record.is_terminal:
            return
        op = attrs.evolve(op, status=OperationStatus.SUCCEEDED, end_timestamp=self.now())
        self.record.operations[operation_id] = op
        self._event(op, "Succeeded", {"Duration": seconds}, self.now())
        self.service.mark_changed(self.record, operation_id)

    def _apply_context(
        self, op: Operation, update: OperationUpdate, now: datetime.datetime
    ) -> Operation:
        action = update.action
        if action is OperationAction.START:
            self._event(op, "Started", {}, now)
            return op
        replay_children = bool(update.context_options and update.context_options.replay_children)
        op = attrs.evolve(
            op, context_details=ContextDetails(replay_children, update.payload, update.error)
        )
        if action is OperationAction.SUCCEED:
            self._event(op, "Succeeded", {"Result": result_details(update.payload)}, now)
        else:
            self._event(op, "Failed", {"Error": error_details(update.error)}, now)
        return op

    def _apply_callback(
        self, op: Operation, update: OperationUpdate, now: datetime.datetime
    ) -> Operation:
        options = update.callback_options
        callback_id = self.service.new_callback_id(self.record, op.operation_id)
        op = attrs.evolve(op, callback_details=CallbackDetails(callback_id))
        details: dict[str, Any] = {"CallbackId": callback_id}
        # Zero means "no timeout": the optional members are left out, as botocore models them.
        if options is not None and options.timeout_seconds:
            details["Timeout"] = options.timeout_seconds
        if options is not None and options.heartbeat_timeout_seconds:
            details["HeartbeatTimeout"] = options.heartbeat_timeout_seconds
        self._event(op, "Started", details, now)
        return op

    def _apply_invoke(
        self, op: Operation, update: OperationUpdate, now: datetime.datetime
    ) -> Operation:
        options = update.chained_invoke_options
        function_name = options.function_name if options else ""
        target_arn = self.service.start_chained_invoke(
            self.record, op, function_name, update.payload, options.tenant_id if options else None
        )
        details: dict[str, Any] = {
            "FunctionName": function_name,
            "Input": result_details(update.payload),
            "ExecutedVersion": "$LATEST",
            "DurableExecutionArn": target_arn,
        }
        if options is not None and options.tenant_id is not None:
            details["TenantId"] = options.tenant_id
        self._event(op, "Started", details, now)
        return op


_NO_STEP = StepDetails()
_FIELD_NAMES = tuple(a.name for a in attrs.fields(Operation))
_INDEX = {name: index for index, name in enumerate(_FIELD_NAMES)}
_STATUS = _INDEX["status"]
_END = _INDEX["end_timestamp"]
_operation_fields = operator.attrgetter(*_FIELD_NAMES)


def _operation(
    update: OperationUpdate,
    existing: Operation | None,
    status: OperationStatus,
    now: datetime.datetime,
    **details: Any,
) -> Operation:
    """The operation after ``update``: one construction, not a chain of ``evolve`` calls."""
    end = now if status.is_terminal else None
    if existing is None:
        return Operation(
            operation_id=update.operation_id,
            operation_type=update.operation_type,
            status=status,
            parent_id=update.parent_id,
            name=update.name,
            start_timestamp=now,
            end_timestamp=end,
            sub_type=update.sub_type,
            **details,
        )
    # Positional rebuild: about twice as fast as attrs.evolve on this hot path.
    values = list(_operation_fields(existing))
    values[_STATUS] = status
    values[_END] = end
    for name, value in details.items():
        values[_INDEX[name]] = value
    return Operation(*values)


def event(
    record: ExecutionRecord,
    op: Operation,
    suffix: str,
    details: dict[str, Any],
    when: datetime.datetime,
) -> None:
    """Append ``<Type><suffix>`` for ``op`` to the execution's history."""
    record.history.append(f"{_EVENT_PREFIX[op.operation_type]}{suffix}", when, details, op)
