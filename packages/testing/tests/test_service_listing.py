"""``ListDurableExecutionsByFunction`` in the in-memory service: filters, order and pages.

The response has botocore's shape; newest first unless ``ReverseOrder``; ``MaxItems`` 1 to
1000 (100 when left out or 0); the marker is opaque, stable when executions start or are
deleted between pages, and refused when it is not one or belongs to other filters. A
function without executions lists none (the service does not know functions).
"""

from __future__ import annotations

import datetime

import botocore.session
import pytest
from clock_support import START, StoppedClock
from hypothesis import given, settings
from hypothesis import strategies as st

from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import ExecutionStatus
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService


def _at(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(START + seconds, tz=datetime.UTC)


def _service(count: int = 5, function: str = "fn") -> tuple[InMemoryDurableService, list[str]]:
    """``count`` executions of ``function``, one second apart: ``run-0`` is the oldest."""
    service = InMemoryDurableService(StoppedClock())
    arns = []
    for index in range(count):
        service.clock.advance_to(START + index)
        arns.append(service.start_execution(function, f"run-{index}", None).arn)
    return service, arns


def _arns(response: dict) -> list[str]:
    return [item["DurableExecutionArn"] for item in response["DurableExecutions"]]


def test_the_response_has_botocores_members():
    service, arns = _service(2)
    service.succeed(arns[0], '"ok"')
    model = botocore.session.get_session().get_service_model("lambda")
    output = model.operation_model("ListDurableExecutionsByFunction").output_shape
    item_members = set(output.members["DurableExecutions"].member.members)

    response = service.list_executions("fn")

    assert set(response) <= set(output.members)
    for item in response["DurableExecutions"]:
        assert set(item) <= item_members
    ended = response["DurableExecutions"][1]
    assert ended == {
        "DurableExecutionArn": arns[0],
        "DurableExecutionName": "run-0",
        "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST",
        "Status": "SUCCEEDED",
        "StartTimestamp": _at(0),
        "EndTimestamp": _at(1),
    }
    assert "EndTimestamp" not in response["DurableExecutions"][0]


def test_newest_first_and_oldest_first_with_reverse_order():
    service, arns = _service(4)

    assert _arns(service.list_executions("fn")) == arns[::-1]
    assert _arns(service.list_executions("fn", reverse_order=True)) == arns


@pytest.mark.parametrize(
    "function_name",
    [
        "fn",
        "fn:$LATEST",
        "123456789012:function:fn",
        "function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn",
        "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST",
    ],
)
def test_the_function_may_be_named_by_name_or_arn(function_name):
    service, arns = _service(2)
    service.start_execution("other", "run-x", None)

    assert _arns(service.list_executions(function_name)) == arns[::-1]


@pytest.mark.parametrize(
    ("function_name", "qualifier"),
    [
        ("fn", "7"),
        ("fn:7", None),
        ("arn:aws:lambda:eu-west-1:123456789012:function:fn", None),
        ("arn:aws:lambda:us-east-1:210987654321:function:fn", None),
        ("nobody", None),
    ],
    ids=["other-version", "version-in-name", "other-region", "other-account", "unknown"],
)
def test_other_versions_regions_accounts_and_unknown_functions_list_nothing(
    function_name, qualifier
):
    service, _ = _service(2)

    assert service.list_executions(function_name, qualifier=qualifier) == {"DurableExecutions": []}


def test_a_version_filters_executions_of_that_version():
    service, arns = _service(1)
    seven = service.start_execution("fn", "run-7", None, qualifier="7").arn

    assert _arns(service.list_executions("fn")) == [seven, arns[0]]
    assert _arns(service.list_executions("fn", qualifier="7")) == [seven]
    assert _arns(service.list_executions("fn:$LATEST")) == arns


def test_filters_by_name_status_and_start_time():
    service, arns = _service(5)
    service.succeed(arns[1], None)
    service.stop(arns[3])
    service.pause_execution(arns[4])

    def listed(**filters) -> list[str]:
        return _arns(service.list_executions("fn", reverse_order=True, **filters))

    assert listed(execution_name="run-2") == [arns[2]]
    assert listed(statuses=["SUCCEEDED", "STOPPED"]) == [arns[1], arns[3]]
    assert listed(statuses=[ExecutionStatus.PAUSED]) == [arns[4]]
    assert listed(statuses=["RUNNING"]) == [arns[0], arns[2]]
    assert listed(statuses=["DELETING"]) == []
    # [after, before): an execution started at the very instant "after" is included.
    assert listed(started_after=_at(1), started_before=_at(3)) == [arns[1], arns[2]]
    assert listed(started_after=_at(1).replace(tzinfo=None)) == arns[1:]  # naive is UTC
    assert listed(started_before=_at(0)) == []


def test_pages_follow_the_marker_to_the_end():
    service, arns = _service(7)

    seen, marker, pages = [], None, 0
    while True:
        response = service.list_executions("fn", max_items=3, marker=marker)
        seen += _arns(response)
        pages += 1
        marker = response.get("NextMarker")
        if marker is None:
            break

    assert seen == arns[::-1]
    assert pages == 3


def test_a_page_boundary_does_not_move_when_executions_start_or_are_deleted():
    service, arns = _service(6)
    first = service.list_executions("fn", reverse_order=True, max_items=2)
    assert _arns(first) == arns[:2]

    service.stop(arns[2])
    service.delete_execution(arns[2])
    service.start_execution("fn", "late", None)
    second = service.list_executions(
        "fn", reverse_order=True, max_items=2, marker=first["NextMarker"]
    )

    assert _arns(second) == arns[3:5]


@pytest.mark.parametrize("max_items", [None, 0])
def test_max_items_left_out_or_zero_is_100(max_items):
    service, _ = _service(101)

    response = service.list_executions("fn", max_items=max_items)

    assert len(response["DurableExecutions"]) == 100
    assert "NextMarker" in response


def test_max_items_1000_is_allowed():
    service, arns = _service(3)

    assert _arns(service.list_executions("fn", max_items=1000)) == arns[::-1]


def test_a_marker_of_other_filters_is_invalid():
    service, _ = _service(3)
    marker = service.list_executions("fn", max_items=1)["NextMarker"]

    with pytest.raises(InvalidParameterValueException, match="other filters"):
        service.list_executions("fn", max_items=1, marker=marker, reverse_order=True)
    with pytest.raises(InvalidParameterValueException, match="other filters"):
        service.list_executions("fn", marker=marker, statuses=["RUNNING"])


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"marker": "not a marker"}, id="marker-garbage"),
        pytest.param({"marker": "eyJ4IjogMX0="}, id="marker-json-without-members"),
        pytest.param({"marker": "bnVsbA=="}, id="marker-json-null"),
        pytest.param({"marker": 12}, id="marker-not-text"),
        pytest.param({"max_items": -1}, id="max-items-negative"),
        pytest.param({"max_items": 1001}, id="max-items-too-many"),
        pytest.param({"max_items": "10"}, id="max-items-text"),
        pytest.param({"max_items": True}, id="max-items-bool"),
        pytest.param({"statuses": ["SLEEPING"]}, id="status-unknown"),
        pytest.param({"statuses": "RUNNING"}, id="statuses-a-string"),
        pytest.param({"statuses": ["RUNNING"] * 11}, id="statuses-too-many"),
        pytest.param({"started_after": "yesterday"}, id="started-after-text"),
        pytest.param({"started_before": 12.5}, id="started-before-number"),
        pytest.param({"execution_name": ""}, id="name-empty"),
        pytest.param({"execution_name": "a b"}, id="name-space"),
        pytest.param({"execution_name": "n" * 65}, id="name-too-long"),
        pytest.param({"qualifier": "bad qualifier"}, id="qualifier-space"),
        pytest.param({"reverse_order": "yes"}, id="reverse-not-bool"),
        pytest.param({"function_name": ""}, id="function-empty"),
        pytest.param({"function_name": "a b"}, id="function-space"),
        pytest.param({"function_name": "f" * 257}, id="function-too-long"),
        pytest.param({"function_name": "fn:1", "qualifier": "2"}, id="qualifier-mismatch"),
    ],
)
def test_malformed_arguments_are_invalid_parameters(kwargs):
    service, _ = _service(2)
    kwargs = {"function_name": "fn", **kwargs}

    with pytest.raises(InvalidParameterValueException):
        service.list_executions(**kwargs)


def test_an_empty_status_filter_filters_nothing():
    service, arns = _service(2)

    assert _arns(service.list_executions("fn", statuses=[])) == arns[::-1]


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(min_value=0, max_value=25),
    page=st.integers(min_value=1, max_value=7),
    reverse=st.booleans(),
    churn=st.lists(st.integers(min_value=0, max_value=24), max_size=6),
)
def test_paging_lists_each_execution_once_in_order_despite_deletions(count, page, reverse, churn):
    """Whatever the page size, following the markers lists every execution that exists
    throughout exactly once, in order; one deleted between pages is simply not listed."""
    service, arns = _service(count)
    deleted: set[str] = set()
    seen: list[str] = []
    marker = None
    for turn in range(count + 2):
        response = service.list_executions(
            "fn", max_items=page, reverse_order=reverse, marker=marker
        )
        seen += _arns(response)
        marker = response.get("NextMarker")
        if marker is None:
            break
        if turn < len(churn) and churn[turn] < count:
            arn = arns[churn[turn]]
            if arn not in deleted and arn not in seen:
                service.stop(arn)
                service.delete_execution(arn)
                deleted.add(arn)
    expected = [arn for arn in (arns if reverse else arns[::-1]) if arn not in deleted]

    assert marker is None
    assert seen == expected
