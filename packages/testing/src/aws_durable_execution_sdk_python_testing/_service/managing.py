"""Calls that manage executions from outside them: stop, pause, resume, delete, list, and
read a history (botocore's StopDurableExecution, PauseDurableExecution and so on).

Deciding is done elsewhere (``closing`` ends an execution, ``pausing`` pauses and resumes
it; ``listing`` and ``reading`` build responses); the functions here fetch the execution,
read the clock, check what only an outside call may not do, and hand each decision to the
service's ``apply``, the one place effects are carried out. A delete is checked here and
carried out by the service, which owns every index an execution is in (timers, callback
ids, change records).

The service binds these functions as its methods (``service.pause_execution(arn)`` is
``pause(service, arn)``); each takes the service as ``Managed``, the little of it that it
uses, so that this module never imports the service.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from aws_durable_execution_sdk_python.lambda_service import ErrorObject
from aws_durable_execution_sdk_python_testing._clock import VirtualClock
from aws_durable_execution_sdk_python_testing._service.closing import decide_close
from aws_durable_execution_sdk_python_testing._service.effects import Decision
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)
from aws_durable_execution_sdk_python_testing._service.listing import list_executions
from aws_durable_execution_sdk_python_testing._service.pausing import (
    decide_pause,
    decide_pause_takes_effect,
    decide_resume,
)
from aws_durable_execution_sdk_python_testing._service.reading import history_page

__all__ = [
    "Managed",
    "delete",
    "history",
    "list_by_function",
    "pause",
    "resume",
    "settle_pause",
    "stop",
]


class Managed(Protocol):
    """What the management calls need of the in-memory service."""

    @property
    def clock(self) -> VirtualClock: ...

    @property
    def executions(self) -> Mapping[str, ExecutionRecord]: ...

    def get(self, arn: str) -> ExecutionRecord: ...

    def apply(self, decision: Decision) -> None: ...

    def forget_execution(self, arn: str) -> None: ...


def stop(service: Managed, arn: str, error: ErrorObject | None = None) -> None:
    """``StopDurableExecution``: the execution ends ``STOPPED`` (with ``error``, if given).

    Raises:
        ResourceNotFoundException: no such execution.
        InvalidParameterValueException: it has already ended.
    """
    record = service.get(arn)
    if record.is_terminal:
        raise InvalidParameterValueException(f"execution {arn} has already ended")
    error = error or ErrorObject("Execution stopped", "ExecutionStopped")
    now = service.clock.now_datetime()
    service.apply(
        decide_close(
            record, ExecutionStatus.STOPPED, now, error=error, termination_reason="STOPPED"
        )
    )


def pause(
    service: Managed,
    arn: str,
    reason: str | None = None,
    execution_timeout_paused: bool = True,
    client_token: str | None = None,
) -> None:
    """``PauseDurableExecution`` (see ``pausing``; botocore's default holds the timeout).

    Raises:
        ResourceNotFoundException: no such execution.
        ResourceConflictException: it has ended, or is already pausing or paused.
        InvalidParameterValueException: a malformed argument or reused ClientToken.
    """
    record = service.get(arn)
    service.apply(
        decide_pause(
            record,
            service.clock.now_datetime(),
            reason=reason,
            execution_timeout_paused=execution_timeout_paused,
            client_token=client_token,
        )
    )


def resume(
    service: Managed, arn: str, reason: str | None = None, client_token: str | None = None
) -> None:
    """``ResumeDurableExecution``: queued for an invocation if something waits for one.

    Raises:
        ResourceNotFoundException: no such execution.
        ResourceConflictException: it has ended, or is not pausing or paused.
        InvalidParameterValueException: a malformed argument or reused ClientToken.
    """
    record = service.get(arn)
    now = service.clock.now_datetime()
    service.apply(decide_resume(record, now, reason=reason, client_token=client_token))


def settle_pause(service: Managed, arn: str) -> None:
    """An invocation ended (its outcome applied): a pause still ``PAUSING`` takes effect.

    Whoever drives invocations calls this after each one; it does nothing otherwise (not
    even count the execution as changed).
    """
    record = service.get(arn)
    if record.status is ExecutionStatus.PAUSING and not record.invoking:
        service.apply(decide_pause_takes_effect(record, service.clock.now_datetime(), cut=False))


def delete(service: Managed, arn: str) -> datetime.datetime:
    """``DeleteDurableExecution``: an ended execution and its data are gone at once.

    Returns the ``DeletionRequestTimestamp``. Afterwards every call naming the execution
    or one of its callbacks is ``ResourceNotFoundException`` and listings omit it.

    Raises:
        ResourceNotFoundException: no such execution.
        ResourceConflictException: it has not ended.
    """
    record = service.get(arn)
    if not record.is_terminal:
        raise ResourceConflictException(
            f"Execution {arn} is {record.status.value}: only an ended execution "
            "(SUCCEEDED, FAILED, STOPPED or TIMED_OUT) can be deleted; stop it first"
        )
    now = service.clock.now_datetime()
    service.forget_execution(arn)
    return now


def list_by_function(
    service: Managed,
    function_name: str,
    *,
    qualifier: str | None = None,
    execution_name: str | None = None,
    statuses: Sequence[str] | None = None,
    started_after: datetime.datetime | None = None,
    started_before: datetime.datetime | None = None,
    reverse_order: bool = False,
    marker: str | None = None,
    max_items: int | None = None,
) -> dict[str, Any]:
    """``ListDurableExecutionsByFunction``'s response (see ``listing``).

    Raises:
        InvalidParameterValueException: a malformed filter, marker or page size.
    """
    return list_executions(
        service.executions.values(),
        function_name,
        qualifier=qualifier,
        execution_name=execution_name,
        statuses=statuses,
        started_after=started_after,
        started_before=started_before,
        reverse_order=reverse_order,
        marker=marker,
        max_items=max_items,
    )


def history(
    service: Managed,
    arn: str,
    include_execution_data: bool = False,
    max_items: int = 1000,
    marker: str | None = None,
    reverse_order: bool = False,
) -> dict[str, Any]:
    """``GetDurableExecutionHistory``'s response, paged by position (see ``reading``).

    Raises:
        ResourceNotFoundException: no such execution.
        InvalidParameterValueException: a malformed marker.
    """
    return history_page(
        service.get(arn),
        include_execution_data=include_execution_data,
        max_items=max_items,
        marker=marker,
        reverse_order=reverse_order,
    )
