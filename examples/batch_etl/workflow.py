"""A batch ETL job: transform every record of a batch, tolerating a few malformed ones.

Each record is transformed in its own step, at most five at a time. Up to 20 % of the
records may be malformed: those items fail (a malformed record is not retried, it will not
get better) and the job loads the rest and reports the failed indexes. When more than 20 %
are malformed the batch stops starting new records (completion reason
FAILURE_TOLERANCE_EXCEEDED) and the job loads nothing.

Run it locally with its timeline:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/batch_etl/workflow.py:handler \
        --input '{"records": [{"id": "r1", "amount": "12.50"}, {"id": "r2", "amount": "oops"}]}'
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from aws_durable_execution_sdk_python import DurableContext, StepContext, durable_execution
from aws_durable_execution_sdk_python.concurrency.models import CompletionReason
from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig, StepConfig
from aws_durable_execution_sdk_python.retries import RetryPresets


class MalformedRecord(Exception):
    """A record that cannot be transformed: missing fields or an amount that is no number."""


TRANSFORM_CONFIG = MapConfig(
    max_concurrency=5,
    completion_config=CompletionConfig(tolerated_failure_percentage=20),
)
NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def transform(step_context: StepContext, record: dict[str, Any]) -> dict[str, Any]:
    """Extract and normalise one record: the amount in cents, the currency upper-cased."""
    if not isinstance(record, dict) or not record.get("id"):
        raise MalformedRecord(f"record without an id: {record!r}")
    try:
        amount = Decimal(str(record["amount"]))
    except (KeyError, InvalidOperation) as error:
        raise MalformedRecord(f"record {record['id']}: bad amount") from error
    if not amount.is_finite() or amount < 0:
        raise MalformedRecord(f"record {record['id']}: bad amount")
    return {
        "id": record["id"],
        "cents": int(amount * 100),
        "currency": str(record.get("currency", "EUR")).upper(),
    }


def load(step_context: StepContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Stand-in for the load into the warehouse: one write of all the clean rows."""
    return {"rows": len(rows), "total_cents": sum(row["cents"] for row in rows)}


def transform_item(
    context: DurableContext, record: Any, index: int, records: list[Any]
) -> dict[str, Any]:
    return context.step(lambda step_context: transform(step_context, record), "transform", NO_RETRY)


@durable_execution
def handler(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    records = event["records"]
    batch = context.map(records, transform_item, name="transform_records", config=TRANSFORM_CONFIG)
    failed = [item.index for item in batch.failed()]
    report: dict[str, Any] = {
        "records": len(records),
        "transformed": batch.success_count,
        "failed_indexes": failed,
        "completion_reason": batch.completion_reason.value,
    }
    if batch.completion_reason is CompletionReason.FAILURE_TOLERANCE_EXCEEDED:
        context.logger.warning("too many malformed records (%s): nothing loaded", failed)
        report["loaded"] = None
        return report
    rows = batch.get_results()
    report["loaded"] = context.step(lambda step_context: load(step_context, rows), "load")
    return report
