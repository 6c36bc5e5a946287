"""The expense approval survives a crash at every checkpoint boundary, whichever way the
approver answers (the answers are declared up front, for every run)."""

from __future__ import annotations

import json

import pytest

from aws_durable_execution_sdk_python_testing import (
    CallbackFailure,
    CallbackHeartbeat,
    CallbackSuccess,
)
from aws_durable_execution_sdk_python_testing.strategies import assert_durable
from examples.human_approval import workflow
from examples.human_approval.workflow import handler

EXPENSE = {"expense_id": "e-7", "employee": "sam", "amount": 120, "approver": "maria"}
HOUR = 3600
ANSWERS = {
    "approved": [
        CallbackHeartbeat(delay=HOUR / 2),
        CallbackHeartbeat(delay=HOUR),
        CallbackSuccess(json.dumps({"approver": "maria", "comment": "ok"}), delay=HOUR * 1.5),
    ],
    "rejected": CallbackFailure(
        error_type="Rejected", error_message="no receipt attached", delay=HOUR / 2
    ),
    "escalated": [CallbackHeartbeat(delay=HOUR / 2)],
}


@pytest.fixture(autouse=True)
def outbox(monkeypatch):
    monkeypatch.setattr(workflow, "OUTBOX", [])


@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_the_approval_survives_a_crash_at_every_checkpoint_boundary(answer: str):
    report = assert_durable(handler, EXPENSE, callbacks={"approval": ANSWERS[answer]})

    assert report.reference.result["status"] == answer
    assert report.schedules_checked - 2 * report.checkpoint_calls in (0, 1)
