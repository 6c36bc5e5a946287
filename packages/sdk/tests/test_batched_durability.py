"""Batched durability in the checkpointer, and the option's validation.

``Checkpointer.hold`` queues a batched step's START and SUCCEED with no window of their own;
these tests check that a held update goes out with the next flush, before any later update,
that a full batch (``batch_size`` completions) or a batch about to outgrow one call's bytes
is sent early, and that a failed send is sticky. Bad option values are table rows expecting
``ValidationError``. The local-runner tests are in ``tests/test_batched_durability_runner.py``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from aws_durable_execution_sdk_python import ValidationError, durable_execution
from aws_durable_execution_sdk_python._state.checkpointer import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_BYTES,
    MAX_BATCH_SIZE,
    Checkpointer,
    split_batches,
)
from aws_durable_execution_sdk_python.config import StepConfig, StepDurability, StepSemantics
from aws_durable_execution_sdk_python.exceptions import CheckpointError
from aws_durable_execution_sdk_python.lambda_service import (
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    OperationAction,
    OperationType,
    OperationUpdate,
    StateOutput,
)

START, SUCCEED = OperationAction.START, OperationAction.SUCCEED


class Service:
    """Records each call's (id, action) pairs and checks the token chain."""

    def __init__(self, fail_on_call: int | None = None) -> None:
        self.calls: list[list[tuple[str, str]]] = []
        self.bad_tokens: list[str] = []
        self.fail_on_call = fail_on_call
        self.failure = CheckpointError("throttled")

    def checkpoint(self, arn: str, token: str, updates: Any, client_token: Any = None) -> Any:
        if token != f"t{len(self.calls)}":
            self.bad_tokens.append(token)
        if self.fail_on_call == len(self.calls) + 1:
            raise self.failure
        self.calls.append([(u.operation_id, u.action.value) for u in updates])
        return CheckpointOutput(f"t{len(self.calls)}", CheckpointUpdatedExecutionState([], None))

    def get_execution_state(self, arn: str, token: str, marker: str, max_items: int = 1000) -> Any:
        return StateOutput([], None)


def update(n: int, action: OperationAction, payload: str | None = None) -> OperationUpdate:
    return OperationUpdate(f"op-{n}", OperationType.STEP, action, payload=payload)


def make(service: Service, batch_size: int = DEFAULT_BATCH_SIZE, **options: Any) -> Checkpointer:
    # A window of 600 s: a held update must not need one, and no call here waits for it.
    return Checkpointer(
        service,
        "arn",
        "t0",
        lambda _: None,
        start_flush_window=600,
        batch_size=batch_size,
        **options,
    )


def hold_steps(checkpointer: Checkpointer, numbers: range, payload: str | None = None) -> None:
    for n in numbers:
        checkpointer.hold(update(n, START))
        checkpointer.hold(update(n, SUCCEED, payload))


def pairs(numbers: range) -> list[tuple[str, str]]:
    return [(f"op-{n}", action) for n in numbers for action in ("START", "SUCCEED")]


def test_held_steps_make_no_call_until_the_batch_is_full() -> None:
    service = Service()
    checkpointer = make(service, batch_size=3)
    try:
        hold_steps(checkpointer, range(2))
        assert service.calls == []
        hold_steps(checkpointer, range(2, 3))  # the third completion fills the batch
        assert service.calls == [pairs(range(3))]
        hold_steps(checkpointer, range(3, 7))
    finally:
        checkpointer.close()
    assert service.calls == [pairs(range(3)), pairs(range(3, 6))]
    checkpointer.flush()  # the end of the invocation sends the rest
    assert service.calls == [pairs(range(3)), pairs(range(3, 6)), pairs(range(6, 7))]
    assert service.bad_tokens == []


@pytest.mark.parametrize("steps", [1, 49, 50, 51, 100, 1_000])
def test_n_held_steps_cost_ceil_n_over_the_batch_size_calls(steps: int) -> None:
    service = Service()
    checkpointer = make(service)
    hold_steps(checkpointer, range(steps))
    checkpointer.flush()
    checkpointer.close()
    assert len(service.calls) == math.ceil(steps / DEFAULT_BATCH_SIZE)
    assert [pair for call in service.calls for pair in call] == pairs(range(steps))


def test_held_updates_go_first_in_the_call_of_the_next_update_that_needs_an_answer() -> None:
    service = Service()
    checkpointer = make(service)
    try:
        hold_steps(checkpointer, range(2))
        checkpointer.enqueue(update(2, START))  # an immediate step's START: queued behind
        checkpointer.commit(update(2, SUCCEED))
    finally:
        checkpointer.close()
    assert service.calls == [pairs(range(3))]


def test_a_held_update_goes_with_a_refresh_too() -> None:
    service = Service()
    checkpointer = make(service)
    checkpointer.hold(update(1, START))
    checkpointer.commit()
    checkpointer.close()
    assert service.calls == [[("op-1", "START")]]


def test_a_batch_near_the_byte_limit_is_sent_before_it_would_outgrow_one_call() -> None:
    """Each result takes a third of the limit: what is pending goes out before the update
    that would take it past the limit, so no call needs splitting (a call more each)."""
    service = Service()
    limit = 30_000
    checkpointer = make(service, max_batch_bytes=limit)
    payload = "x" * (limit // 3)
    hold_steps(checkpointer, range(5), payload)
    checkpointer.flush()
    checkpointer.close()
    assert [pair for call in service.calls for pair in call] == pairs(range(5))
    # Two results and the STARTs fit in 30 KB; each third result starts a new call.
    assert [len(call) for call in service.calls] == [5, 4, 1]


def test_a_failed_batch_send_is_sticky() -> None:
    service = Service(fail_on_call=1)
    checkpointer = make(service, batch_size=2)
    checkpointer.hold(update(1, START))
    checkpointer.hold(update(1, SUCCEED))
    checkpointer.hold(update(2, START))
    with pytest.raises(CheckpointError) as raised:
        checkpointer.hold(update(2, SUCCEED))
    assert raised.value is service.failure
    with pytest.raises(CheckpointError):
        checkpointer.hold(update(3, START))
    with pytest.raises(CheckpointError):
        checkpointer.flush()
    checkpointer.close()
    assert service.calls == []


def test_the_largest_batch_fits_one_call_with_empty_results() -> None:
    """``MAX_BATCH_SIZE`` steps (START and SUCCEED each, no result) fit in one call; the
    ``durable_execution`` docstring names the number."""
    assert MAX_BATCH_SIZE == 732
    sent = [update(n, action) for n in range(MAX_BATCH_SIZE) for action in (START, SUCCEED)]
    assert len(split_batches(sent, MAX_BATCH_BYTES)) == 1
    sent += [update(MAX_BATCH_SIZE, START), update(MAX_BATCH_SIZE, SUCCEED)]
    assert len(split_batches(sent, MAX_BATCH_BYTES)) == 2


# -- the option ----------------------------------------------------------------------------


def test_step_config_durability_defaults_to_the_functions_default() -> None:
    assert StepConfig().durability is None
    assert StepConfig(durability=StepDurability.BATCHED).durability is StepDurability.BATCHED
    assert (
        StepConfig(
            step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY,
            durability=StepDurability.IMMEDIATE,
        ).durability
        is StepDurability.IMMEDIATE
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"durability": "BATCHED"}, r"StepConfig\(durability='BATCHED'\).*StepDurability"),
        ({"durability": 1}, r"durability=1"),
        ({"durability": True}, r"durability=True"),
        (
            {
                "durability": StepDurability.BATCHED,
                "step_semantics": StepSemantics.AT_MOST_ONCE_PER_RETRY,
            },
            r"at-most-once.*cannot be batched.*AT_LEAST_ONCE_PER_RETRY",
        ),
    ],
)
def test_bad_step_config_durability(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        StepConfig(**options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"step_durability": "BATCHED"}, r"step_durability='BATCHED'.*StepDurability"),
        ({"step_durability": None}, r"step_durability=None"),
        ({"batch_size": 0}, r"batch_size=0.*1 to"),
        ({"batch_size": -1}, r"batch_size=-1"),
        ({"batch_size": MAX_BATCH_SIZE + 1}, rf"batch_size={MAX_BATCH_SIZE + 1}.*one checkpoint"),
        ({"batch_size": 10**9}, r"batch_size=1000000000"),
        ({"batch_size": True}, r"batch_size=True.*an int"),
        ({"batch_size": 2.0}, r"batch_size=2\.0.*an int"),
        ({"batch_size": "50"}, r"batch_size='50'"),
        ({"batch_size": None}, r"batch_size=None"),
    ],
)
def test_bad_durable_execution_durability(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        durable_execution(**options)


@pytest.mark.parametrize("size", [1, 2, DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE])
def test_good_batch_sizes(size: int) -> None:
    decorate = durable_execution(step_durability=StepDurability.BATCHED, batch_size=size)
    assert callable(decorate(lambda event, context: None))


def test_batch_size_alone_is_accepted_for_steps_that_opt_in() -> None:
    decorate = durable_execution(batch_size=10)
    assert callable(decorate(lambda event, context: None))
