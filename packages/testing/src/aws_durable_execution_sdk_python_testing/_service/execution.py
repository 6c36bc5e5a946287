"""One execution as the service keeps it: operations, history, token and outcome."""

from __future__ import annotations

import base64
import datetime
import enum
from typing import Any

import attrs

from aws_durable_execution_sdk_python.lambda_service import ErrorObject, Operation, OperationUpdate
from aws_durable_execution_sdk_python_testing._service.history import History

__all__ = ["ExecutionRecord", "ExecutionStatus", "Limits"]


class ExecutionStatus(enum.StrEnum):
    """``GetDurableExecution`` statuses (botocore's ``ExecutionStatus``)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"


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
        return self.status is not ExecutionStatus.RUNNING

    def new_token(self) -> str:
        self._token_seq += 1
        raw = f"{self.invocation_id}:{self._token_seq}".encode()
        self.token = base64.b64encode(raw).decode()
        return self.token
