"""Operation metrics: a plugin that times every operation and counts step attempts, on a
shipment workflow with a flaky step, a wait and a child context.

``OperationMetrics`` is a ``DurableInstrumentationPlugin``: it learns an operation's type
when it starts, counts one attempt each time user code starts for it (a step that is retried
twice runs three times), and takes its duration from the start and end timestamps that
``on_operation_end`` reports (the service's timestamps: on the test runner's virtual clock a
5-minute wait lasts 300 seconds, although the test takes milliseconds). Each operation ends
once per execution, however many invocations replay it. ``summary()`` maps each operation's
name to ``{"type", "status", "attempts", "duration_seconds"}``.

A plugin registered with ``@durable_execution(plugins=[...])`` lives as long as the process
and sees every invocation of every execution of the handler: it files operations by id,
which is the same in every execution, so call ``reset()`` between executions.
``OperationMetricsFactory`` shows the other way: the SDK asks it for a fresh plugin at the
start of every invocation (``create_plugin(info)``), and it files what each one records
under the execution's ARN, so concurrent executions never mix.

Run it locally with its timeline:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/operation_metrics/workflow.py:handler --input '{"shipment_id": "s-1"}'
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from aws_durable_execution_sdk_python.config import JitterStrategy, StepConfig
from aws_durable_execution_sdk_python.plugin import (
    DurableInstrumentationPlugin,
    InvocationStartInfo,
    OperationEndInfo,
    OperationStartInfo,
    UserFunctionStartInfo,
)
from aws_durable_execution_sdk_python.retries import RetryStrategyConfig, create_retry_strategy

# -- the plugin ----------------------------------------------------------------------------


@dataclass
class OperationRecord:
    """What the hooks told us about one operation."""

    name: str
    type: str | None = None
    status: str | None = None
    attempts: int | None = None  # user-code runs (step attempts); None if user code never ran
    start_time: datetime.datetime | None = None
    end_time: datetime.datetime | None = None
    end_reports: int = 0  # how many times on_operation_end reported it (once, by contract)

    @property
    def duration_seconds(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()


class OperationMetrics(DurableInstrumentationPlugin):
    """Per-operation durations and attempt counts.

    Hooks run on the handler's thread and on the checkpointing thread (operation ends), so
    every update holds a lock. ``records`` and ``lock`` let a factory share one store among
    the plugins it makes for the invocations of one execution.
    """

    def __init__(
        self,
        records: dict[str, OperationRecord] | None = None,
        lock: threading.Lock | None = None,
    ) -> None:
        self._records: dict[str, OperationRecord] = {} if records is None else records
        self._lock = lock or threading.Lock()

    def _record(self, info: Any) -> OperationRecord:
        record = self._records.get(info.operation_id)
        if record is None:
            record = OperationRecord(name=info.name or info.operation_id)
            self._records[info.operation_id] = record
        if record.type is None and info.operation_type is not None:
            record.type = info.operation_type.value
        return record

    def on_operation_start(self, info: OperationStartInfo) -> None:
        with self._lock:
            record = self._record(info)
            if info.start_time is not None:
                record.start_time = info.start_time

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        with self._lock:
            record = self._record(info)
            record.attempts = (record.attempts or 0) + 1

    def on_operation_end(self, info: OperationEndInfo) -> None:
        with self._lock:
            record = self._record(info)
            record.end_reports += 1
            record.status = info.status.value if info.status is not None else None
            record.start_time = info.start_time or record.start_time
            record.end_time = info.end_time
            if info.attempt is not None:
                # A plugin made for a later invocation did not see the earlier attempts;
                # the service's count covers them all.
                record.attempts = max(record.attempts or 0, info.attempt)

    def records(self) -> list[OperationRecord]:
        with self._lock:
            return list(self._records.values())

    def summary(self) -> dict[str, dict[str, Any]]:
        """Operation name → type, status, attempts and duration (seconds), in start order."""
        return {
            record.name: {
                "type": record.type,
                "status": record.status,
                "attempts": record.attempts,
                "duration_seconds": record.duration_seconds,
            }
            for record in self.records()
        }

    def reset(self) -> None:
        with self._lock:
            self._records.clear()


class OperationMetricsFactory:
    """Makes one ``OperationMetrics`` per invocation, filed by execution ARN."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: dict[str, dict[str, OperationRecord]] = {}
        self.invocations: list[InvocationStartInfo] = []
        self.plugins: list[OperationMetrics] = []

    def create_plugin(self, info: InvocationStartInfo) -> OperationMetrics:
        with self._lock:
            records = self._executions.setdefault(info.execution_arn, {})
            plugin = OperationMetrics(records, self._lock)
            self.invocations.append(info)
            self.plugins.append(plugin)
        return plugin

    def summary(self, execution_arn: str) -> dict[str, dict[str, Any]]:
        """``OperationMetrics.summary()`` over every invocation of one execution."""
        with self._lock:
            records = dict(self._executions.get(execution_arn, {}))
        return OperationMetrics(records).summary()


# -- the workflow --------------------------------------------------------------------------


class CarrierUnavailable(Exception):
    """The carrier's booking API is briefly unavailable."""


# A stand-in for the carrier: unavailable on the first attempts of every booking.
UNAVAILABLE_ATTEMPTS = 2
SETTLE_TIME = Duration.from_minutes(5)


@durable_step
def load_shipment(step_context: StepContext, shipment_id: str) -> dict[str, Any]:
    return {"shipment_id": shipment_id, "parcels": 2}


@durable_step
def book_carrier(step_context: StepContext, shipment_id: str) -> str:
    if step_context.attempt <= UNAVAILABLE_ATTEMPTS:
        raise CarrierUnavailable(f"carrier unavailable (attempt {step_context.attempt})")
    return f"booking-{shipment_id}"


@durable_step
def print_label(step_context: StepContext, booking: str, parcel: int) -> str:
    return f"label-{booking}-{parcel}"


@durable_with_child_context
def print_labels(child: DurableContext, booking: str, parcels: int) -> list[str]:
    return [
        child.step(print_label(booking, parcel), name=f"label {parcel}")
        for parcel in range(parcels)
    ]


CARRIER_RETRIES = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=4,
            initial_delay_seconds=10,
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
            retryable_error_types=[CarrierUnavailable],
        )
    )
)


def ship(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    shipment = context.step(load_shipment(event["shipment_id"]))
    booking = context.step(book_carrier(shipment["shipment_id"]), config=CARRIER_RETRIES)
    context.wait(SETTLE_TIME, name="settle")
    labels = context.run_in_child_context(print_labels(booking, shipment["parcels"]))
    return {"shipment_id": shipment["shipment_id"], "booking": booking, "labels": labels}


def make_handler(*plugins: Any) -> Callable[..., dict[str, Any]]:
    """The durable handler of ``ship`` with these plugins (none: the plain handler)."""
    return durable_execution(plugins=list(plugins))(ship)


metrics = OperationMetrics()
handler = make_handler(metrics)
