"""An expense approval: record the request, ask a manager, then pay, refuse or escalate.

The manager answers through a callback. ``wait_for_callback`` creates it, runs the
``notify_approver`` submitter (a step, so the e-mail goes out once) and suspends: Lambda is
not billed while the manager thinks. The approver's tool sends a heartbeat at least every
hour while the request is open and the answer within a day:

- success, with ``{"approver": ..., "comment": ...}`` as JSON: approved, then reimbursed;
- failure (``SendDurableExecutionCallbackFailure``): rejected, with the error message as
  the reason;
- no heartbeat for an hour, or no answer within a day: escalated to finance.

Run it locally with its timeline (nobody answers, so it escalates after the heartbeat
timeout: an hour of virtual time, milliseconds of real time):

    python -m aws_durable_execution_sdk_python_testing run \
        examples/human_approval/workflow.py:handler \
        --input '{"expense_id": "e-7", "employee": "sam", "amount": 120, "approver": "maria"}'
"""

from __future__ import annotations

from aws_durable_execution_sdk_python import (
    CallbackExternalError,
    CallbackTimeoutError,
    DurableContext,
    ExecutionError,
    StepContext,
    durable_execution,
    durable_step,
    durable_wait_for_callback,
)
from aws_durable_execution_sdk_python.config import WaitForCallbackConfig
from aws_durable_execution_sdk_python.serdes import JsonSerDes
from aws_durable_execution_sdk_python.types import WaitForCallbackContext

# The approver's tool heartbeats while the request is open; a day is the longest we wait.
APPROVAL = WaitForCallbackConfig(
    timeout_seconds=24 * 3600,
    heartbeat_timeout_seconds=3600,
    serdes=JsonSerDes(),  # the answer is JSON text: hand the workflow a dict
)

# A stand-in for the e-mail service: each message the submitter sends.
OUTBOX: list[dict] = []


@durable_step
def record_request(step_context: StepContext, expense: dict) -> dict:
    if not expense.get("expense_id") or not expense.get("approver"):
        raise ExecutionError("an expense needs an expense_id and an approver")
    if float(expense.get("amount", 0)) <= 0:
        raise ExecutionError("an expense needs a positive amount")
    return {
        "request_id": f"req-{expense['expense_id']}",
        "employee": expense.get("employee", "unknown"),
        "amount": expense["amount"],
        "approver": expense["approver"],
    }


@durable_wait_for_callback
def notify_approver(
    callback_id: str, callback_context: WaitForCallbackContext, request: dict
) -> None:
    callback_context.logger.info(
        "asking %s to approve %s", request["approver"], request["request_id"]
    )
    OUTBOX.append(
        {"to": request["approver"], "request_id": request["request_id"], "reply_to": callback_id}
    )


@durable_step
def reimburse(step_context: StepContext, request: dict) -> str:
    return f"payout-{request['request_id']}"


@durable_step
def notify_rejection(step_context: StepContext, request: dict, reason: str) -> str:
    return f"told {request['employee']} that {request['request_id']} was rejected: {reason}"


@durable_step
def escalate(step_context: StepContext, request: dict, why: str) -> str:
    step_context.logger.warning("escalating %s to finance: %s", request["request_id"], why)
    return f"ticket-{request['request_id']}"


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    request = context.step(record_request(event))
    outcome = {"request_id": request["request_id"], "amount": request["amount"]}
    try:
        answer = context.wait_for_callback(
            notify_approver(request), name="approval", config=APPROVAL
        )
    except CallbackTimeoutError as error:
        # Either the tool went silent (heartbeat) or nobody decided within the day.
        ticket = context.step(escalate(request, error.message))
        return {**outcome, "status": "escalated", "reason": error.message, "ticket": ticket}
    except CallbackExternalError as error:
        notice = context.step(notify_rejection(request, error.message))
        return {**outcome, "status": "rejected", "reason": error.message, "notice": notice}
    payout = context.step(reimburse(request))
    return {
        **outcome,
        "status": "approved",
        "approver": answer["approver"],
        "comment": answer.get("comment"),
        "payout": payout,
    }
