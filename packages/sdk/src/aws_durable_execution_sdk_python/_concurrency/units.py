"""The values the map/parallel engine works with: batch kinds, settings, item units.

Kept apart from the engine so that the engine and its entry point (``executor``) share them
without importing each other.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from typing import Any, Protocol

import attrs

from aws_durable_execution_sdk_python._model.enums import (
    OperationSubType,
)
from aws_durable_execution_sdk_python.config import (
    CompletionConfig,
    MapConfig,
    NestingType,
    ParallelConfig,
)
from aws_durable_execution_sdk_python.serdes import SerDes
from aws_durable_execution_sdk_python.types import DurableContext

__all__ = ["BatchKind", "BatchSettings", "ContextFactory", "Outcome", "Unit"]


class ContextFactory(Protocol):
    """Builds the context an item runs with: its operation id, the parent id its operations
    carry (``None``: the item's own id), the event that tells it the batch is done and the
    watch told the id of each operation it is about to run (``None``: nobody asks)."""

    def __call__(
        self,
        operation_id: str,
        parent_id: str | None,
        stop: threading.Event | None,
        watch: Callable[[str], None] | None = None,
        /,
    ) -> DurableContext: ...


class BatchKind(enum.Enum):
    """Map or parallel: the sub-type of each item's context and the summary's type name."""

    MAP = "Map"
    PARALLEL = "Parallel"

    @property
    def item_sub_type(self) -> OperationSubType:
        if self is BatchKind.MAP:
            return OperationSubType.MAP_ITERATION
        return OperationSubType.PARALLEL_BRANCH


class Outcome(enum.Enum):
    """How running one item ended, as far as the batch is concerned."""

    SUCCEEDED = enum.auto()
    FAILED = enum.auto()  # a ChildContextError: the item's own failure, recorded
    SUSPENDED = enum.auto()  # keeps its slot; the batch suspends unless it completes
    ABANDONED = enum.auto()  # started, told to stop (or ran on) after the batch completed
    FATAL = enum.auto()  # anything else: the batch itself fails with it


@attrs.frozen
class Unit:
    """One item or branch: its index, its name and the function to run in its context."""

    index: int
    name: str | None
    func: Callable[[Any], Any]


@attrs.frozen
class BatchSettings:
    kind: BatchKind
    max_concurrency: int | None
    completion: CompletionConfig
    serdes: SerDes[Any] | None
    item_serdes: SerDes[Any] | None
    summary_generator: Callable[[Any], str] | None
    nesting: NestingType

    @property
    def item_sub_type(self) -> OperationSubType:
        return self.kind.item_sub_type

    @classmethod
    def of(cls, kind: BatchKind, config: MapConfig[Any] | ParallelConfig) -> BatchSettings:
        """From a ``MapConfig`` or ``ParallelConfig`` (they share these fields)."""
        return cls(
            kind,
            config.max_concurrency,
            config.completion_config,
            config.serdes,
            config.item_serdes,
            config.summary_generator,
            config.nesting_type,
        )
