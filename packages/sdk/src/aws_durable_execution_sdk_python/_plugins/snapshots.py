"""Point-in-time views of an execution's operations, without copying them per hook.

Hooks receive all operations (``InvocationInfo.operations``, ``OperationChangeInfo.
operations``); a kept info must keep describing its moment. Copying the operations for every
checkpoint would make an execution of N operations cost O(N^2). Instead every version of
every operation is kept once, with the version it appeared at (operations are never
removed), and a view is a version number: lookups bisect one operation's short history.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Iterator, Mapping

from aws_durable_execution_sdk_python._model.operation import Operation
from aws_durable_execution_sdk_python._plugins.info import OperationInfo

__all__ = ["OperationLog", "OperationsAt", "OperationsSnapshot"]


class OperationsSnapshot(Mapping[str, OperationInfo]):
    """A copy of the operations by id (cheap, in C), each ``OperationInfo`` built when read:
    for infos made once per invocation."""

    __slots__ = ("_operations",)

    def __init__(self, operations: Mapping[str, Operation]) -> None:
        self._operations = dict(operations)

    def __getitem__(self, key: str) -> OperationInfo:
        return OperationInfo.from_operation(self._operations[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._operations)

    def __len__(self) -> int:
        return len(self._operations)

    def __contains__(self, key: object) -> bool:
        return key in self._operations


class OperationLog:
    """Every version of every operation, appended as checkpoint responses arrive."""

    def __init__(self, operations: Iterable[Operation] = ()) -> None:
        self._lock = threading.Lock()
        self.version = 0
        self._order: list[str] = []  # ids in first-seen order
        self._count_at: list[int] = [0]  # number of ids known at each version
        self._versions: dict[str, tuple[list[int], list[Operation]]] = {}
        self.record(operations)

    def record(self, operations: Iterable[Operation]) -> int:
        """Add a new version holding ``operations``; returns it."""
        with self._lock:
            self.version += 1
            for op in operations:
                entry = self._versions.get(op.operation_id)
                if entry is None:
                    self._versions[op.operation_id] = ([self.version], [op])
                    self._order.append(op.operation_id)
                else:
                    entry[0].append(self.version)
                    entry[1].append(op)
            self._count_at.append(len(self._order))
            return self.version

    def view(self) -> OperationsAt:
        return OperationsAt(self, self.version)

    def get(self, operation_id: str, version: int) -> Operation | None:
        entry = self._versions.get(operation_id)
        if entry is None:
            return None
        index = bisect.bisect_right(entry[0], version) - 1
        return entry[1][index] if index >= 0 else None

    def ids(self, version: int) -> list[str]:
        return self._order[: self._count_at[version]]


class OperationsAt(Mapping[str, OperationInfo]):
    """The operations as they were at one version, each ``OperationInfo`` built when read."""

    __slots__ = ("_log", "_version")

    def __init__(self, log: OperationLog, version: int) -> None:
        self._log = log
        self._version = version

    def __getitem__(self, key: str) -> OperationInfo:
        op = self._log.get(key, self._version)
        if op is None:
            raise KeyError(key)
        return OperationInfo.from_operation(op)

    def __iter__(self) -> Iterator[str]:
        return iter(self._log.ids(self._version))

    def __len__(self) -> int:
        return len(self._log.ids(self._version))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._log.get(key, self._version) is not None
