"""Point-in-time views of an execution's operations, copied only when someone keeps one.

Hooks receive all operations (``InvocationInfo.operations``, ``OperationChangeInfo.
operations``), and a kept info must keep describing its moment. Copying the operations for
every hook would make an execution of N operations cost O(N^2). Instead a view shares the
state's dict, and the state copies that dict before changing it only while a view of it is
still alive (copy-on-write). A plugin that does not keep infos (the usual case) never
causes a copy: the view is gone, by reference counting, as soon as the hook returns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._plugins.info import OperationInfo

__all__ = ["OperationsSnapshot"]


class OperationsSnapshot(Mapping[str, OperationInfo]):
    """Operations by id as ``OperationInfo``, each built when read (most hooks read few)."""

    __slots__ = ("__weakref__", "_operations")

    def __init__(self, operations: Mapping[str, Operation]) -> None:
        self._operations = operations

    def __getitem__(self, key: str) -> OperationInfo:
        return OperationInfo.from_operation(self._operations[key])

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._operations))

    def __len__(self) -> int:
        return len(self._operations)

    def __contains__(self, key: object) -> bool:
        return key in self._operations
