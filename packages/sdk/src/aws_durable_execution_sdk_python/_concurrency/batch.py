"""``BatchResult``: what ``map`` and ``parallel`` return, item by item, in index order."""

from __future__ import annotations

import enum
from typing import Any, Generic, TypeVar

import attrs

from aws_durable_execution_sdk_python._concurrency.policy import (
    CompletionPolicy,
    CompletionReason,
)
from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python._operations.failures import operation_error
from aws_durable_execution_sdk_python.config import CompletionConfig
from aws_durable_execution_sdk_python.exceptions import ChildContextError
from aws_durable_execution_sdk_python.serdes import (
    TYPE_TOKEN,
    VALUE_TOKEN,
    from_envelope,
    register_extended_type,
    to_envelope,
)

__all__ = ["BatchItem", "BatchItemStatus", "BatchResult", "CompletionReason"]

T = TypeVar("T")


class BatchItemStatus(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    # Started (admitted into a free slot) but not finished when the batch completed.
    STARTED = "STARTED"


@attrs.frozen
class BatchItem(Generic[T]):
    index: int
    status: BatchItemStatus
    result: T | None = None
    error: ErrorObject | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "status": self.status.value,
            "result": self.result,
            "error": self.error.to_dict() if self.error is not None else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchItem[Any]:
        error = data.get("error")
        return cls(
            int(data["index"]),
            BatchItemStatus(data["status"]),
            data.get("result"),
            ErrorObject.from_dict(error) if error else None,
        )


def _indexes(value: Any) -> tuple[int, ...]:
    return tuple(sorted(int(i) for i in value))


@attrs.frozen
class BatchResult(Generic[T]):
    """Every started item, in index order, and why the batch completed.

    ``all`` holds the started items only (``total_count`` counts them, as the existing SDK
    does); the items the batch never started, because it completed first, are listed in
    ``not_started_indexes``. An item starts when the batch admits it into a free slot, in
    index order, whether or not its function got to run before the batch completed: so the
    counts follow from the items' outcomes, never from thread scheduling (docs/decisions.md,
    "Batch items: started when admitted, never-started ones listed").
    """

    all: list[BatchItem[T]]
    completion_reason: CompletionReason
    not_started_indexes: tuple[int, ...] = attrs.field(default=(), converter=_indexes)

    def succeeded(self) -> list[BatchItem[T]]:
        return [
            i for i in self.all if i.status is BatchItemStatus.SUCCEEDED and i.result is not None
        ]

    def failed(self) -> list[BatchItem[T]]:
        return [i for i in self.all if i.status is BatchItemStatus.FAILED and i.error is not None]

    def started(self) -> list[BatchItem[T]]:
        return [i for i in self.all if i.status is BatchItemStatus.STARTED]

    def get_results(self) -> list[T]:
        """Results of the succeeded items, in index order (``None`` results skipped)."""
        return [i.result for i in self.succeeded() if i.result is not None]

    def get_errors(self) -> list[ErrorObject]:
        return [i.error for i in self.failed() if i.error is not None]

    def throw_if_error(self) -> None:
        """Raise the first failed item's error as ``ChildContextError``.

        It is also an instance of the item's original exception class when that class can
        be found, as for a failed step.
        """
        for item in self.all:
            if item.status is BatchItemStatus.FAILED:
                raise operation_error(ChildContextError, item.error, str(item.index))

    @property
    def status(self) -> BatchItemStatus:
        return BatchItemStatus.FAILED if self.has_failure else BatchItemStatus.SUCCEEDED

    @property
    def has_failure(self) -> bool:
        return any(i.status is BatchItemStatus.FAILED for i in self.all)

    @property
    def success_count(self) -> int:
        return sum(1 for i in self.all if i.status is BatchItemStatus.SUCCEEDED)

    @property
    def failure_count(self) -> int:
        return sum(1 for i in self.all if i.status is BatchItemStatus.FAILED)

    @property
    def started_count(self) -> int:
        return sum(1 for i in self.all if i.status is BatchItemStatus.STARTED)

    @property
    def total_count(self) -> int:
        """The started items (the length of ``all``); never-started ones are not counted."""
        return len(self.all)

    @property
    def not_started_count(self) -> int:
        return len(self.not_started_indexes)

    @property
    def item_count(self) -> int:
        """Every item the batch was given: started plus never started."""
        return len(self.all) + len(self.not_started_indexes)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "all": [item.to_dict() for item in self.all],
            "completionReason": self.completion_reason.value,
        }
        # Only when there are some, so results of batches that started everything keep the
        # existing SDK's two-key form.
        if self.not_started_indexes:
            data["notStartedIndexes"] = list(self.not_started_indexes)
        return data

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], completion_config: CompletionConfig | None = None
    ) -> BatchResult[Any]:
        items = [BatchItem.from_dict(item) for item in data.get("all") or []]
        not_started = data.get("notStartedIndexes") or ()
        reason = data.get("completionReason")
        if reason is None:
            inferred = cls.from_items(items, completion_config)
            return cls(items, inferred.completion_reason, not_started)
        return cls(items, CompletionReason(reason), not_started)

    @classmethod
    def from_items(
        cls, items: list[BatchItem[Any]], completion_config: CompletionConfig | None = None
    ) -> BatchResult[Any]:
        """Infer the completion reason when only the items are known."""
        policy = CompletionPolicy(completion_config or CompletionConfig(), len(items))
        successes = sum(1 for i in items if i.status is BatchItemStatus.SUCCEEDED)
        failures = sum(1 for i in items if i.status is BatchItemStatus.FAILED)
        return cls(items, policy.reason(successes, failures))


def _encode(result: BatchResult[Any]) -> Any:
    return to_envelope(result.to_dict())[VALUE_TOKEN]


def _decode(value: Any) -> BatchResult[Any]:
    return BatchResult.from_dict(from_envelope({TYPE_TOKEN: "m", VALUE_TOKEN: value}))


register_extended_type("br", BatchResult, _encode, _decode)
