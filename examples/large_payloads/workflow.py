"""A nightly sales report whose extract is too large for a checkpoint.

``extract_sales`` returns every sale of the day (3,000 rows, about 450 KB once serialised:
well over the service's 256 KiB per operation). Its step stores the rows with
``FileSystemSerDes`` on a shared file system, and the checkpoint keeps a pointer to the file
with a small preview: the report id, the row count and the first rows, customers' e-mail
addresses masked. The execution then waits an hour for late corrections (a new invocation
later), and ``summarise`` reads the rows back from the file on replay.

In production ``LARGE_PAYLOADS_DIR`` is where the function mounts EFS or S3 Files (say
``/mnt/payloads``), never ``/tmp``, which the next invocation may not see. Storage is
``OVERFLOW``: a quiet day's small extract stays inline in the checkpoint, with no file.

Run it locally with its timeline (the extract's line shows the preview):

    LARGE_PAYLOADS_DIR=$(mktemp -d) python -m aws_durable_execution_sdk_python_testing run \
        examples/large_payloads/workflow.py:handler --input '{"report_id": "r-1", "rows": 3000}'
"""

from __future__ import annotations

import os

from aws_durable_execution_sdk_python import (
    DurableContext,
    Duration,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import StepConfig
from aws_durable_execution_sdk_python.filesystem_serdes import (
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
)
from aws_durable_execution_sdk_python.preview import (
    FieldMatchMode,
    PreviewConfig,
    PreviewField,
    PreviewMode,
    build_preview,
)

PAYLOAD_DIR_VARIABLE = "LARGE_PAYLOADS_DIR"
REGIONS = ("eu-west-1", "us-east-1", "ap-south-1")

PREVIEW = PreviewConfig(
    PreviewMode.EXCLUDE_ALL,
    include=[
        PreviewField("report_id", FieldMatchMode.PATH),
        PreviewField("row_count", FieldMatchMode.PATH),
        PreviewField("rows", FieldMatchMode.PATH),
    ],
    mask=[PreviewField("email")],
    max_preview_bytes=512,
)


def payload_serdes() -> FileSystemSerDes:
    """The rows' serdes, made when the handler runs: the mount exists only at run time."""
    return FileSystemSerDes(
        os.environ[PAYLOAD_DIR_VARIABLE],
        FileSystemSerDesConfig(
            storage_mode=FileSystemSerDesMode.OVERFLOW,
            generate_preview=lambda extract: build_preview(extract, PREVIEW),
        ),
    )


def sale(number: int) -> dict:
    """Stand-in for the sales database: one deterministic row per number."""
    customer = f"c-{number % 97:02d}"
    return {
        "sale_id": f"s-{number:05d}",
        "customer": customer,
        "email": f"{customer}@example.com",
        "amount_cents": (number * 7919) % 10_000,
        "region": REGIONS[number % len(REGIONS)],
    }


@durable_step
def extract_sales(step_context: StepContext, report_id: str, rows: int) -> dict:
    return {"report_id": report_id, "row_count": rows, "rows": [sale(n) for n in range(rows)]}


@durable_step
def summarise(step_context: StepContext, extract: dict) -> dict:
    by_region: dict[str, int] = dict.fromkeys(REGIONS, 0)
    for row in extract["rows"]:
        by_region[row["region"]] += row["amount_cents"]
    return {
        "report_id": extract["report_id"],
        "rows": len(extract["rows"]),
        "total_cents": sum(by_region.values()),
        "by_region": by_region,
    }


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    extract = context.step(
        extract_sales(event["report_id"], event["rows"]),
        config=StepConfig(serdes=payload_serdes()),
    )
    context.wait(Duration.from_hours(1), name="late corrections")
    return context.step(summarise(extract))
