"""Failed operations raised as exceptions that are both the SDK type and the original type.

Ruling 1: a failed step raises an instance of ``StepError`` *and* of the original
exception's class (a subclass made once per class and cached), so ``except ValueError``
(seed) and ``except StepError`` (existing SDK) both work, on the first run and on replay
alike. The class is found again from the checkpointed ``ErrorType``; when it cannot be
(never imported, or its layout refuses the mix-in), a plain ``StepError`` carries the type
name and message.
"""

from __future__ import annotations

import functools

from aws_durable_execution_sdk_python._model.error_object import ErrorObject
from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    NonDeterministicExecutionError,
    StepInterruptedError,
    UnrecoverableError,
    resolve_error_class,
    termination_reason_for,
)

__all__ = ["operation_error"]


@functools.cache
def _mixed_class(
    base: type[DurableOperationError], original: type[BaseException]
) -> type[DurableOperationError] | None:
    if issubclass(original, base) or not issubclass(original, Exception):
        return None
    try:
        mixed = type(
            base.__name__,
            (base, original),
            {"__module__": base.__module__, "_durable_original_class": original},
        )
    except TypeError:  # incompatible layouts or metaclasses
        return None
    return mixed


def operation_error(
    base: type[DurableOperationError],
    error: ErrorObject | None,
    operation_id: str,
    cause: BaseException | None = None,
) -> DurableOperationError:
    """The exception a failed operation raises, rebuilt the same way from any ``ErrorObject``."""
    error = error or ErrorObject()
    error_type = error.type or base.__name__
    original = resolve_error_class(error_type)
    instance: DurableOperationError | None = None
    mixed = _mixed_class(base, original) if original is not None else None  # type: ignore[arg-type]
    if mixed is not None:
        try:
            instance = mixed.__new__(mixed, error.message or "")
            # Not DurableOperationError.__init__: its super() call would reach the original
            # class's __init__, whose signature is the user's (e.g. (status, body)).
            Exception.__init__(instance, error.message or "")
            instance.message = error.message or ""
            instance.error_type = error_type
            instance.data = error.data
            instance.stack_trace = error.stack_trace
        except Exception:
            instance = None
    if instance is None:
        instance = base(error.message, error_type, error.data, error.stack_trace)
    if original is not None and issubclass(original, UnrecoverableError):
        instance.termination_reason = termination_reason_for(error_type)  # type: ignore[attr-defined]
    if original is not None and issubclass(
        original, StepInterruptedError | NonDeterministicExecutionError
    ):
        instance.step_id = operation_id  # type: ignore[attr-defined]
    if cause is not None:
        instance.__cause__ = cause
    return instance
