"""The plugins' reporter: turns the facts an invocation reports into hook calls.

It keeps what hooks need beyond the facts: its own map of the operations (updated from every
checkpoint response, so infos can show all operations at a moment), which operations'
ends were already reported (once per operation and execution), and the start of each user
function that is running (its end describes the same run). Infos are built only for hooks
some plugin implements. An invocation with no plugin gets the silent reporter instead and
none of this exists.

Operation maps in infos share the reporter's dict, which is copied before a change only
while such a view is still alive (copy-on-write, see ``_plugins.snapshots``): copying all
operations for every hook would make an execution of N operations cost O(N^2).
"""

from __future__ import annotations

import datetime
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from aws_durable_execution_sdk_python._model.enums import InvocationStatus, OperationStatus
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.info import (
    InvocationEndInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationStartInfo,
    UserFunctionEndInfo,
    UserFunctionOutcome,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python._plugins.manager import PluginDispatcher, build_dispatcher
from aws_durable_execution_sdk_python._plugins.manager import candidates as plugin_candidates
from aws_durable_execution_sdk_python._plugins.snapshots import OperationsSnapshot
from aws_durable_execution_sdk_python._state.reporting import SILENT, ExecutionReporter
from aws_durable_execution_sdk_python.identifier import OperationIdentifier

__all__ = ["PluginReporter", "reporter_for"]

_UTC = datetime.UTC


def reporter_for(
    plugins: Sequence[Any],
    *,
    execution_arn: str,
    request_id: str | None,
    is_first_invocation: bool,
    execution_start_time: datetime.datetime | None,
    operations: Mapping[str, Operation],
    updated_operation_ids: frozenset[str],
) -> ExecutionReporter:
    """The reporter of one invocation: the silent one when no plugin implements a hook.

    Factories are called here, once each, with the invocation's start info.

    Raises:
        ValidationError: a plugin made by a factory is invalid (the invocation fails).
    """
    candidates = plugin_candidates(plugins)
    if not candidates:
        return SILENT  # nothing built, not even the map of operations
    reporter = PluginReporter(
        execution_arn=execution_arn,
        request_id=request_id,
        is_first_invocation=is_first_invocation,
        execution_start_time=execution_start_time,
        operations=operations,
        updated_operation_ids=updated_operation_ids,
    )
    dispatcher = build_dispatcher(candidates, reporter.start_info, execution_arn)
    if dispatcher is None:
        return SILENT
    reporter.listen(dispatcher)
    return reporter


class PluginReporter:
    """Hook calls for the facts of one invocation (see the module docstring)."""

    _plugins: PluginDispatcher

    def __init__(
        self,
        *,
        execution_arn: str,
        request_id: str | None,
        is_first_invocation: bool,
        execution_start_time: datetime.datetime | None,
        operations: Mapping[str, Operation],
        updated_operation_ids: frozenset[str],
    ) -> None:
        self._execution_arn = execution_arn
        self._request_id = request_id
        self._is_first_invocation = is_first_invocation
        self._execution_start_time = execution_start_time
        self._operations: dict[str, Operation] = dict(operations)
        # Checkpointed before this invocation, not by this invocation's own START.
        self._replayed = frozenset(self._operations)
        self._updated = updated_operation_ids
        self._updated_ids = tuple(sorted(updated_operation_ids))
        # Operations whose end was reported (or that ended before this invocation and were
        # not updated since): each end is reported once per execution.
        self._ended = {
            op.operation_id
            for op in self._operations.values()
            if op.status.is_terminal and op.operation_id not in updated_operation_ids
        }
        self._running: dict[str, UserFunctionStartInfo] = {}
        self._views: list[weakref.ref[OperationsSnapshot]] = []
        self._lock = threading.Lock()
        self._start_info: InvocationStartInfo | None = None

    def listen(self, plugins: PluginDispatcher) -> None:
        """Report to ``plugins`` (once they are made, which needs ``start_info``)."""
        self._plugins = plugins
        wants = plugins.wants
        self._wants_operation_start = wants["on_operation_start"]
        self._wants_operation_end = wants["on_operation_end"]
        self._wants_change = wants["on_operation_change"]
        self._wants_user_start = wants["on_user_function_start"]
        self._wants_user_end = wants["on_user_function_end"]
        self._wants_user = self._wants_user_start or self._wants_user_end

    # -- operation maps ------------------------------------------------------------------

    def snapshot(self) -> OperationsSnapshot:
        """The operations as they are now, however long the view is kept."""
        with self._lock:
            view = OperationsSnapshot(self._operations)
            self._views.append(weakref.ref(view))
            return view

    def _merge(self, operations: Sequence[Operation]) -> dict[str, OperationStatus | None]:
        """Take the operations in; their statuses before, when a change hook wants them."""
        previous: dict[str, OperationStatus | None] = {}
        track = self._wants_change
        with self._lock:
            if self._views and any(ref() is not None for ref in self._views):
                # A kept view shares this dict: copy on write so it keeps its moment.
                self._operations = dict(self._operations)
            self._views.clear()
            current = self._operations
            for op in operations:
                if track:
                    old = current.get(op.operation_id)
                    previous[op.operation_id] = old.status if old is not None else None
                current[op.operation_id] = op
        return previous

    # -- invocation ----------------------------------------------------------------------

    def _invocation_fields(self) -> dict[str, Any]:
        return {
            "request_id": self._request_id,
            "execution_arn": self._execution_arn,
            "is_first_invocation": self._is_first_invocation,
            "execution_start_time": self._execution_start_time,
            "operations": self.snapshot(),
            "updated_operation_ids": self._updated_ids,
        }

    def start_info(self) -> InvocationStartInfo:
        """The invocation's start info: one object, for factories and the start hook."""
        if self._start_info is None:
            operations = self._operations
            updated = {
                op_id: operations[op_id] for op_id in self._updated_ids if op_id in operations
            }
            self._start_info = InvocationStartInfo(
                **self._invocation_fields(), updated_operations=OperationsSnapshot(updated)
            )
        return self._start_info

    def invocation_started(self) -> None:
        if self._plugins.wants["on_invocation_start"]:
            self._plugins.emit("on_invocation_start", self.start_info())

    def invocation_ended(self, status: InvocationStatus, error: ErrorObject | None) -> None:
        if self._plugins.wants["on_invocation_end"]:
            info = InvocationEndInfo(**self._invocation_fields(), status=status, error=error)
            self._plugins.emit("on_invocation_end", info)

    def invocation_raised(self, error: BaseException) -> None:
        if self._plugins.wants["on_invocation_end"]:
            self.invocation_ended(InvocationStatus.RETRY, ErrorObject.from_exception(error))

    # -- operations ----------------------------------------------------------------------

    def operation_starting(self, update: OperationUpdate) -> None:
        if not self._wants_operation_start or update.operation_id in self._operations:
            return  # a re-START (a retry): operation_replayed reported this operation
        info = OperationStartInfo(
            operation_id=update.operation_id,
            operation_type=update.operation_type,
            sub_type=update.sub_type,
            name=update.name,
            parent_id=update.parent_id,
            is_replayed=False,
        )
        self._plugins.emit("on_operation_start", info)

    def operation_replayed(self, op: Operation) -> None:
        """Re-report an operation still in flight, or end one that finished while the
        function was suspended (listed as updated); plugins that asked for replay events
        also hear about operations that finished earlier."""
        plugins = self._plugins
        if not op.status.is_terminal:
            if self._wants_operation_start:
                start = OperationStartInfo.from_operation(op, is_replayed=True)
                plugins.emit("on_operation_start", start)
        elif (
            self._wants_operation_end
            and op.operation_id in self._updated
            and self._mark_ended(op.operation_id)
        ):
            plugins.emit("on_operation_end", OperationEndInfo.from_operation(op))
        elif plugins.wants_replay:
            start = OperationStartInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_start", start, replay=True)
            end = OperationEndInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_end", end, replay=True)

    def _mark_ended(self, operation_id: str) -> bool:
        if operation_id in self._ended:
            return False
        self._ended.add(operation_id)  # an operation ends in one thread, once
        return True

    def operations_merged(self, operations: Sequence[Operation]) -> None:
        previous = self._merge(operations)
        plugins = self._plugins
        if self._wants_operation_end:
            for op in operations:
                if op.status.is_terminal and self._mark_ended(op.operation_id):
                    plugins.emit("on_operation_end", OperationEndInfo.from_operation(op))
        if self._wants_change:
            changed = {
                op.operation_id: op
                for op in operations
                if previous.get(op.operation_id) is not op.status
            }
            if changed:
                info = OperationChangeInfo(
                    execution_arn=self._execution_arn,
                    updated_operations=OperationsSnapshot(changed),
                    operations=self.snapshot(),
                )
                plugins.emit("on_operation_change", info)

    # -- user functions ------------------------------------------------------------------

    def user_function_started(self, identifier: OperationIdentifier, attempt: int | None) -> None:
        if not self._wants_user:
            return
        operation_id = identifier.operation_id
        op = self._operations.get(operation_id)
        info = UserFunctionStartInfo(
            operation_id=operation_id,
            operation_type=identifier.operation_type,
            sub_type=identifier.sub_type,
            name=identifier.name,
            parent_id=identifier.parent_id,
            # This run's start: the checkpoint's timestamp (if any) is the operation's first
            # START, and a START that is only queued has none yet.
            start_time=datetime.datetime.now(_UTC),
            is_replayed=operation_id in self._replayed,
            status=OperationStatus.STARTED,
            attempt=attempt,
            is_replay_children=bool(
                op is not None and op.context_details and op.context_details.replay_children
            ),
        )
        if self._wants_user_end:
            self._running[operation_id] = info
        if self._wants_user_start:
            self._plugins.emit("on_user_function_start", info)

    def user_function_ended(
        self, identifier: OperationIdentifier, error: BaseException | None
    ) -> None:
        if not self._wants_user_end:
            return
        start = self._running.pop(identifier.operation_id, None)
        if start is None:
            return  # started before plugins listened: nothing to pair it with
        info = UserFunctionEndInfo(
            operation_id=start.operation_id,
            operation_type=start.operation_type,
            sub_type=start.sub_type,
            name=start.name,
            parent_id=start.parent_id,
            start_time=start.start_time,
            is_replayed=start.is_replayed,
            status=start.status,
            attempt=start.attempt,
            is_replay_children=start.is_replay_children,
            end_time=datetime.datetime.now(_UTC),
            error=None if error is None else ErrorObject.from_exception(error),
            outcome=UserFunctionOutcome.SUCCEEDED if error is None else UserFunctionOutcome.FAILED,
        )
        self._plugins.emit("on_user_function_end", info)
