"""``StepDurability``: whether a step's checkpoint is sent when it completes or held for a batch.

An option, not behaviour: the checkpointer (``_state.checkpointer``) holds and sends updates,
the step operation decides per step which way its updates go. Checked here, once, where a
value enters (``StepConfig`` and ``@durable_execution``).
"""

from __future__ import annotations

import enum

from aws_durable_execution_sdk_python._state.checkpointer import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
)
from aws_durable_execution_sdk_python.exceptions import ValidationError

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MAX_BATCH_SIZE",
    "StepDurability",
    "check_batch_size",
    "check_step_durability",
]


class StepDurability(enum.Enum):
    """When an at-least-once step's completion reaches the service.

    ``IMMEDIATE`` (the default): the step returns once its result is checkpointed, one call
    per step. ``BATCHED``: the result is returned at once and the completion is held, to be
    sent with the next update that needs the service's answer (an at-most-once step's START,
    a wait, a callback, an invoke, a child context's end, a step's retry or failure), at a
    suspension, at the end of the invocation, or when ``batch_size`` completions are held.
    The trade-off: a crash before that send repeats the held steps in the next invocation,
    so their bodies must be safe to run again (which at-least-once steps already promise).
    """

    IMMEDIATE = "IMMEDIATE"
    BATCHED = "BATCHED"


def check_step_durability(value: object, where: str, name: str) -> StepDurability:
    """``value`` as a ``StepDurability``.

    Raises:
        ValidationError: anything else (a string such as ``"BATCHED"`` included).
    """
    if not isinstance(value, StepDurability):
        raise ValidationError(
            f"{where}({name}={value!r}): expected a StepDurability member, e.g. "
            "StepDurability.BATCHED"
        )
    return value


def check_batch_size(value: object, where: str) -> int:
    """``value`` as a batch size: an int from 1 to ``MAX_BATCH_SIZE``.

    Raises:
        ValidationError: not an int (``True`` is not one), below 1 or above what one
            checkpoint call can carry.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{where}(batch_size={value!r}): expected an int from 1 to {MAX_BATCH_SIZE} "
            "(held step completions per checkpoint call)"
        )
    if not 1 <= value <= MAX_BATCH_SIZE:
        raise ValidationError(
            f"{where}(batch_size={value!r}): expected 1 to {MAX_BATCH_SIZE}; one checkpoint "
            f"call carries at most {MAX_BATCH_SIZE} steps' START and SUCCEED"
        )
    return value
