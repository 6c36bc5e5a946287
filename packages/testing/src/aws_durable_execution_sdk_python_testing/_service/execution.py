"""One execution as the service keeps it: operations, history, token, pause and outcome."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, Operation, OperationUpdate
from aws_durable_execution_sdk_python_testing._service.history import History
from aws_durable_execution_sdk_python_testing._service.tokens import mint_checkpoint_token

__all__ = [
    "MAX_EXECUTION_TIMEOUT_SECONDS",
    "ExecutionRecord",
    "ExecutionStatus",
    "Limits",
    "PauseRequest",
]

# DurableConfig.ExecutionTimeout: at most 366 days; also the bound of an execution whose
# timeout a pause holds (botocore, PauseDurableExecution's ExecutionTimeoutPaused).
MAX_EXECUTION_TIMEOUT_SECONDS = 31_622_400


class ExecutionStatus(enum.StrEnum):
    """``GetDurableExecution`` statuses (botocore's ``ExecutionStatus``)."""

    RUNNING = "RUNNING"
    #: A pause was requested while an invocation runs; it takes effect at its next checkpoint.
    PAUSING = "PAUSING"
    #: No invocation starts; timers still fire and operations still complete.
    PAUSED = "PAUSED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"

    @property
    def is_terminal(self) -> bool:
        """Ended for good: nothing but deletion changes it any more."""
        return self in _TERMINAL

    @property
    def is_paused(self) -> bool:
        """A pause is in force (requested or in effect): ``PauseDetails`` describes it."""
        return self is ExecutionStatus.PAUSING or self is ExecutionStatus.PAUSED


_TERMINAL = frozenset(
    {
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.STOPPED,
    }
)


@attrs.frozen
class PauseRequest:
    """A ``PauseDurableExecution`` request in force (``GetDurableExecution``'s PauseDetails)."""

    requested: datetime.datetime
    reason: str | None
    execution_timeout_paused: bool


@attrs.frozen
class Limits:
    """The service's limits; each can be raised for benchmarks.

    docs/decisions.md, "Service limits".
    """

    max_operation_payload_bytes: int = 256 * 1024
    max_batch_bytes: int = 750 * 1024
    max_operations: int = 3000
    max_error_bytes: int = 32 * 1024
    max_response_bytes: int = 6 * 1024 * 1024
    state_page_size: int = 1000


class ExecutionRecord:
    """Mutable service-side state of one execution; the service is its only writer."""

    def __init__(
        self,
        arn: str,
        function_name: str,
        execution_name: str,
        invocation_id: str,
        start: datetime.datetime,
        input_payload: str,
        execution_timeout: int,
    ) -> None:
        self.arn = arn
        self.function_name = function_name
        self.execution_name = execution_name
        self.invocation_id = invocation_id
        self.start = start
        self.input_payload = input_payload
        self.execution_timeout = execution_timeout
        self.operations: dict[str, Operation] = {}
        self.history = History()
        self.status = ExecutionStatus.RUNNING
        #: Set by the service in creation order: listings page by it.
        self.sequence = 0
        self.pause: PauseRequest | None = None
        #: When the execution timeout falls due (epoch seconds); ``None`` while a pause
        #: holds it, with ``timeout_held`` seconds left.
        self.timeout_at: float | None = start.timestamp() + execution_timeout
        self.timeout_held: float | None = None
        #: The pause took effect during an invocation: that invocation's tokens are refused
        #: and its outcome ignored; it is invoked again once resumed.
        self.cut_by_pause = False
        #: Idempotent requests seen: "ACTION CLIENT-TOKEN" -> (their parameters as JSON text,
        #: virtual time); plain JSON values, so a store saves them as they are.
        self.client_tokens: dict[str, tuple[str, float]] = {}
        self.result: str | None = None
        self.error: ErrorObject | None = None
        self.termination_reason: str | None = None
        self.end: datetime.datetime | None = None
        self._token_seq = 0
        self.token = ""
        self.invoking = False
        self.invocations = 0
        self.failed_invocations = 0
        self.updated_operation_ids: set[str] = set()
        self.needs_invocation = True
        # Set when this execution is the target of another's chained invoke.
        self.parent: tuple[str, str] | None = None
        # The X-Ray trace header it runs under (GetDurableExecution's TraceHeader).
        self.trace_header: str | None = None
        # Callback actions declared for this run (name -> actions), applied on creation.
        self.callback_actions: Any = None
        self.invocation_records: list[dict[str, Any]] = []
        # An EXECUTION SUCCEED/FAIL checkpointed by the SDK (results over the response limit).
        self.checkpointed_outcome: OperationUpdate | None = None
        # Hook calls plugins received (when the runner records them).
        self.hook_events: list[Any] = []

    @property
    def is_terminal(self) -> bool:
        return self.status.is_terminal

    @property
    def function_arn(self) -> str:
        """The qualified function ARN the execution runs (its ARN up to the execution)."""
        return self.arn.split("/durable-execution/", 1)[0]

    def new_token(self) -> str:
        """A fresh checkpoint token; every earlier one is stale from now on."""
        self._token_seq += 1
        self.token = mint_checkpoint_token()
        return self.token
