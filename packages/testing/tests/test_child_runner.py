"""``DurableChildContextTestRunner`` runs one child-context block as a whole execution."""

from __future__ import annotations

from aws_durable_execution_sdk_python import Duration, durable_with_child_context
from aws_durable_execution_sdk_python_testing import (
    DurableChildContextTestRunner,
    InvocationStatus,
    deserialize_operation_payload,
)


@durable_with_child_context
def block(ctx, n: int) -> int:
    doubled = ctx.step(lambda _: n * 2, name="double")
    ctx.wait(Duration.from_minutes(5), name="pause")
    return ctx.step(lambda _: doubled + 1, name="increment")


def test_block_runs_with_its_arguments_and_replays() -> None:
    with DurableChildContextTestRunner(block, 20) as runner:
        result = runner.run()
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result == 41
    assert [op.name for op in result.operations] == ["double", "pause", "increment"]
    assert result.invocation_count == 2


def test_deserialize_operation_payload_reads_envelopes_and_plain_json() -> None:
    assert deserialize_operation_payload('{"t":"m","v":{"a":{"t":"i","v":1}}}') == {"a": 1}
    assert deserialize_operation_payload('{"a": 1}') == {"a": 1}
    assert deserialize_operation_payload("") is None
    assert deserialize_operation_payload("not json") == "not json"


def test_run_puts_the_account_id_in_the_execution_arn() -> None:
    import pytest

    from aws_durable_execution_sdk_python import durable_execution
    from aws_durable_execution_sdk_python_testing import (
        DurableFunctionsTestError,
        DurableFunctionTestRunner,
    )

    @durable_execution
    def handler(event, context):
        return None

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(account_id="210987654321")
        assert ":210987654321:function:" in result.execution_arn
        with pytest.raises(DurableFunctionsTestError, match="account_id"):
            runner.run(account_id="nope")
