"""``DurableContext``: the facade user code talks to.

It validates arguments (before any id is consumed or anything checkpointed), gives each
operation its identifier from this context's position, and calls the operation function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aws_durable_execution_sdk_python._model.enums import OperationSubType
from aws_durable_execution_sdk_python._operations.step import run_step
from aws_durable_execution_sdk_python._operations.wait import run_wait
from aws_durable_execution_sdk_python._state.execution_state import ExecutionState
from aws_durable_execution_sdk_python._validation import check_callable, check_name, wait_seconds
from aws_durable_execution_sdk_python.config import Duration, StepConfig
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.identifier import OperationIdentifier, OperationIdSequence
from aws_durable_execution_sdk_python.logger import Logger, LoggerInterface
from aws_durable_execution_sdk_python.types import StepContext

__all__ = ["DurableContext"]

T = TypeVar("T")


class DurableContext:
    """The handle a durable handler receives: every durable operation starts here."""

    def __init__(
        self,
        state: ExecutionState,
        lambda_context: Any = None,
        parent_id: str | None = None,
        logger: Logger | None = None,
    ) -> None:
        self.state = state
        self.lambda_context = lambda_context
        self._parent_id = parent_id
        self._ids = OperationIdSequence(parent_id)
        base = logger or Logger(extra={"executionArn": state.durable_execution_arn})
        self._logger = base.with_extra(parentId=parent_id).with_is_replaying(self.is_replaying)

    @property
    def logger(self) -> Logger:
        """Replay-aware: silent while re-walking operations earlier invocations ran."""
        return self._logger

    def set_logger(self, logger: LoggerInterface) -> None:
        self._logger = self._logger.with_logger(logger)

    def is_replaying(self) -> bool:
        return self._ids.peek_id() in self.state.replayed_ids

    def _identifier(self, sub_type: OperationSubType, name: str | None) -> OperationIdentifier:
        return OperationIdentifier(self._ids.next_id(), sub_type, self._parent_id, name)

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
        name = check_name(name, "step") or getattr(func, "_original_name", None)
        if config is not None and not isinstance(config, StepConfig):
            raise ValidationError(f"step(config={config!r}): expected a StepConfig")
        identifier = self._identifier(OperationSubType.STEP, name)
        return run_step(self.state, identifier, func, config, self._logger)

    def wait(self, duration: Duration | int, name: str | None = None) -> None:
        """Suspend the execution for ``duration`` (at least 1 s) without paying for idle time.

        Raises:
            ValidationError: the duration is under 1 second or over a year, or the name is empty.
        """
        seconds = wait_seconds(duration, "wait")
        name = check_name(name, "wait")
        run_wait(self.state, self._identifier(OperationSubType.WAIT, name), seconds)
