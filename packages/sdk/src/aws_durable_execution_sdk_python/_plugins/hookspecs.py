"""The hook specifications: one keyword, ``info``, a frozen value (pluggy style)."""

from __future__ import annotations

import pluggy

from aws_durable_execution_sdk_python._plugins.info import (
    InvocationEndInfo,
    InvocationStartInfo,
    OperationChangeInfo,
    OperationEndInfo,
    OperationStartInfo,
    PropagationInput,
    PropagationMetadata,
    UserFunctionEndInfo,
    UserFunctionStartInfo,
)

__all__ = ["HOOKS", "PROJECT", "PROPAGATION_HOOK", "DurableHookSpecs", "hookimpl", "hookspec"]

PROJECT = "aws_durable_execution"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class DurableHookSpecs:
    @hookspec
    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """After the state is loaded, before user code runs."""

    @hookspec
    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """After the invocation's output is built (or it raised: status RETRY)."""

    @hookspec
    def on_operation_start(self, info: OperationStartInfo) -> None:
        """An operation starts live, or a non-terminal one is met again on replay."""

    @hookspec
    def on_operation_end(self, info: OperationEndInfo) -> None:
        """An operation reached a terminal status (once per operation and execution)."""

    @hookspec
    def on_operation_change(self, info: OperationChangeInfo) -> None:
        """A checkpoint response brought new or changed operations."""

    @hookspec
    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        """User code is about to run for an operation (one attempt of a step)."""

    @hookspec
    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        """User code returned, raised, or was cut short by a suspension (INCOMPLETE)."""

    @hookspec
    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata | None:
        """A chained invoke is about to start: trace context to hand the invoked function."""


HOOKS = tuple(name for name in vars(DurableHookSpecs) if name.startswith(("on_", "provide_")))
PROPAGATION_HOOK = "provide_propagation_metadata"
