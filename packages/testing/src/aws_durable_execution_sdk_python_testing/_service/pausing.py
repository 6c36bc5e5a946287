"""Pausing and resuming an execution, decided (the Pause and Resume durable-execution calls).

botocore's documentation is the rule: while paused no invocation starts, but timers fire and
operations complete (a completed wait still marks the execution as needing an invocation,
which starts once resumed). A pause requested while an invocation runs leaves the execution
``PAUSING`` until that invocation's next checkpoint, which is applied; from then on the
execution is ``PAUSED`` and that invocation is cut: its later checkpoints are refused with
the service's invalid-token error (the SDK ends it as a retryable failure), its outcome is
ignored and not counted against invocation retries, and it is invoked again once resumed.
An invocation that ends without another checkpoint lets the pause take effect as it ends.

``ExecutionPaused`` is appended when the pause takes effect (its ``PauseRequestTimestamp``
says when it was asked for); a resume that cancels a pause still ``PAUSING`` records
nothing, since nothing was paused. With ``ExecutionTimeoutPaused`` (botocore's default) the
execution timeout stops while paused and is re-armed with the time it had left on resume,
never past 366 days after the start.

A request with a ClientToken repeated within 15 minutes (virtual clock) with the same
parameters changes nothing and succeeds; with other parameters it is an invalid parameter.
Every function here reads state and returns a ``Decision``; none changes anything.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from aws_durable_execution_sdk_python_testing._service.effects import (
    AppendEvent,
    ChangeStatus,
    CutInvocation,
    Decision,
    Effect,
    RearmTimeout,
    RememberRequest,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    MAX_EXECUTION_TIMEOUT_SECONDS,
    ExecutionRecord,
    ExecutionStatus,
    PauseRequest,
)
from aws_durable_execution_sdk_python_testing._service.history import result_details

__all__ = ["decide_pause", "decide_pause_takes_effect", "decide_resume"]

# botocore: "If you repeat a request with the same client token and parameters within
# 15 minutes, Lambda doesn't pause the execution again and returns a successful response".
_IDEMPOTENCY_WINDOW_SECONDS = 15 * 60
_CLIENT_TOKEN = re.compile(r"[\x21-\x7E]{1,64}")  # ClientToken: printable ASCII, 1 to 64
_MAX_REASON = 1024  # Reason: at most 1024 characters
_PAUSE = "PauseDurableExecution"
_RESUME = "ResumeDurableExecution"


def _check_arguments(reason: object, client_token: object) -> None:
    """Raises: InvalidParameterValueException: a ``Reason`` or ``ClientToken`` out of shape."""
    if reason is not None and (not isinstance(reason, str) or len(reason) > _MAX_REASON):
        raise InvalidParameterValueException(
            f"Reason={reason!r}: expected text of at most {_MAX_REASON} characters"
        )
    if client_token is not None and (
        not isinstance(client_token, str) or not _CLIENT_TOKEN.fullmatch(client_token)
    ):
        raise InvalidParameterValueException(
            f"ClientToken={client_token!r}: expected 1 to 64 printable ASCII characters "
            "without spaces"
        )


def _repeated(
    record: ExecutionRecord,
    action: str,
    client_token: str | None,
    parameters: tuple[Any, ...],
    now: datetime.datetime,
) -> bool:
    """Whether this is a repeat of an earlier request with the same ClientToken.

    Raises:
        InvalidParameterValueException: the token came with other parameters.
    """
    if client_token is None:
        return False
    seen = record.client_tokens.get(f"{action} {client_token}")
    if seen is None or now.timestamp() - seen[1] > _IDEMPOTENCY_WINDOW_SECONDS:
        return False
    if seen[0] != json.dumps(parameters):
        raise InvalidParameterValueException(
            f"ClientToken={client_token!r} was already used for a {action} request of "
            f"execution {record.arn} with other parameters: use a new token"
        )
    return True


def _remember(
    action: str, client_token: str | None, parameters: tuple[Any, ...], now: datetime.datetime
) -> list[Effect]:
    if client_token is None:
        return []
    key = f"{action} {client_token}"  # a ClientToken has no spaces
    return [RememberRequest(key, json.dumps(parameters), now.timestamp())]


def _bound(record: ExecutionRecord) -> float:
    """No pause extends an execution past 366 days after its start."""
    return record.start.timestamp() + MAX_EXECUTION_TIMEOUT_SECONDS


def _reason(details: dict[str, Any], reason: str | None) -> None:
    if reason is not None:
        details["Reason"] = result_details(reason)  # EventPauseReason: Payload, Truncated


def _take_effect(
    record: ExecutionRecord, pause: PauseRequest, now: datetime.datetime, *, cut: bool
) -> list[Effect]:
    details: dict[str, Any] = {"PauseRequestTimestamp": pause.requested}
    _reason(details, pause.reason)
    details["ExecutionTimeoutPaused"] = pause.execution_timeout_paused
    effects: list[Effect] = [
        ChangeStatus(ExecutionStatus.PAUSED, pause),
        AppendEvent("ExecutionPaused", now, details),
    ]
    if pause.execution_timeout_paused and record.timeout_at is not None:
        left = max(0.0, record.timeout_at - now.timestamp())
        effects.append(RearmTimeout(_bound(record), held=left))
    if cut:
        effects.append(CutInvocation())
    return effects


def decide_pause(
    record: ExecutionRecord,
    now: datetime.datetime,
    *,
    reason: str | None = None,
    execution_timeout_paused: bool = True,
    client_token: str | None = None,
) -> Decision:
    """``PauseDurableExecution``: ``PAUSING`` while an invocation runs, else ``PAUSED``.

    Raises:
        ResourceConflictException: the execution has ended, or is already pausing or paused
            (unless this repeats that request with its ClientToken).
        InvalidParameterValueException: a malformed argument, or a ClientToken reused with
            other parameters.
    """
    _check_arguments(reason, client_token)
    if not isinstance(execution_timeout_paused, bool):
        raise InvalidParameterValueException(
            f"ExecutionTimeoutPaused={execution_timeout_paused!r}: expected true or false"
        )
    parameters = (reason, execution_timeout_paused)
    if _repeated(record, _PAUSE, client_token, parameters, now):
        return Decision(record.arn)
    if record.is_terminal:
        raise ResourceConflictException(
            f"Execution {record.arn} has ended ({record.status.value}): only a running "
            "execution can be paused"
        )
    if record.status.is_paused:
        raise ResourceConflictException(
            f"Execution {record.arn} is already {record.status.value}: resume it first "
            "(ResumeDurableExecution), or repeat the request with its ClientToken"
        )
    pause = PauseRequest(now, reason, execution_timeout_paused)
    effects = _remember(_PAUSE, client_token, parameters, now)
    if record.invoking:
        effects.append(ChangeStatus(ExecutionStatus.PAUSING, pause))
    else:
        effects.extend(_take_effect(record, pause, now, cut=False))
    return Decision(record.arn, tuple(effects))


def decide_pause_takes_effect(
    record: ExecutionRecord, now: datetime.datetime, *, cut: bool
) -> Decision:
    """A ``PAUSING`` execution's invocation checkpointed (``cut``) or ended: now ``PAUSED``."""
    pause = record.pause
    if record.status is not ExecutionStatus.PAUSING or pause is None:
        return Decision(record.arn)
    return Decision(record.arn, tuple(_take_effect(record, pause, now, cut=cut)))


def decide_resume(
    record: ExecutionRecord,
    now: datetime.datetime,
    *,
    reason: str | None = None,
    client_token: str | None = None,
) -> Decision:
    """``ResumeDurableExecution``: ``RUNNING`` again, invoked if something waits for it.

    Raises:
        ResourceConflictException: the execution has ended or is not paused (unless this
            repeats an earlier resume with its ClientToken).
        InvalidParameterValueException: a malformed argument, or a ClientToken reused with
            other parameters.
    """
    _check_arguments(reason, client_token)
    parameters = (reason,)
    if _repeated(record, _RESUME, client_token, parameters, now):
        return Decision(record.arn)
    if record.is_terminal:
        raise ResourceConflictException(
            f"Execution {record.arn} has ended ({record.status.value}): only a paused "
            "execution can be resumed"
        )
    if not record.status.is_paused:
        raise ResourceConflictException(
            f"Execution {record.arn} is {record.status.value}: only a PAUSING or PAUSED "
            "execution can be resumed"
        )
    effects = _remember(_RESUME, client_token, parameters, now)
    if record.status is ExecutionStatus.PAUSED:
        details: dict[str, Any] = {"ResumeRequestTimestamp": now}
        _reason(details, reason)
        effects.append(AppendEvent("ExecutionResumed", now, details))
        if record.timeout_held is not None:
            when = min(now.timestamp() + record.timeout_held, _bound(record))
            effects.append(RearmTimeout(when))
    effects.append(ChangeStatus(ExecutionStatus.RUNNING))
    return Decision(record.arn, tuple(effects))
