"""The exception a failed operation raises: the SDK's class mixed with the original class.

docs/decisions.md, "A failed step raises its original error". ``context.step`` raises an
instance of ``StepError`` *and* of the original exception's class (a subclass of the two,
made once per class and cached), so ``except ValueError`` and ``except StepError`` both
work. Child contexts, invokes, ``wait_for_condition`` and batch items use the same builder
with their own SDK class.

One builder, :func:`operation_error`, makes the exception from the checkpointed
``ErrorObject`` on the first run and on every replay, so both look the same:

* the class: on the first run the class the user's code raised (even one defined inside a
  function), on replay the class ``ErrorType`` names, found among imported modules, or
  else its nearest recorded importable ancestor (botocore's generated ``NoSuchKey`` replays
  as a ``ClientError``); when there is none, or it cannot be mixed with the SDK class, a
  plain SDK exception carrying the type name and message;
* ``args``, ``str()`` and the instance attributes, from the envelope in ``ErrorData``:
  what JSON can carry, as JSON gives it back (a tuple attribute is a list, on both runs);
  what JSON cannot carry (enums, clients, datetimes, ``__slots__`` fields) is lost;
* ``__cause__`` is an instance of the original class whenever that class is known: on the
  first run the exception the user's code raised (with its traceback), on replay one
  rebuilt from the checkpoint; with no class to rebuild, there is no cause;
* SDK attributes: ``error_type`` (the original type name), ``message``, ``data`` (the
  ``ErrorData`` someone else wrote; ``None`` when it is the SDK's envelope), ``stack_trace``.
  Where the original class has an attribute of the same name, the original's value wins.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import attrs

from aws_durable_execution_sdk_python._model.error_object import ErrorEnvelope, ErrorObject
from aws_durable_execution_sdk_python.exceptions import (
    DurableOperationError,
    NonDeterministicExecutionError,
    StepInterruptedError,
    UnrecoverableError,
    error_type_name,
    resolve_error_class,
    termination_reason_for,
)

__all__ = ["operation_error"]


def _recorded_str(self: DurableOperationError) -> str:
    text = self.__dict__.get("_durable_str")
    return text if isinstance(text, str) else self.message


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
            {
                "__module__": base.__module__,
                "__qualname__": base.__qualname__,
                "_durable_original_class": original,
                "__str__": _recorded_str,
            },
        )
    except TypeError:  # incompatible layouts or metaclasses
        return None
    return mixed


def _builtin_base(cls: type[BaseException]) -> type[BaseException]:
    for klass in cls.__mro__:
        if klass.__module__ == "builtins":
            return klass
    return BaseException  # pragma: no cover - every exception derives from a builtin


def _instantiate(
    cls: type[BaseException], original: type[BaseException], error: ErrorObject
) -> BaseException:
    """An instance of ``cls`` with the recorded args and attributes, without ``__init__``.

    The original class's own ``__init__`` has the user's signature (``(status, body)``),
    not that of its ``args``; its nearest builtin base's ``__init__`` is what stores
    ``args`` (and, for ``OSError``, ``errno``/``strerror``/``filename``).
    """
    envelope = ErrorEnvelope.parse(error.data)
    message = error.message or ""
    args: tuple[Any, ...] = (message,)
    if envelope is not None and envelope.args is not None:
        args = envelope.args
    if envelope is not None and envelope.exceptions is not None:
        members = [_plain(member) or _unknown(member) for member in envelope.exceptions]
        args = (args[0] if args else message, members)
    instance = cls.__new__(cls, *args)
    _builtin_base(original).__init__(instance, *args)
    if isinstance(instance, UnrecoverableError):
        # Its message and termination reason are not in the envelope (an enum is not JSON).
        instance.message = message
        instance.termination_reason = termination_reason_for(error.type)
    if envelope is not None:
        instance.__dict__.update(envelope.attributes)
    return instance


def _plain(error: ErrorObject, live: type[BaseException] | None = None) -> BaseException | None:
    """A plain instance of the recorded class (a cause, a group member), if it can be made."""
    cls = live or (resolve_error_class(error.type) if error.type else None)
    if cls is None:
        return None
    try:
        return _instantiate(cls, cls, error)
    except Exception:
        return None


def _unknown(error: ErrorObject) -> Exception:
    # A group member whose class is gone: groups need exceptions, so a plain one that says so.
    return Exception(f"{error.type}: {error.message}" if error.type else error.message or "")


def _innermost(cause: BaseException | None) -> BaseException | None:
    """The user's exception under a chain of failed-operation errors built here."""
    while (
        isinstance(cause, DurableOperationError)
        and "_durable_record" in cause.__dict__
        and cause.__cause__ is not None
    ):
        cause = cause.__cause__
    return cause


def operation_error(
    base: type[DurableOperationError],
    error: ErrorObject | None,
    operation_id: str,
    cause: BaseException | None = None,
    *,
    recorded_as: str | None = None,
) -> DurableOperationError:
    """The exception a failed operation raises, built the same way from any ``ErrorObject``.

    ``cause`` is the live exception on the first run: its class is used even when it cannot
    be found by name, and it becomes ``__cause__``. ``recorded_as`` replaces the type name
    the exception reports and records (a submitter's failure is a ``CallbackSubmitterError``
    to the service, whatever the submitter raised).
    """
    error = error or ErrorObject()
    error_type = error.type or base.__name__
    live = _innermost(cause)
    original: type[BaseException] | None = None
    if live is not None and error_type_name(type(live)) == error_type:
        original = type(live)
    else:
        live = None
        original = resolve_error_class(error_type)
    envelope = ErrorEnvelope.parse(error.data)
    if original is None and envelope is not None and envelope.bases:
        # The class itself is gone (generated, or local): its nearest importable ancestor
        # keeps ``except ClientError`` working on replay.
        original = next(
            (c for c in map(resolve_error_class, envelope.bases) if c is not None), None
        )
    message = error.message or ""
    instance: DurableOperationError | None = None
    mixed = _mixed_class(base, original) if original is not None else None  # type: ignore[arg-type]
    if mixed is not None and original is not None:
        try:
            built = _instantiate(mixed, original, error)
            assert isinstance(built, DurableOperationError)
            instance = built
            for key, value in (
                ("message", message),
                ("error_type", error_type),
                ("data", None if envelope is not None else error.data),
                ("stack_trace", error.stack_trace),
            ):
                if envelope is None or key not in envelope.attributes:
                    # Read-only on some originals (an exception group's message).
                    with contextlib.suppress(AttributeError):
                        setattr(instance, key, value)
            instance.__dict__["_durable_str"] = (
                envelope.text if envelope is not None and envelope.text is not None else message
            )
        except Exception:
            instance = None
    if instance is None:
        instance = base(
            message, error_type, None if envelope is not None else error.data, error.stack_trace
        )
    if recorded_as is not None:
        instance.error_type = recorded_as
        error = attrs.evolve(error, type=recorded_as)
    instance.__dict__["_durable_record"] = error
    if original is not None and issubclass(original, UnrecoverableError):
        instance.termination_reason = termination_reason_for(error_type)  # type: ignore[attr-defined]
    if original is not None and issubclass(
        original, StepInterruptedError | NonDeterministicExecutionError
    ):
        instance.step_id = operation_id  # type: ignore[attr-defined]
    if live is not None:
        instance.__cause__ = live
    elif original is not None:
        instance.__cause__ = _plain(error, original)
    return instance
