"""``DurableContext``: the facade user code talks to.

It validates arguments (before any id is consumed or anything checkpointed), gives each
operation its identifier from this context's position, and calls the operation function.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aws_durable_execution_sdk_python._concurrency.batch import BatchResult
from aws_durable_execution_sdk_python._concurrency.executor import (
    BatchKind,
    BatchSettings,
    Unit,
    run_batch,
)
from aws_durable_execution_sdk_python._decorators import original_name
from aws_durable_execution_sdk_python._model.enums import OperationSubType
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._operations.callback import Callback, create_callback
from aws_durable_execution_sdk_python._operations.child import run_child
from aws_durable_execution_sdk_python._operations.enclosing import (
    ENCLOSING_STEP,
    refuse_inside_step,
)
from aws_durable_execution_sdk_python._operations.failures import operation_error
from aws_durable_execution_sdk_python._operations.invoke import run_invoke
from aws_durable_execution_sdk_python._operations.step import run_step
from aws_durable_execution_sdk_python._operations.wait import run_wait
from aws_durable_execution_sdk_python._operations.wait_for_condition import (
    run_wait_for_condition,
)
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python._validation import (
    check_callable,
    check_name,
    check_sync_function,
    refusing_coroutines,
    wait_seconds,
)
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    InvokeConfig,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.exceptions import (
    CallbackError,
    CallbackExternalError,
    CallbackSubmitterError,
    CallbackTimeoutError,
    ChildContextError,
    OrphanedChildException,
    ValidationError,
)
from aws_durable_execution_sdk_python.identifier import (
    OperationIdentifier,
    OperationIdSequence,
    operation_id,
)
from aws_durable_execution_sdk_python.logger import Logger, LoggerInterface
from aws_durable_execution_sdk_python.types import (
    ExecutionContext,
    StepContext,
    WaitForCallbackContext,
    WaitForConditionCheckContext,
)
from aws_durable_execution_sdk_python.waits import WaitForConditionConfig

__all__ = ["DurableContext"]

_SUB_TYPES = frozenset(member.value for member in OperationSubType)

T = TypeVar("T")
U = TypeVar("U")


class DurableContext:
    """The handle a durable handler receives: every durable operation starts here."""

    def __init__(
        self,
        state: ExecutionState,
        lambda_context: Any = None,
        parent_id: str | None = None,
        logger: Logger | None = None,
        *,
        id_prefix: str | None = None,
        stop: threading.Event | None = None,
        execution_context: ExecutionContext | None = None,
        watch: Callable[[str], None] | None = None,
    ) -> None:
        self.state = state
        self.lambda_context = lambda_context
        # Built once by the root context and handed down, so every context shares it.
        self.execution_context = execution_context or ExecutionContext(state.durable_execution_arn)
        self._parent_id = parent_id
        # Ids are prefixed with the owning operation's id; for a FLAT map item that is the
        # item's id while ParentId stays the map's.
        self._ids = OperationIdSequence(id_prefix or parent_id)
        self._stop = stop
        # Told the id of every operation about to run here (a batch item's replay order).
        self._watch = watch
        self._base_logger = logger or Logger(extra={"executionArn": state.durable_execution_arn})
        self._logger = self._base_logger.with_extra(parentId=parent_id).with_is_replaying(
            self.is_replaying
        )

    @property
    def logger(self) -> Logger:
        """Replay-aware: silent while re-walking operations earlier invocations ran."""
        return self._logger

    def set_logger(self, logger: LoggerInterface) -> None:
        """Send this context's records (and its future children's) to another logger."""
        self._base_logger = self._base_logger.with_logger(logger)
        self._logger = self._logger.with_logger(logger)

    def is_replaying(self) -> bool:
        return self._ids.peek_id() in self.state.replayed_ids

    def _identifier(self, sub_type: OperationSubType, name: str | None) -> OperationIdentifier:
        enclosing = ENCLOSING_STEP.get()
        if enclosing is not None:
            refuse_inside_step(enclosing, sub_type.value)
        op_id = self._ids.next_id()
        if self._watch is not None:
            self._watch(op_id)  # may wait for the batch to settle replayed outcomes first
        if self._stop is not None and self._stop.is_set():
            raise OrphanedChildException(
                "the map or parallel this item belongs to has already completed",
                self._parent_id,
            )
        return OperationIdentifier(op_id, sub_type, self._parent_id, name)

    def _child(self, operation_id: str) -> DurableContext:
        return DurableContext(
            self.state,
            self.lambda_context,
            operation_id,
            self._base_logger,
            stop=self._stop,
            execution_context=self.execution_context,
            watch=self._watch,
        )

    def _virtual_child(self, operation_id: str) -> DurableContext:
        return DurableContext(
            self.state,
            self.lambda_context,
            self._parent_id,
            self._base_logger,
            id_prefix=operation_id,
            stop=self._stop,
            execution_context=self.execution_context,
            watch=self._watch,
        )

    def _batch_child(
        self,
        operation_id: str,
        parent_id: str | None,
        stop: threading.Event | None,
        watch: Callable[[str], None] | None = None,
    ) -> DurableContext:
        return DurableContext(
            self.state,
            self.lambda_context,
            parent_id or operation_id,
            self._base_logger,
            id_prefix=operation_id,
            stop=stop or self._stop,
            execution_context=self.execution_context,
            watch=_both(watch, self._watch),
        )

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        """Run ``func`` once and checkpoint its result; on replay, return the stored result.

        Raises:
            StepError: the step failed for good; also an instance of the original
                exception's class, so ``except ValueError`` works too.
            ValidationError: ``func`` is not callable, ``name`` is empty, ``config`` wrong.
        """
        check_callable(func, "step")
        name = check_name(name, "step") or original_name(func)
        if config is not None and not isinstance(config, StepConfig):
            raise ValidationError(f"step(config={config!r}): expected a StepConfig")
        identifier = self._identifier(OperationSubType.STEP, name)
        body = refusing_coroutines(func, _where("step", name))
        return run_step(self.state, identifier, body, config, self._logger)

    def wait(self, duration: Duration | int, name: str | None = None) -> None:
        """Suspend the execution for ``duration`` (at least 1 s) without paying for idle time.

        Raises:
            ValidationError: the duration is under 1 second or over a year, or the name is empty.
        """
        seconds = wait_seconds(duration, "wait")
        name = check_name(name, "wait")
        run_wait(self.state, self._identifier(OperationSubType.WAIT, name), seconds)

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[T] | None = None,
    ) -> T:
        """Run ``func`` with a child context: its operations are grouped under one operation.

        Raises:
            ChildContextError: ``func`` failed (also an instance of the original class).
        """
        check_callable(func, "run_in_child_context")
        name = check_name(name, "run_in_child_context") or original_name(func)
        if config is not None and not isinstance(config, ChildConfig):
            raise ValidationError(
                f"run_in_child_context(config={config!r}): expected a ChildConfig"
            )
        sub_type = (config.sub_type if config else None) or OperationSubType.RUN_IN_CHILD_CONTEXT
        if sub_type not in _SUB_TYPES:
            raise ValidationError(
                f"run_in_child_context(config=ChildConfig(sub_type={sub_type!r})): the subtype "
                f"must be one of {', '.join(sorted(_SUB_TYPES))} (OperationSubType)"
            )
        identifier = self._identifier(OperationSubType(sub_type), name)
        body = refusing_coroutines(func, _where("run_in_child_context", name))
        # A virtual child has no checkpoint of its own: its operations keep this context's
        # parent id, while their ids are still prefixed with the child's.
        make_context = self._virtual_child if config and config.is_virtual else self._child
        return run_child(self.state, identifier, body, config, make_context)

    def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Create a callback an outside system answers; ``callback.result()`` waits for it.

        Raises:
            ValidationError: the name is empty or the config is not a ``CallbackConfig``.
        """
        name = check_name(name, "create_callback")
        if config is not None and not isinstance(config, CallbackConfig):
            raise ValidationError(f"create_callback(config={config!r}): expected a CallbackConfig")
        identifier = self._identifier(OperationSubType.CALLBACK, name)
        return create_callback(self.state, identifier, config)

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], Any] | Callback[Any],
        name: str | None = None,
        config: WaitForCallbackConfig | CallbackConfig | None = None,
    ) -> Any:
        """Wait for a callback's answer.

        Two forms: ``wait_for_callback(callback)`` with a ``Callback`` from
        ``create_callback`` (the user guide's form) returns its result; and
        ``wait_for_callback(submitter, name=, config=)`` creates a callback, runs
        ``submitter(callback_id, ctx)`` as a step (to hand the id to the outside system),
        then waits, all inside one ``WaitForCallback`` context.

        Raises:
            CallbackTimeoutError, CallbackExternalError: the callback timed out or failed.
            CallbackSubmitterError: the submitter step failed.
        """
        if isinstance(submitter, Callback):
            return submitter.result()
        check_callable(submitter, "wait_for_callback", "submitter")
        name = check_name(name, "wait_for_callback") or original_name(submitter)
        if config is not None and not isinstance(config, CallbackConfig):
            raise ValidationError(
                f"wait_for_callback(config={config!r}): expected a WaitForCallbackConfig"
            )
        prefix = f"{name} " if name else ""
        notify = refusing_coroutines(submitter, _where("wait_for_callback", name))
        retry_strategy = getattr(config, "retry_strategy", None)
        step_config = (
            StepConfig(retry_strategy=retry_strategy, serdes=config.serdes) if config else None
        )

        def wait_inside(child: DurableContext) -> Any:
            callback = child.create_callback(name=f"{prefix}create callback id", config=config)

            def submit(step_context: StepContext) -> None:
                notify(callback.callback_id, WaitForCallbackContext(logger=step_context.logger))

            child.step(submit, name=f"{prefix}submitter", config=step_config)
            return callback.result()

        identifier = self._identifier(OperationSubType.WAIT_FOR_CALLBACK, name)
        try:
            return run_child(
                self.state,
                identifier,
                wait_inside,
                ChildConfig(sub_type=OperationSubType.WAIT_FOR_CALLBACK),
                self._child,
            )
        except ChildContextError as error:
            raise _callback_failure(error, self.state, identifier.operation_id) from error

    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        name: str | None = None,
        config: InvokeConfig[Any] | None = None,
    ) -> Any:
        """Invoke another durable function and return its result (chained invoke).

        Raises:
            InvokeError: the target failed, timed out or was stopped.
        """
        if not isinstance(function_name, str) or not function_name:
            raise ValidationError(
                f"invoke(function_name={function_name!r}): expected a function name or ARN"
            )
        name = check_name(name, "invoke")
        if config is not None and not isinstance(config, InvokeConfig):
            raise ValidationError(f"invoke(config={config!r}): expected an InvokeConfig")
        identifier = self._identifier(OperationSubType.CHAINED_INVOKE, name)
        return run_invoke(self.state, identifier, function_name, payload, config)

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        """Poll ``check`` until the config's wait strategy says stop; waits are durable.

        Raises:
            WaitForConditionError: the check failed or the strategy ran out of attempts.
        """
        check_callable(check, "wait_for_condition", "check")
        if not isinstance(config, WaitForConditionConfig):
            raise ValidationError(
                f"wait_for_condition(config={config!r}): expected a WaitForConditionConfig"
            )
        name = check_name(name, "wait_for_condition")
        identifier = self._identifier(OperationSubType.WAIT_FOR_CONDITION, name)
        checked = refusing_coroutines(check, _where("wait_for_condition", name))
        return run_wait_for_condition(self.state, identifier, checked, config, self._logger)

    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig[U] | None = None,
    ) -> BatchResult[T]:
        """Run ``func(child_context, item, index, items)`` for every item, each in its own
        child context, at most ``config.max_concurrency`` at a time.

        Item failures do not raise: inspect the ``BatchResult`` or call ``throw_if_error()``.

        Raises:
            ValidationError: bad arguments or a completion config the items cannot meet.
        """
        if isinstance(inputs, str | bytes) or not isinstance(inputs, Sequence):
            raise ValidationError(f"map(inputs={inputs!r}): expected a sequence of items")
        check_callable(func, "map")
        name = check_name(name, "map") or original_name(func)
        if config is not None and not isinstance(config, MapConfig):
            raise ValidationError(f"map(config={config!r}): expected a MapConfig")
        config = config or MapConfig()
        config.completion_config.validate_for_total(len(inputs))
        items = list(inputs)
        namer = config.item_namer
        units = [
            Unit(
                index,
                check_name(namer(item, index), "map item_namer") if namer else f"map-item-{index}",
                _map_item(func, item, index, items),
            )
            for index, item in enumerate(items)
        ]
        settings = BatchSettings.of(BatchKind.MAP, config)
        identifier = self._identifier(OperationSubType.MAP, name)
        return run_batch(self.state, identifier, units, settings, self._batch_child)

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Run each branch in its own child context, at most ``max_concurrency`` at a time.

        Raises:
            ValidationError: a branch is not callable, or the config is invalid.
        """
        if isinstance(functions, str | bytes) or not isinstance(functions, Sequence):
            raise ValidationError(f"parallel(functions={functions!r}): expected a sequence")
        for index, branch in enumerate(functions):
            check_callable(branch, "parallel", f"functions[{index}]")
            if isinstance(branch, ParallelBranch):
                check_sync_function(branch.func, f"parallel(functions[{index}]={branch!r})")
        name = check_name(name, "parallel")
        if config is not None and not isinstance(config, ParallelConfig):
            raise ValidationError(f"parallel(config={config!r}): expected a ParallelConfig")
        config = config or ParallelConfig()
        config.completion_config.validate_for_total(len(functions))
        units = []
        for index, branch in enumerate(functions):
            branch_name = branch.name if isinstance(branch, ParallelBranch) else None
            if branch_name is None:
                branch_name = f"parallel-branch-{index}"
            where = f"parallel branch {branch_name!r}" if branch_name else "parallel branch"
            units.append(Unit(index, branch_name or None, refusing_coroutines(branch, where)))
        settings = BatchSettings.of(BatchKind.PARALLEL, config)
        identifier = self._identifier(OperationSubType.PARALLEL, name)
        return run_batch(self.state, identifier, units, settings, self._batch_child)


def _both(
    first: Callable[[str], None] | None, second: Callable[[str], None] | None
) -> Callable[[str], None] | None:
    """One watch telling both (an item of a batch nested in another batch's item)."""
    if first is None or second is None:
        return first or second

    def watch(op_id: str) -> None:
        first(op_id)
        second(op_id)

    return watch


def _map_item(
    func: Callable[[DurableContext, U, int, Sequence[U]], T], item: U, index: int, items: list[U]
) -> Callable[[DurableContext], T]:
    body = refusing_coroutines(func, f"map item {index}")

    def run(child: DurableContext) -> T:
        return body(child, item, index, items)

    return run


def _where(operation: str, name: str | None) -> str:
    return f"{operation} {name!r}" if name else operation


def _callback_failure(
    error: ChildContextError, state: ExecutionState, context_id: str
) -> CallbackError:
    """A failed ``wait_for_callback`` raises the callback's error, or the submitter's.

    The same on first run and replay: both see the context's rebuilt ``ChildContextError``,
    which is also an instance of the recorded callback error class when a callback failed.
    """
    callback_op = state.get(operation_id(context_id, 1))
    details = callback_op.callback_details if callback_op is not None else None
    callback_id = details.callback_id if details else None
    for kind in (
        CallbackTimeoutError,
        CallbackExternalError,
        CallbackSubmitterError,
        CallbackError,
    ):
        if isinstance(error, kind):
            return kind(error.message, None, error.data, error.stack_trace, callback_id=callback_id)
    # The submitter's own error: also an instance of its original class (a ValidationError
    # stays one), built like any failed operation's (docs/decisions.md, "A failed step
    # raises its original error"), but recorded as a CallbackSubmitterError: uncaught, it
    # ends the execution with CALLBACK_ERROR.
    failure = operation_error(
        CallbackSubmitterError,
        ErrorObject.from_exception(error),
        context_id,
        cause=error,
        recorded_as=CallbackSubmitterError.__name__,
    )
    assert isinstance(failure, CallbackSubmitterError)  # the builder's base class, always
    failure.callback_id = callback_id
    return failure
