"""Tests of the timeline demo: the run the screenshot shows, and the chart drawn of it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from aws_durable_execution_sdk_python_testing import InvocationStatus
from aws_durable_execution_sdk_python_testing.callbacks import CallbackSuccess
from examples.timeline_demo.workflow import handler


@pytest.mark.durable_execution(handler=handler, lambda_function_name="timeline_demo")
def test_unanswered_approval_is_escalated_after_two_hours(durable_runner):
    with durable_runner:
        result = durable_runner.run(input={"order_id": "o-7"}, timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == {
        "order_id": "o-7",
        "stock": "in stock",
        "approved": "escalated",
        "packed": ["packed book", "packed mug"],
        "by_hand": 1,
    }
    assert result.get_step("check_inventory").attempt == 3


@pytest.mark.durable_execution(handler=handler, lambda_function_name="timeline_demo")
def test_an_answered_approval_is_used(durable_runner):
    with durable_runner:
        result = durable_runner.run(
            input={"order_id": "o-8"},
            callbacks={"manager_approval": CallbackSuccess("yes", delay=600)},
            timeout=30,
        )
    assert result.result["approved"] == "yes"


@pytest.mark.durable_execution(handler=handler, lambda_function_name="timeline_demo")
def test_the_timeline_draws_every_operation(durable_runner, tmp_path):
    with durable_runner:
        result = durable_runner.run(input={"order_id": "o-7"}, timeout=30)
    path = tmp_path / "demo.html"
    result.save_timeline(path)
    svg = ET.fromstring(re.search(r"<svg\b.*</svg>", path.read_text("utf-8"), re.DOTALL)[0])
    drawn = {e.get("data-operation-id") for e in svg.iter() if e.get("data-operation-id")}
    assert drawn == {event["Id"] for event in result.history if "Id" in event}
