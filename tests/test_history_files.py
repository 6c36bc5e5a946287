"""Saved histories: the ``GetDurableExecutionHistory`` JSON shape, and what the loader takes
(files, boto3 responses with datetimes, pages, reversed pages) or refuses, with the reason."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import DurableContext, Duration, durable_execution
from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing.history import (
    InvalidHistoryError,
    load_history,
)


@durable_execution
def handler(event: Any, context: DurableContext) -> str:
    value = context.step(lambda _: {"n": 1}, name="first")
    context.wait(Duration.from_seconds(30), name="pause")
    return f"n={value['n']}"


@pytest.fixture(scope="module")
def runner_and_arn() -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={"order": 7}, timeout=10)
        yield runner, result


def test_history_json_is_the_get_durable_execution_history_shape(runner_and_arn: Any) -> None:
    _runner, result = runner_and_arn
    saved = json.loads(result.history_json())
    assert list(saved) == ["Events"]
    first = saved["Events"][0]
    assert first["EventType"] == "ExecutionStarted"
    assert first["EventId"] == 1
    # ISO 8601 in UTC with a Z, microseconds kept, as the service model documents it.
    stamp = first["EventTimestamp"]
    assert stamp.endswith("Z")
    parsed = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert parsed.replace(tzinfo=datetime.UTC) == result.history[0]["EventTimestamp"]
    wait = next(e for e in saved["Events"] if e["EventType"] == "WaitStarted")
    assert wait["WaitStartedDetails"]["ScheduledEndTimestamp"].endswith("Z")
    assert [e["EventType"] for e in saved["Events"]] == [e["EventType"] for e in result.history]


def test_save_history_writes_a_file_that_loads_back(runner_and_arn: Any, tmp_path: Path) -> None:
    _runner, result = runner_and_arn
    path = tmp_path / "run.json"
    result.save_history(path)
    loaded = load_history(path)
    assert list(loaded.events) == result.history
    assert loaded.is_complete
    assert load_history(str(path)) == loaded
    with DurableFunctionTestRunner(handler) as runner:
        assert runner.replay(path).ok


def test_a_boto3_response_with_datetimes_and_epoch_seconds_loads(runner_and_arn: Any) -> None:
    runner, result = runner_and_arn
    response = runner.get_execution_history(result.execution_arn, include_execution_data=True)
    assert isinstance(response["Events"][0]["EventTimestamp"], datetime.datetime)
    assert list(load_history(response).events) == result.history
    epoch = {
        "Events": [
            {**e, "EventTimestamp": e["EventTimestamp"].timestamp()} for e in response["Events"]
        ]
    }
    assert [e["EventTimestamp"] for e in load_history(epoch).events] == [
        e["EventTimestamp"] for e in result.history
    ]


def test_paged_and_reversed_responses_load_as_one_history(runner_and_arn: Any) -> None:
    runner, result = runner_and_arn
    arn = result.execution_arn
    pages = []
    marker = None
    while True:
        page = runner.get_execution_history(arn, True, max_items=2, marker=marker)
        pages.append(page)
        marker = page.get("NextMarker")
        if not marker:
            break
    assert len(pages) > 2
    assert list(load_history(pages).events) == result.history
    reversed_page = runner.get_execution_history(arn, True, reverse_order=True)
    assert list(load_history(reversed_page).events) == result.history


def _events(runner_and_arn: Any) -> list[dict[str, Any]]:
    _runner, result = runner_and_arn
    return json.loads(result.history_json())["Events"]


def _bad_inputs(events: list[dict[str, Any]], tmp: Path) -> list[tuple[str, Any, str]]:
    broken_json = tmp / "broken.json"
    broken_json.write_text("{not json", encoding="utf-8")
    without_data = [
        {**e, "ExecutionStartedDetails": {"Input": {"Truncated": True}}}
        if e["EventType"] == "ExecutionStarted"
        else e
        for e in events
    ]
    return [
        ("a number", 42, "got int"),
        ("no Events member", {"Items": []}, "no 'Events' member"),
        (
            "a Step Functions history",
            {"events": [{"type": "ExecutionStarted", "id": 1}]},
            "Step Functions",
        ),
        ("an empty history", {"Events": []}, "no events"),
        ("an empty list", [], "no events"),
        ("Events not a list", {"Events": "x"}, "must be a list"),
        ("an event that is not an object", {"Events": ["x"]}, "not an object"),
        ("an event without EventType", {"Events": [{"Id": "1"}]}, "no 'EventType'"),
        ("an unknown event type", {"Events": [{"EventType": "Nope", "Id": "1"}]}, "'Nope'"),
        ("a bad timestamp", {"Events": [{**events[0], "EventTimestamp": "then"}]}, "then"),
        ("an event without Id", {"Events": [{"EventType": "StepStarted"}]}, "no operation 'Id'"),
        ("a middle page only", {"Events": events[3:]}, "not the whole history"),
        ("a last page with NextMarker", {"Events": events, "NextMarker": "9"}, "continues"),
        ("fetched without execution data", {"Events": without_data}, "IncludeExecutionData"),
        ("a missing file", tmp / "absent.json", "cannot read"),
        ("a file that is not JSON", broken_json, "is not JSON"),
    ]


def test_bad_inputs_are_refused_with_the_reason(runner_and_arn: Any, tmp_path: Path) -> None:
    for label, source, reason in _bad_inputs(_events(runner_and_arn), tmp_path):
        with pytest.raises(InvalidHistoryError) as caught:
            load_history(source)
        assert reason in str(caught.value), (label, str(caught.value))
        # Also a ValidationError (bad argument) and a DurableFunctionsTestError.
        assert isinstance(caught.value, ValidationError), label


def test_runner_replay_refuses_bad_inputs_before_invoking(tmp_path: Path) -> None:
    calls: list[Any] = []

    @durable_execution
    def counting(event: Any, context: DurableContext) -> None:
        calls.append(event)

    with DurableFunctionTestRunner(counting) as runner:
        with pytest.raises(InvalidHistoryError, match="no events"):
            runner.replay({"Events": []})
        with pytest.raises(InvalidHistoryError, match="no 'Events' member"):
            runner.assert_replays({"executionArn": "x"})
    assert calls == []


def test_execution_events_without_an_id_still_replay(runner_and_arn: Any) -> None:
    """The service model makes ``Id`` optional; only operations need one to be replayed."""
    events = [
        {k: v for k, v in e.items() if k != "Id"} if e["EventType"].startswith("Execution") else e
        for e in _events(runner_and_arn)
    ]
    with DurableFunctionTestRunner(handler) as runner:
        report = runner.replay({"Events": events})
    assert report.ok, str(report)


def test_saved_files_and_responses_are_valid_botocore_responses(runner_and_arn: Any) -> None:
    """The saved shape is botocore's: a stubbed boto3 client validates each form against
    the service model (member names, types) and hands it back; each then replays."""
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber

    runner, result = runner_and_arn
    client = boto3.client(
        "lambda",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    forms = {
        "saved file (ISO 8601 text)": json.loads(result.history_json()),
        "response (datetimes)": runner.get_execution_history(result.execution_arn, True),
    }
    for label, form in forms.items():
        with Stubber(client) as stub:
            stub.add_response(
                "get_durable_execution_history",
                form,
                {"DurableExecutionArn": result.execution_arn, "IncludeExecutionData": True},
            )
            fetched = client.get_durable_execution_history(
                DurableExecutionArn=result.execution_arn, IncludeExecutionData=True
            )
        with DurableFunctionTestRunner(handler) as replayer:
            assert replayer.replay(fetched).ok, label
