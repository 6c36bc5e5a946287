"""One durable handler, with its instrumentation plugin(s), per plugin (10-x) requirement.

Each plugin logs the JSON records its requirement describes through the stdlib logger
``conformance.plugin``: the message is the JSON text and the record carries the fields as
extras too (``durableExecutionArn`` among them: the execution ARN captured from the
invocation-start info), so the ``ExpectedLogs`` matcher finds them in pytest's caplog.
Requirement hook names map to ours: invocation-start/end -> ``on_invocation_start/end``,
operation-start/end/change -> ``on_operation_start/end/change``, attempt-start/end and
fn-start -> ``on_user_function_start/end``. "Canonical dumps" (10-19, 10-20, 10-22, 10-23)
map every field of our info types to the canonical camelCase name, omitting unset ones.
"""

from __future__ import annotations

import datetime
import enum
import json
import logging
from typing import Any

import attrs

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import (
    JitterStrategy,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
)
from aws_durable_execution_sdk_python.lambda_service import OperationType
from aws_durable_execution_sdk_python.plugin import DurableInstrumentationPlugin
from aws_durable_execution_sdk_python.retries import (
    RetryPresets,
    RetryStrategyConfig,
    create_retry_strategy,
)

__all__ = ["HANDLERS", "PLUGIN_LOGGER", "PluginFault"]

PLUGIN_LOGGER = "conformance.plugin"
_log = logging.getLogger(PLUGIN_LOGGER)
# Attributes every LogRecord has: such fields travel in the JSON message only.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2, initial_delay_seconds=1, jitter_strategy=JitterStrategy.NONE
        )
    )
)

STEP, WAIT, CONTEXT = OperationType.STEP, OperationType.WAIT, OperationType.CONTEXT


class PluginFault(RuntimeError):
    """What the faulty plugins raise from every hook."""


def token(value: Any) -> str | None:
    """An enum's token, upper-cased (``SUCCEEDED``, ``STEP``); ``None`` stays ``None``."""
    if value is None:
        return None
    return str(value.value if isinstance(value, enum.Enum) else value).upper()


# -- the plugins ---------------------------------------------------------------------------


class ConfPlugin(DurableInstrumentationPlugin):
    """Base: captures the ARN at invocation start and stamps it on every record it logs."""

    def __init__(self, label: str = "CONFPLUGIN") -> None:
        self.label = label
        self.arn: str | None = None

    def on_invocation_start(self, info: Any) -> None:
        self.arn = info.execution_arn

    def emit(self, hook: str, **fields: Any) -> None:
        record = {"plugin": self.label, "hook": hook, **fields}
        record["durableExecutionArn"] = self.arn
        extra = {k: v for k, v in record.items() if k not in _RESERVED}
        _log.info(json.dumps(record), extra=extra)


class InvocationPlugin(ConfPlugin):
    """invocation-start ``first``; invocation-end ``status`` (10-1, 10-5, 10-7), and with
    ``tag_end`` also ``first`` (from the end info) and ``terminal`` (10-16)."""

    def __init__(self, label: str = "CONFPLUGIN", *, tag_end: bool = False) -> None:
        super().__init__(label)
        self.tag_end = tag_end

    def on_invocation_start(self, info: Any) -> None:
        super().on_invocation_start(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info: Any) -> None:
        status = token(info.status)
        if self.tag_end:
            terminal = status in ("SUCCEEDED", "FAILED")
            self.emit("invocation-end", first=info.is_first_invocation, terminal=terminal,
                      status=status)  # fmt: skip
        else:
            self.emit("invocation-end", status=status)


# The per-operation fields the operation plugins log, from an operation info.
OP_FIELDS: dict[str, Any] = {
    "op": lambda info: info.operation_id,
    "type": lambda info: token(info.operation_type),
    "status": lambda info: token(info.status),
    "parent": lambda info: info.parent_id or "NONE",
    "replay": lambda info: info.is_replayed,
    "result": lambda info: "NONE" if info.result is None else info.result,
    "error": lambda info: info.error.message if info.error is not None else "NONE",
}


class OperationPlugin(ConfPlugin):
    """operation-start / operation-end records with the chosen ``OP_FIELDS`` (10-2 ... 10-14),
    for operations of type ``kind`` (all when ``None``); a hook with no fields is not logged."""

    def __init__(
        self,
        kind: OperationType | None,
        start: tuple[str, ...] = (),
        end: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.kind, self.start, self.end = kind, start, end

    def _log_op(self, hook: str, names: tuple[str, ...], info: Any) -> None:
        if names and self.kind in (None, info.operation_type):
            self.emit(hook, **{name: OP_FIELDS[name](info) for name in names})

    def on_operation_start(self, info: Any) -> None:
        self._log_op("operation-start", self.start, info)

    def on_operation_end(self, info: Any) -> None:
        self._log_op("operation-end", self.end, info)


class FaultyPlugin(ConfPlugin):
    """Every hook logs ``{"plugin", "hook"}`` then raises (10-4, 10-17); operation and attempt
    hooks only for steps."""

    def _fault(self, hook: str, info: Any = None) -> None:
        if info is not None and info.operation_type is not STEP:
            return
        self.emit(hook)
        raise PluginFault(f"{self.label} fails in {hook}")

    def on_invocation_start(self, info: Any) -> None:
        super().on_invocation_start(info)
        self._fault("invocation-start")

    def on_invocation_end(self, info: Any) -> None:
        self._fault("invocation-end")

    def on_operation_start(self, info: Any) -> None:
        self._fault("operation-start", info)

    def on_operation_end(self, info: Any) -> None:
        self._fault("operation-end", info)

    def on_user_function_start(self, info: Any) -> None:
        self._fault("attempt-start", info)

    def on_user_function_end(self, info: Any) -> None:
        self._fault("attempt-end", info)


class HealthyPlugin(ConfPlugin):
    """The healthy plugin of 10-17: every lifecycle hook, step operations only."""

    def on_invocation_start(self, info: Any) -> None:
        super().on_invocation_start(info)
        self.emit("invocation-start", first=info.is_first_invocation)

    def on_invocation_end(self, info: Any) -> None:
        self.emit("invocation-end", status=token(info.status))

    def on_operation_start(self, info: Any) -> None:
        if info.operation_type is STEP:
            self.emit("operation-start", op=info.operation_id)

    def on_operation_end(self, info: Any) -> None:
        if info.operation_type is STEP:
            self.emit("operation-end", op=info.operation_id, status=token(info.status))

    def on_user_function_start(self, info: Any) -> None:
        if info.operation_type is STEP:
            self.emit("attempt-start", op=info.operation_id)

    def on_user_function_end(self, info: Any) -> None:
        if info.operation_type is STEP:
            self.emit("attempt-end", op=info.operation_id, outcome=token(info.outcome))


class ChangePlugin(ConfPlugin):
    """10-8: one record per step in a change's updated-operations delta."""

    def on_operation_change(self, info: Any) -> None:
        for op_id, item in info.updated_operations.items():
            if item.operation_type is STEP:
                self.emit("operation-change", op=op_id, status=token(item.status),
                          in_full_map=op_id in info.operations)  # fmt: skip


# -- canonical dumps -------------------------------------------------------------------------

# Our info fields whose canonical name is not their camelCase form.
RENAMED = {
    "operation_id": "id",
    "operation_type": "type",
    "is_replayed": "isReplay",
    "is_replay_children": "isReplayingChildren",
    "execution_start_time": "executionStartTimestamp",
    "start_time": "startTimestamp",
    "end_time": "endTimestamp",
    "operations": "operationsCount",
    "updated_operation_ids": "updatedOperationsCount",
    "updated_operations": "updatedOperationsCount",
}
# Tokens dumped upper-cased (10-20); sub types as the SDK reports them (10-23).
UPPER = {"operation_type", "status", "outcome"}
COLLECTIONS = {"operations", "updated_operation_ids", "updated_operations"}


def camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


def canonical(info: Any) -> dict[str, Any]:
    """An info as the requirement's canonical record: camelCase names, unset fields omitted,
    collections as counts, timestamps ISO-8601, errors as their message, tokens upper-case."""
    out: dict[str, Any] = {}
    for field in attrs.fields(type(info)):
        value = getattr(info, field.name)
        if value is None:
            continue
        if field.name in COLLECTIONS:
            value = len(value)
        elif isinstance(value, datetime.datetime):
            value = value.isoformat()
        elif field.name == "error":
            value = value.message
        elif field.name in UPPER:
            value = token(value)
        elif isinstance(value, enum.Enum):
            value = value.value
        out[RENAMED.get(field.name) or camel(field.name)] = value
    return out


class CanonicalInvocationPlugin(ConfPlugin):
    """10-19: each invocation hook's own info; the end info's error as ``executionError``."""

    def on_invocation_start(self, info: Any) -> None:
        super().on_invocation_start(info)
        self.emit("invocation-start", **canonical(info))

    def on_invocation_end(self, info: Any) -> None:
        record = canonical(info)
        if "error" in record:
            record["executionError"] = record.pop("error")
        terminal = record.get("status") in ("SUCCEEDED", "FAILED")
        self.emit("invocation-end", **record, terminal=terminal)


class CanonicalOperationPlugin(ConfPlugin):
    """10-20 (operation hooks), 10-22 (change delta items) and 10-23 (operation-start and
    fn-start), for operations of type ``kind``."""

    def __init__(self, kind: OperationType, hooks: tuple[str, ...]) -> None:
        super().__init__()
        self.kind, self.hooks = kind, hooks

    def _dump(self, hook: str, info: Any) -> None:
        if hook in self.hooks and info.operation_type is self.kind:
            self.emit(hook, **canonical(info))

    def on_operation_start(self, info: Any) -> None:
        self._dump("operation-start", info)

    def on_operation_end(self, info: Any) -> None:
        self._dump("operation-end", info)

    def on_user_function_start(self, info: Any) -> None:
        self._dump("fn-start", info)

    def on_operation_change(self, info: Any) -> None:
        if "operation-change" not in self.hooks:
            return
        change = canonical(info)  # executionArn and the two map sizes
        for op_id, item in info.updated_operations.items():
            if item.operation_type is self.kind:
                in_full = op_id in info.operations
                self.emit("operation-change", **change, inFullMap=in_full, **canonical(item))


# -- the handlers ----------------------------------------------------------------------------


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step running for: {name}")
    return f"Hello, {name}!"


@durable_step
def task_a(step_context: StepContext) -> str:
    return "task-a"


@durable_step
def flaky(step_context: StepContext) -> str:
    if step_context.attempt < 2:
        raise RuntimeError(f"attempt {step_context.attempt} failed")
    return "Operation succeeded"


@durable_step
def boom(step_context: StepContext) -> None:
    raise RuntimeError("boom")


def with_plugins(plugins: list[Any], body: Any) -> Any:
    """The durable handler running ``body(event, context)`` with ``plugins`` registered."""

    @durable_execution(plugins=plugins)
    def handler(event: Any, context: DurableContext) -> Any:
        return body(event, context)

    return handler


def greeting(plugins: list[Any]) -> Any:
    """One ``greet`` step (10-1, 10-2, 10-4, 10-5, 10-8, 10-17)."""
    return with_plugins(plugins, lambda event, context: context.step(greet(event)))


def two_second_wait(plugins: list[Any], result: Any = lambda event: None) -> Any:
    """One 2 s wait, then ``result(event)`` (10-10, 10-16, 10-19)."""

    def body(event: Any, context: DurableContext) -> Any:
        context.wait(Duration.from_seconds(2))
        return result(event)

    return with_plugins(plugins, body)


def named_greet(plugins: list[Any]) -> Any:
    """One step named "greet" returning "task-a" (10-20, 10-22)."""
    return with_plugins(plugins, lambda e, context: context.step(lambda _: "task-a", name="greet"))


def parent_linkage(event: Any, context: DurableContext) -> Any:  # 10-11
    return context.run_in_child_context(lambda child: child.step(greet(event)))


def replay_flag(event: Any, context: DurableContext) -> Any:  # 10-13
    context.step(task_a())
    return context.step(flaky(), config=RETRY_ONCE)


def end_payload(event: Any, context: DurableContext) -> Any:  # 10-14
    context.step(task_a())
    return context.step(boom(), config=NO_RETRY)


def _branch_a(ctx: DurableContext) -> str:
    ctx.step(lambda _: "x", name="inner")
    ctx.wait(Duration.from_seconds(2))
    return "a-done"


def context_shape(event: Any, context: DurableContext) -> Any:  # 10-23
    branches = [
        ParallelBranch(_branch_a, name="branch-a"),
        ParallelBranch(lambda ctx: "b-done", name="branch-b"),
    ]
    batch = context.parallel(branches, name="ctx", config=ParallelConfig(max_concurrency=1))
    return batch.get_results()


HANDLERS: dict[str, Any] = {
    "10-1": greeting([InvocationPlugin()]),
    "10-2": greeting([OperationPlugin(STEP, start=("op",), end=("op", "status"))]),
    "10-4": greeting([FaultyPlugin("CONFPLUGIN-FAULTY")]),
    "10-5": greeting([InvocationPlugin("CONFPLUGIN-A"), InvocationPlugin("CONFPLUGIN-B")]),
    "10-7": with_plugins([InvocationPlugin()], lambda e, c: c.step(boom(), config=NO_RETRY)),
    "10-8": greeting([ChangePlugin()]),
    "10-10": two_second_wait([OperationPlugin(WAIT, ("op", "type"), ("op", "type", "status"))]),
    "10-11": with_plugins([OperationPlugin(None, end=("op", "parent", "status"))], parent_linkage),
    "10-13": with_plugins([OperationPlugin(STEP, ("op", "replay"), ("op", "status"))], replay_flag),
    "10-14": with_plugins(
        [OperationPlugin(STEP, end=("op", "status", "result", "error"))], end_payload
    ),
    "10-16": two_second_wait([InvocationPlugin(tag_end=True)]),
    "10-17": greeting([FaultyPlugin("CONFPLUGIN-FAULTY"), HealthyPlugin("CONFPLUGIN-HEALTHY")]),
    "10-19": two_second_wait([CanonicalInvocationPlugin()], lambda event: f"done-{event}"),
    "10-20": named_greet([CanonicalOperationPlugin(STEP, ("operation-start", "operation-end"))]),
    "10-22": named_greet([CanonicalOperationPlugin(STEP, ("operation-change",))]),
    "10-23": with_plugins(
        [CanonicalOperationPlugin(CONTEXT, ("operation-start", "fn-start"))], context_shape
    ),
}
