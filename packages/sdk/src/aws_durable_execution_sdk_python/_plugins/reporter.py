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
import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from aws_durable_execution_sdk_python._model.enums import (
    InvocationStatus,
    OperationStatus,
    OperationType,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._model.update import OperationUpdate
from aws_durable_execution_sdk_python._plugins.hookspecs import PROPAGATION_HOOK
from aws_durable_execution_sdk_python._plugins.info import (
    InvocationEndInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationStartInfo,
    PropagationInput,
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
    execution_input: str | None,
    operations: Mapping[str, Operation],
    updated_operation_ids: frozenset[str],
) -> ExecutionReporter:
    """The reporter of one invocation: the silent one when no plugin implements a hook.

    Factories are called here, once each, with the invocation's start info; one that fails
    is logged and left out.
    """
    candidates = plugin_candidates(plugins)
    if not candidates:
        return SILENT  # nothing built, not even the map of operations
    reporter = PluginReporter(
        execution_arn=execution_arn,
        request_id=request_id,
        is_first_invocation=is_first_invocation,
        execution_start_time=execution_start_time,
        execution_input=execution_input,
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
        execution_input: str | None,
        operations: Mapping[str, Operation],
        updated_operation_ids: frozenset[str],
    ) -> None:
        self._execution_arn = execution_arn
        self._execution_input = execution_input
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
        # Operations replay reported as still in flight: once each per invocation.
        self._replay_started: set[str] = set()
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
        self._wants_propagation = wants[PROPAGATION_HOOK]

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

    def _decoded_input(self) -> Any:
        """The execution's input, decoded afresh: each invocation's infos get their own.

        No input is ``{}``, the event the handler receives for it."""
        raw = self._execution_input
        if raw is None or not raw.strip():
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def start_info(self) -> InvocationStartInfo:
        """The invocation's start info: one object, for factories and the start hook."""
        if self._start_info is None:
            operations = self._operations
            updated = {
                op_id: operations[op_id] for op_id in self._updated_ids if op_id in operations
            }
            self._start_info = InvocationStartInfo(
                self._request_id,
                self._execution_arn,
                self._is_first_invocation,
                self._execution_start_time,
                execution_input=self._decoded_input(),
                operations=self.snapshot(),
                updated_operation_ids=self._updated_ids,
                updated_operations=OperationsSnapshot(updated),
            )
        return self._start_info

    def invocation_started(self) -> None:
        if self._plugins.wants["on_invocation_start"]:
            self._plugins.emit("on_invocation_start", self.start_info())

    def invocation_ended(
        self, status: InvocationStatus, error: ErrorObject | None, result: str | None = None
    ) -> None:
        if self._plugins.wants["on_invocation_end"]:
            start = self.start_info()
            info = InvocationEndInfo(
                start.request_id,
                start.execution_arn,
                start.is_first_invocation,
                start.execution_start_time,
                error,
                status=status,
                execution_result=result,
                execution_input=start.execution_input,
                operations=self.snapshot(),
                updated_operation_ids=self._updated_ids,
            )
            self._plugins.emit("on_invocation_end", info)

    def invocation_raised(self, error: BaseException) -> None:
        if self._plugins.wants["on_invocation_end"]:
            self.invocation_ended(InvocationStatus.RETRY, ErrorObject.from_exception(error))

    # -- operations ----------------------------------------------------------------------

    def operation_starting(self, update: OperationUpdate) -> None:
        if not self._wants_operation_start:
            return
        info = OperationStartInfo(
            update.operation_id,
            update.operation_type,
            update.sub_type,
            update.name,
            update.parent_id,
            None,  # no START is acknowledged yet
            # A re-START (a retry of a step or a condition check) starts an operation that
            # already exists.
            update.operation_id in self._operations,
            OperationStatus.STARTED,
        )
        self._plugins.emit("on_operation_start", info)

    def operation_replayed(self, op: Operation) -> None:
        """Re-report an operation still in flight, or end one that finished while the
        function was suspended (listed as updated); plugins that asked for replay events
        also hear about operations that finished earlier."""
        plugins = self._plugins
        operation_id = op.operation_id
        if not op.status.is_terminal:
            if (
                self._wants_operation_start
                and op.status is not OperationStatus.READY
                and operation_id not in self._updated
                and op.operation_type is not OperationType.EXECUTION
                and operation_id not in self._replay_started
            ):
                self._replay_started.add(operation_id)
                start: OperationStartInfo = OperationStartInfo.from_operation(op, is_replayed=True)
                start.attempt = None
                plugins.emit("on_operation_start", start)
        elif (
            self._wants_operation_end
            and operation_id in self._updated
            and self._mark_ended(operation_id)
        ):
            plugins.emit("on_operation_end", OperationEndInfo.from_operation(op))
        elif plugins.wants_replay:
            start = OperationStartInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_start", start, replay=True)
            end = OperationEndInfo.from_operation(op, is_replayed=True)
            plugins.emit("on_operation_end", end, replay=True)

    def checkpointless_ended(
        self, identifier: OperationIdentifier, error: BaseException | None, *, replayed: bool
    ) -> None:
        if not self._wants_operation_end:
            return
        failed = error is not None
        info = OperationEndInfo(
            identifier.operation_id,
            identifier.operation_type,
            identifier.sub_type,
            identifier.name,
            identifier.parent_id,
            None,
            replayed,
            OperationStatus.FAILED if failed else OperationStatus.SUCCEEDED,
            end_time=datetime.datetime.now(_UTC),
            error=None if error is None else ErrorObject.from_exception(error),
        )
        self._plugins.emit("on_operation_end", info)

    def chained_invoke_trace(
        self, identifier: OperationIdentifier, function_name: str
    ) -> str | None:
        if not self._wants_propagation:
            return None
        request = PropagationInput(
            self._execution_arn, identifier.operation_id, function_name, identifier.parent_id
        )
        return self._plugins.propagation(request).x_amzn_trace_id

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
            operation_id,
            identifier.operation_type,
            identifier.sub_type,
            identifier.name,
            identifier.parent_id,
            # This run's start: the checkpoint's timestamp (if any) is the operation's first
            # START, and a START that is only queued has none yet.
            datetime.datetime.now(_UTC),
            False,  # user code runs live, never replayed
            OperationStatus.STARTED,
            bool(op is not None and op.context_details and op.context_details.replay_children),
            attempt=attempt,
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
        if error is None:
            info = UserFunctionEndInfo.from_start_info(start, None)
        elif isinstance(error, Exception):
            info = UserFunctionEndInfo.from_start_info(start, ErrorObject.from_exception(error))
        else:  # cut short: the execution suspends (or the process is going down)
            info = UserFunctionEndInfo.from_start_info(
                start, None, outcome=UserFunctionOutcome.INCOMPLETE
            )
        self._plugins.emit("on_user_function_end", info)
