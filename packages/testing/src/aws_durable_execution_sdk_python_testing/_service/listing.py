"""``ListDurableExecutionsByFunction`` over the service's executions: filters and pages.

botocore's model is the rule: the function is a name, a partial ARN or a full ARN (a
qualifier in it filters like ``Qualifier``); ``DurableExecutionName`` matches exactly;
``Statuses`` takes one to ten of ``ExecutionStatus``; newest first, oldest first with
``ReverseOrder``; ``MaxItems`` is 1 to 1000, 100 when left out (0 counts as left out, as
the model allows it and documents 1 to 1000). The service does not know functions, only
executions, so a function without executions lists none rather than being not found.

``StartedAfter`` and ``StartedBefore`` bound a half-open range ``[after, before)``: on the
runner's virtual clock an execution often starts at the very instant a test noted, and
"started after t" must include it. Pages are keyed by the executions' creation order, not
by position, so a page boundary does not move when executions start or are deleted between
two requests; the marker is opaque and only valid for the query that produced it.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
)
from aws_durable_execution_sdk_python_testing._service.execution import (
    ExecutionRecord,
    ExecutionStatus,
)

__all__ = ["DEFAULT_MAX_ITEMS", "list_executions"]

DEFAULT_MAX_ITEMS = 100
_MAX_ITEMS = 1000
_MAX_STATUSES = 10
# FunctionName, as botocore's pattern has it, with its parts named.
_FUNCTION = re.compile(
    r"(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?"
    r"(?:(?P<region>(?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d):)?"
    r"(?:(?P<account>\d{12}):)?"
    r"(?:function:)?"
    r"(?P<name>[a-zA-Z0-9_.-]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_-]+))?"
)
_QUALIFIER = re.compile(r"\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9_$-]{1,128}")
_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")
# botocore's ExecutionStatus enum: DELETING is a valid filter, though nothing here is
# ever DELETING (a deletion is immediate).
_STATUSES = frozenset({*(status.value for status in ExecutionStatus), "DELETING"})


@attrs.frozen
class _Query:
    """What one listing asks for, checked; its fingerprint ties a marker to it."""

    name: str
    region: str | None
    account: str | None
    qualifier: str | None
    execution_name: str | None
    statuses: frozenset[str] | None
    after: datetime.datetime | None
    before: datetime.datetime | None
    reverse: bool

    def fingerprint(self) -> str:
        text = repr(
            (
                self.name,
                self.region,
                self.account,
                self.qualifier,
                self.execution_name,
                sorted(self.statuses) if self.statuses is not None else None,
                self.after.isoformat() if self.after else None,
                self.before.isoformat() if self.before else None,
                self.reverse,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def matches(self, record: ExecutionRecord) -> bool:
        # arn:aws:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER
        parts = record.function_arn.split(":")
        region, account, name, qualifier = parts[3], parts[4], parts[6], parts[7]
        return (
            name == self.name
            and self.region in (None, region)
            and self.account in (None, account)
            and self.qualifier in (None, qualifier)
            and self.execution_name in (None, record.execution_name)
            and (self.statuses is None or record.status.value in self.statuses)
            and (self.after is None or record.start >= self.after)
            and (self.before is None or record.start < self.before)
        )


def _invalid(what: str, value: object, expected: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(f"{what}={value!r}: expected {expected}")


def _function(
    function_name: object, qualifier: object
) -> tuple[str, str | None, str | None, str | None]:
    if not isinstance(function_name, str) or not 1 <= len(function_name) <= 256:
        raise _invalid("FunctionName", function_name, "a function name or ARN")
    match = _FUNCTION.fullmatch(function_name)
    if match is None:
        raise _invalid(
            "FunctionName", function_name, "a function name, a partial ARN or a full ARN"
        )
    derived = match.group("qualifier")
    if qualifier is not None:
        if not isinstance(qualifier, str) or not _QUALIFIER.fullmatch(qualifier):
            raise _invalid("Qualifier", qualifier, "a version ($LATEST or a number) or alias")
        if derived is not None and derived != qualifier:
            raise InvalidParameterValueException(
                f"Qualifier={qualifier!r} differs from the qualifier {derived!r} in "
                f"FunctionName={function_name!r}: give it in one place"
            )
        derived = qualifier
    return match.group("name"), match.group("region"), match.group("account"), derived


def _statuses(statuses: object) -> frozenset[str] | None:
    if statuses is None:
        return None
    if isinstance(statuses, str) or not isinstance(statuses, Sequence | set | frozenset):
        raise _invalid("Statuses", statuses, "a list of execution statuses")
    if not statuses:
        # An empty filter filters nothing (docs/decisions.md, "Lenient where existing
        # code has one obvious meaning").
        return None
    if len(statuses) > _MAX_STATUSES:
        raise _invalid("Statuses", statuses, f"at most {_MAX_STATUSES} statuses")
    values = set()
    for status in statuses:
        value = status.value if isinstance(status, ExecutionStatus) else status
        if value not in _STATUSES:
            raise _invalid("Statuses", list(statuses), f"members of {sorted(_STATUSES)}")
        values.add(value)
    return frozenset(values)


def _timestamp(what: str, value: object) -> datetime.datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        raise _invalid(what, value, "a timestamp (datetime)")
    # A naive timestamp is UTC, as botocore sends and the service stores them.
    return value if value.tzinfo is not None else value.replace(tzinfo=datetime.UTC)


def _page_size(max_items: object) -> int:
    if isinstance(max_items, bool) or not isinstance(max_items, int | None):
        raise _invalid("MaxItems", max_items, f"an integer from 1 to {_MAX_ITEMS}")
    if max_items is None or max_items == 0:
        return DEFAULT_MAX_ITEMS
    if not 1 <= max_items <= _MAX_ITEMS:
        raise _invalid("MaxItems", max_items, f"an integer from 1 to {_MAX_ITEMS}")
    return max_items


def _encode_marker(query: _Query, last: ExecutionRecord) -> str:
    data = json.dumps({"after": last.sequence, "query": query.fingerprint()})
    return base64.urlsafe_b64encode(data.encode()).decode("ascii")


def _decode_marker(marker: object, query: _Query) -> int | None:
    """The creation sequence the page starts after; ``None`` for the first page.

    Raises:
        InvalidParameterValueException: not a marker of this query.
    """
    if marker is None or marker == "":
        return None
    try:
        if not isinstance(marker, str):
            raise ValueError(marker)
        data = json.loads(base64.urlsafe_b64decode(marker.encode("ascii")))
        after = data["after"]
        fingerprint = data["query"]
        if isinstance(after, bool) or not isinstance(after, int):
            raise ValueError(after)
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeError):
        raise InvalidParameterValueException(
            f"Invalid marker: {marker!r} is not a NextMarker of ListDurableExecutionsByFunction"
        ) from None
    if fingerprint != query.fingerprint():
        raise InvalidParameterValueException(
            f"Invalid marker: {marker!r} belongs to a listing with other filters; repeat "
            "the filters of the request that returned it"
        )
    return after


def _summary(record: ExecutionRecord) -> dict[str, Any]:
    item: dict[str, Any] = {
        "DurableExecutionArn": record.arn,
        "DurableExecutionName": record.execution_name,
        "FunctionArn": record.function_arn,
        "Status": record.status.value,
        "StartTimestamp": record.start,
    }
    if record.end is not None:
        item["EndTimestamp"] = record.end
    return item


def list_executions(
    records: Iterable[ExecutionRecord],
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
    """One page of the ``ListDurableExecutionsByFunctionResponse`` (botocore's names).

    Raises:
        InvalidParameterValueException: a malformed filter, marker or page size.
    """
    name, region, account, version = _function(function_name, qualifier)
    if execution_name is not None and (
        not isinstance(execution_name, str) or not _NAME.fullmatch(execution_name)
    ):
        raise _invalid(
            "DurableExecutionName", execution_name, "1 to 64 letters, digits, '-' or '_'"
        )
    if not isinstance(reverse_order, bool):
        raise _invalid("ReverseOrder", reverse_order, "true or false")
    query = _Query(
        name,
        region,
        account,
        version,
        execution_name,
        _statuses(statuses),
        _timestamp("StartedAfter", started_after),
        _timestamp("StartedBefore", started_before),
        reverse_order,
    )
    size = _page_size(max_items)
    after = _decode_marker(marker, query)
    ordered = sorted(
        (record for record in records if query.matches(record)),
        key=lambda record: record.sequence,
        reverse=not reverse_order,  # newest first unless ReverseOrder
    )
    if after is not None:
        ordered = [
            record
            for record in ordered
            if (record.sequence > after if reverse_order else record.sequence < after)
        ]
    page = ordered[:size]
    response: dict[str, Any] = {"DurableExecutions": [_summary(record) for record in page]}
    if len(ordered) > size:
        response["NextMarker"] = _encode_marker(query, page[-1])
    return response
