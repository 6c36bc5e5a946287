"""Polling a batch job: submit it, then check its status with growing pauses until it ends.

``wait_for_condition`` runs ``check_job`` once per attempt and checkpoints the job's last
known state; between attempts the execution is suspended for the wait strategy's delay
(10 s, 20 s, 40 s, then 60 s at most), so a job that takes minutes costs a handful of short
invocations. After ``MAX_CHECKS`` checks without an outcome the wait gives up with a
``WaitForConditionError``.

The batch service is simulated: ``describe_job`` reports ``UNITS_PER_CHECK`` more units
processed each time it is asked, so a job of 100 units succeeds on the 4th check; a job
whose id starts with ``bad`` fails on its 2nd.

Run it locally with its timeline:

    python -m aws_durable_execution_sdk_python_testing run \
        examples/polling/workflow.py:handler --input '{"job_id": "j-1", "units": 100}'
"""

from __future__ import annotations

from aws_durable_execution_sdk_python import (
    DurableContext,
    ExecutionError,
    StepContext,
    durable_execution,
    durable_step,
)
from aws_durable_execution_sdk_python.config import JitterStrategy
from aws_durable_execution_sdk_python.types import WaitForConditionCheckContext
from aws_durable_execution_sdk_python.waits import (
    WaitForConditionConfig,
    WaitStrategyConfig,
    create_wait_strategy,
)

UNITS_PER_CHECK = 25
MAX_CHECKS = 8


def describe_job(job_id: str, units: int, check_number: int) -> dict:
    """Stand-in for the batch service's DescribeJob: deterministic in the check number."""
    processed = min(units, UNITS_PER_CHECK * check_number)
    if job_id.startswith("bad") and check_number >= 2:
        return {"status": "FAILED", "processed": processed}
    return {"status": "SUCCEEDED" if processed >= units else "RUNNING", "processed": processed}


@durable_step
def submit_job(step_context: StepContext, job_id: str, units: int) -> dict:
    return {"job_id": job_id, "units": units, "status": "SUBMITTED", "processed": 0, "checks": 0}


def check_job(job: dict, check_context: WaitForConditionCheckContext) -> dict:
    """One poll: the new state is the old one with the service's latest answer."""
    answer = describe_job(job["job_id"], job["units"], check_context.attempt)
    check_context.logger.info("job %s: %s", job["job_id"], answer)
    return {**job, **answer, "checks": check_context.attempt}


def still_running(job: dict) -> bool:
    return job["status"] in ("SUBMITTED", "RUNNING")


JOB_POLLING = create_wait_strategy(
    WaitStrategyConfig(
        should_continue_polling=still_running,
        max_attempts=MAX_CHECKS,
        initial_delay_seconds=10,
        backoff_rate=2.0,
        max_delay_seconds=60,
        # Fixed delays keep this example's timeline exact; jitter (FULL, the default)
        # spreads the polls of many executions in production.
        jitter_strategy=JitterStrategy.NONE,
    )
)


@durable_execution
def handler(event: dict, context: DurableContext) -> dict:
    job = context.step(submit_job(event["job_id"], event["units"]))
    job = context.wait_for_condition(
        check_job,
        WaitForConditionConfig(wait_strategy=JOB_POLLING, initial_state=job),
        name="wait for job",
    )
    if job["status"] == "FAILED":
        raise ExecutionError(f"job {job['job_id']} failed after {job['processed']} units")
    return {"job_id": job["job_id"], "status": job["status"], "checks": job["checks"]}
