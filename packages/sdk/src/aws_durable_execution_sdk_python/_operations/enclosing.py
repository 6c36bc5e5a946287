"""Which step body (or check function) the current thread is running, if any.

docs/decisions.md, "Durable operations are called from the handler, not from a step": a
step's body runs once and its result replaces it on replay, so a durable operation started
inside it would be checkpointed on the first run and missing on every replay. The step
runner sets :data:`ENCLOSING_STEP` around the body; the context refuses to hand out an
operation id while it is set. A context variable, not a thread-local: map and parallel
workers start with a copy of the caller's context, so a batch started inside a step is
refused and one started outside is not.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import NoReturn

from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.identifier import OperationIdentifier

__all__ = ["ENCLOSING_STEP", "refuse_inside_step"]

ENCLOSING_STEP: ContextVar[OperationIdentifier | None] = ContextVar(
    "aws_durable_enclosing_step", default=None
)


_CALLS = {
    "Step": "context.step",
    "Wait": "context.wait",
    "Callback": "context.create_callback",
    "RunInChildContext": "context.run_in_child_context",
    "Map": "context.map",
    "Parallel": "context.parallel",
    "WaitForCallback": "context.wait_for_callback",
    "WaitForCondition": "context.wait_for_condition",
    "ChainedInvoke": "context.invoke",
}


def refuse_inside_step(enclosing: OperationIdentifier, sub_type: str) -> NoReturn:
    """Raise the ``ValidationError`` for an operation of ``sub_type`` inside ``enclosing``."""
    call = _CALLS.get(sub_type, f"a durable operation ({sub_type})")
    label = (
        f"{enclosing.name!r} (id {enclosing.operation_id})"
        if enclosing.name
        else (f"id {enclosing.operation_id}")
    )
    where = (
        f"the check function of wait_for_condition {label}"
        if enclosing.sub_type == "WaitForCondition"
        else f"step {label}"
    )
    raise ValidationError(
        f"{call} was called inside {where}: durable operations must be called from the "
        "handler or a child context, not from inside a step (a step's body runs once and "
        "its result replaces it on replay); use run_in_child_context to group operations"
    )
