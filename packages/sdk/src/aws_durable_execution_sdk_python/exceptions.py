"""The SDK's exception tree and the termination reasons it maps to.

::

    Exception
    └─ DurableExecutionsError
       ├─ UnrecoverableError                 .termination_reason
       │  ├─ ExecutionError                  fails the execution, never retried
       │  │  └─ NonDeterministicExecutionError .step_id
       │  └─ InvocationError                 fails the invocation: Lambda invokes again
       │     ├─ BotoClientError              .error .response_metadata .error_category
       │     │  ├─ CheckpointError
       │     │  └─ GetExecutionStateError
       │     └─ StepInterruptedError         .step_id
       ├─ ValidationError                    bad arguments, raised before anything is checkpointed
       ├─ InvalidStateError
       ├─ SerDesError
       └─ DurableOperationError              .message .error_type .data .stack_trace
          ├─ StepError  InvokeError  ChildContextError  WaitForConditionError
          └─ CallbackError                   .callback_id
             ├─ CallbackExternalError  CallbackTimeoutError  CallbackSubmitterError
    BaseException
    └─ SuspendExecution                      control flow: ends the invocation with PENDING
       └─ TimedSuspendExecution              .scheduled_timestamp

Termination reasons are local (never on the wire): :func:`termination_reason_for` maps an
exception, or an ``ErrorType`` string read back from the service, to its reason.
"""

from __future__ import annotations

import builtins
import enum
import sys
import time
from typing import Any

__all__ = [
    "BotoClientError",
    "CallbackError",
    "CallbackExternalError",
    "CallbackSubmitterError",
    "CallbackTimeoutError",
    "CheckpointError",
    "CheckpointErrorCategory",
    "ChildContextError",
    "DurableApiErrorCategory",
    "DurableExecutionsError",
    "DurableOperationError",
    "ExecutionError",
    "GetExecutionStateError",
    "InvalidStateError",
    "InvocationError",
    "InvokeError",
    "NonDeterministicExecutionError",
    "OrphanedChildException",
    "PluginLoadError",
    "SerDesError",
    "StepError",
    "StepInterruptedError",
    "SuspendExecution",
    "TerminationReason",
    "TimedSuspendExecution",
    "UnrecoverableError",
    "ValidationError",
    "WaitForConditionError",
    "error_type_name",
    "resolve_error_class",
    "termination_reason_for",
]


class TerminationReason(enum.Enum):
    """Why an execution ended; the seed's eight reasons."""

    UNHANDLED_ERROR = "UNHANDLED_ERROR"
    INVOCATION_ERROR = "INVOCATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CHECKPOINT_FAILED = "CHECKPOINT_FAILED"
    NON_DETERMINISTIC_EXECUTION = "NON_DETERMINISTIC_EXECUTION"
    STEP_INTERRUPTED = "STEP_INTERRUPTED"
    CALLBACK_ERROR = "CALLBACK_ERROR"
    SERIALIZATION_ERROR = "SERIALIZATION_ERROR"


class DurableApiErrorCategory(enum.Enum):
    """Whether a failed service call is worth another invocation."""

    INVOCATION = "INVOCATION"  # retryable: the invocation fails and Lambda invokes again
    EXECUTION = "EXECUTION"  # not retryable: the execution fails


CheckpointErrorCategory = DurableApiErrorCategory


class DurableExecutionsError(Exception):
    """Base class of every exception the SDK raises."""


class UnrecoverableError(DurableExecutionsError):
    """An error that ends the execution or the invocation; carries its termination reason."""

    def __init__(
        self,
        message: str = "",
        termination_reason: TerminationReason = TerminationReason.UNHANDLED_ERROR,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.termination_reason = termination_reason


class ExecutionError(UnrecoverableError):
    """A permanent failure: the execution ends FAILED and nothing retries it."""

    def __init__(
        self,
        message: str = "",
        termination_reason: TerminationReason = TerminationReason.EXECUTION_ERROR,
    ) -> None:
        super().__init__(message, termination_reason)


class NonDeterministicExecutionError(ExecutionError):
    """Replay found a different operation than the one checkpointed at the same id."""

    def __init__(self, message: str = "", step_id: str | None = None) -> None:
        super().__init__(message, TerminationReason.NON_DETERMINISTIC_EXECUTION)
        self.step_id = step_id


class InvocationError(UnrecoverableError):
    """A transient failure: the invocation fails so that Lambda invokes the function again."""

    def __init__(
        self,
        message: str = "",
        termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR,
    ) -> None:
        super().__init__(message, termination_reason)

    def is_retryable(self) -> bool:
        return True


class BotoClientError(InvocationError):
    """A call to the durable-execution API failed; ``error_category`` says if it is retryable."""

    def __init__(
        self,
        message: str = "",
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
        termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR,
    ) -> None:
        super().__init__(message, termination_reason)
        self.error_category = error_category
        self.error = error
        self.response_metadata = response_metadata

    def is_retryable(self) -> bool:
        return self.error_category is DurableApiErrorCategory.INVOCATION

    is_retriable = is_retryable

    @classmethod
    def classify(
        cls, code: str | None, message: str, http_status: int | None
    ) -> DurableApiErrorCategory:
        """5xx, 429 and a stale checkpoint token are retryable; other 4xx are not.

        docs/decisions.md, "Which checkpoint errors are retryable".
        """
        if code in _KMS_ERROR_CODES:
            return DurableApiErrorCategory.EXECUTION
        if http_status is None or http_status >= 500 or http_status == 429:
            return DurableApiErrorCategory.INVOCATION
        if code == "InvalidParameterValueException" and message.startswith(
            "Invalid Checkpoint Token"
        ):
            return DurableApiErrorCategory.INVOCATION
        if 400 <= http_status < 500:
            return DurableApiErrorCategory.EXECUTION
        return DurableApiErrorCategory.INVOCATION

    def build_logger_extras(self) -> dict[str, Any]:
        extras: dict[str, Any] = {}
        if self.error is not None:
            extras["Error"] = self.error
        if self.response_metadata is not None:
            extras["ResponseMetadata"] = self.response_metadata
        return extras


_KMS_ERROR_CODES = frozenset(
    {
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
    }
)


class CheckpointError(BotoClientError):
    """Saving a checkpoint failed: retryable for 5xx, 429 and a stale token, else fatal."""

    def __init__(
        self,
        message: str = "",
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: dict[str, Any] | None = None,
        response_metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            message,
            error_category,
            error,
            response_metadata,
            termination_reason=TerminationReason.CHECKPOINT_FAILED,
        )


class GetExecutionStateError(BotoClientError):
    """Loading the checkpointed operations failed."""


class StepInterruptedError(InvocationError):
    """An at-most-once step was found started but never finished (the process died in it)."""

    def __init__(self, message: str = "", step_id: str | None = None) -> None:
        super().__init__(message, TerminationReason.STEP_INTERRUPTED)
        self.step_id = step_id


class ValidationError(DurableExecutionsError):
    """An SDK call got an invalid argument; raised before anything is checkpointed."""


class PluginLoadError(ValidationError):
    """A plugin or plugin factory cannot be registered (at decoration): the entry is not a
    plugin, an environment-selected plugin is missing or broken, or two plugins of one
    exclusive group were chosen. The message names the entry and the fix."""


class InvalidStateError(DurableExecutionsError):
    """The checkpointed state contradicts what the SDK expects (a bug or a corrupt state)."""


class SerDesError(DurableExecutionsError):
    """A value could not be serialised or deserialised."""


class DurableOperationError(DurableExecutionsError):
    """A durable operation failed; rebuilt identically from its checkpoint on replay."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message or "")
        self.message = message or ""
        self.error_type = error_type or type(self).__name__
        self.data = data
        self.stack_trace = stack_trace

    @classmethod
    def from_error_fields(
        cls,
        error_type: str | None,
        message: str | None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> DurableOperationError:
        return cls(message, error_type, data, stack_trace)

    def __str__(self) -> str:
        # A plain SDK error standing in for a class that could not be rebuilt names that
        # class; one that is also the original class says what the original said.
        if self.error_type and self.error_type != type(self).__name__:
            return f"{self.error_type}: {self.message}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(error_type={self.error_type!r}, message={self.message!r})"


class StepError(DurableOperationError):
    """A step failed for good (retries exhausted or not retryable).

    What is raised is also an instance of the original exception's class, with its ``args``,
    ``str()`` and the instance attributes JSON can carry, the same on the first run and on
    replay; attributes JSON cannot carry (enums, clients, datetimes, ``__slots__`` fields)
    are lost, on both. docs/decisions.md, "A failed step raises its original error".
    """


class InvokeError(DurableOperationError):
    """A chained invoke's target function failed, timed out or was stopped."""


class ChildContextError(DurableOperationError):
    """A child context (or a map item / parallel branch) failed."""


class WaitForConditionError(DurableOperationError):
    """``wait_for_condition`` failed or ran out of attempts."""


class CallbackError(DurableOperationError):
    """A callback failed; ``callback_id`` names it."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
        callback_id: str | None = None,
    ) -> None:
        super().__init__(message, error_type, data, stack_trace)
        self.callback_id = callback_id


class CallbackExternalError(CallbackError):
    """The external system reported failure through ``SendDurableExecutionCallbackFailure``."""


class CallbackTimeoutError(CallbackError):
    """The callback timed out (overall or heartbeat timeout)."""


class CallbackSubmitterError(CallbackError):
    """The submitter of ``wait_for_callback`` failed."""


class SuspendExecution(BaseException):
    """Ends the invocation with PENDING; a ``BaseException``: ``except Exception`` can't eat it."""


class TimedSuspendExecution(SuspendExecution):
    """A suspension with a known resume time (unix seconds)."""

    def __init__(self, message: str, scheduled_timestamp: float) -> None:
        super().__init__(message)
        self.scheduled_timestamp = scheduled_timestamp

    @classmethod
    def from_delay(cls, message: str, delay_seconds: float) -> TimedSuspendExecution:
        return cls(message, time.time() + delay_seconds)


class OrphanedChildException(BaseException):
    """An operation was attempted in a map item or branch after its batch had completed."""

    def __init__(self, message: str, operation_id: str | None = None) -> None:
        super().__init__(message)
        self.operation_id = operation_id


_REASON_BY_CLASS: tuple[tuple[type[BaseException], TerminationReason], ...] = (
    (NonDeterministicExecutionError, TerminationReason.NON_DETERMINISTIC_EXECUTION),
    (StepInterruptedError, TerminationReason.STEP_INTERRUPTED),
    (CheckpointError, TerminationReason.CHECKPOINT_FAILED),
    (CallbackError, TerminationReason.CALLBACK_ERROR),
    (SerDesError, TerminationReason.SERIALIZATION_ERROR),
    (ExecutionError, TerminationReason.EXECUTION_ERROR),
    (InvocationError, TerminationReason.INVOCATION_ERROR),
)


_CRASH_TYPES = frozenset({"Runtime.ExitError", "Sandbox.Timedout"})


def termination_reason_for(error: BaseException | str | None) -> TerminationReason:
    """Map an exception, or an ``ErrorType`` read from the service, to its termination reason.

    Unknown user errors are ``UNHANDLED_ERROR``, and so is a crash of the runtime
    (``Runtime.ExitError``, ``Sandbox.Timedout``). A failed step re-raised as a subclass of
    both ``StepError`` and the original class maps by the original class
    (docs/decisions.md, "A failed step raises its original error").
    """
    if error is None:
        return TerminationReason.UNHANDLED_ERROR
    if isinstance(error, str):
        if error in _CRASH_TYPES:
            # docs/decisions.md, "Exhausted invocation retries": the cause is unhandled.
            return TerminationReason.UNHANDLED_ERROR
        cls = resolve_error_class(error)
        if cls is None:
            return TerminationReason.UNHANDLED_ERROR
        for known, reason in _REASON_BY_CLASS:
            if issubclass(cls, known):
                return reason
        return TerminationReason.UNHANDLED_ERROR
    if isinstance(error, UnrecoverableError) and not isinstance(error, DurableOperationError):
        return error.termination_reason
    for known, reason in _REASON_BY_CLASS:
        if isinstance(error, known):
            return reason
    return TerminationReason.UNHANDLED_ERROR


def error_type_name(cls: type[BaseException]) -> str:
    """The ``ErrorType`` recorded for an exception class.

    Builtins and SDK exceptions by bare name (as the service and seed show them), anything
    else module-qualified so replay can find the class again (docs/decisions.md, "A failed
    step raises its original error").
    """
    original = getattr(cls, "_durable_original_class", None)
    if original is not None:
        cls = original
    module = cls.__module__
    if module in {"builtins", __name__}:
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def resolve_error_class(error_type: str) -> type[BaseException] | None:
    """Find the exception class an ``ErrorType`` names, among already-imported modules only."""
    if "." not in error_type:
        candidate = getattr(builtins, error_type, None) or globals().get(error_type)
        if isinstance(candidate, type) and issubclass(candidate, BaseException):
            return candidate
        return None
    module_name, _, qualname = error_type.rpartition(".")
    # Walk back over nested class names: "pkg.mod.Outer.Inner".
    while module_name:
        module = sys.modules.get(module_name)
        if module is not None:
            obj: Any = module
            for part in qualname.split("."):
                obj = getattr(obj, part, None)
                if obj is None:
                    return None
            if isinstance(obj, type) and issubclass(obj, BaseException):
                return obj
            return None
        module_name, _, head = module_name.rpartition(".")
        qualname = f"{head}.{qualname}"
    return None
