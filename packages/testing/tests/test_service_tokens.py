"""Checkpoint tokens and callback ids: unguessable, in botocore's patterns, checked on entry.

A stale token, another execution's token and a malformed one are all refused with the
service's "Invalid Checkpoint Token" error (which the SDK treats as retryable); a callback
id that is not in botocore's pattern is an invalid parameter, a well-formed unknown one is
not found.
"""

from __future__ import annotations

import base64
import re

import botocore.session
import pytest

from aws_durable_execution_sdk_python.lambda_service import (
    OperationAction,
    OperationType,
    OperationUpdate,
)
from aws_durable_execution_sdk_python_testing._service.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)
from aws_durable_execution_sdk_python_testing._service.service import InMemoryDurableService
from aws_durable_execution_sdk_python_testing._service.tokens import (
    check_callback_id,
    mint_callback_id,
    mint_checkpoint_token,
)


def _shape(operation: str, member: str) -> dict:
    model = botocore.session.get_session().get_service_model("lambda")
    return dict(model.operation_model(operation).input_shape.members[member].metadata)


TOKEN_SHAPE = _shape("CheckpointDurableExecution", "CheckpointToken")
CALLBACK_SHAPE = _shape("SendDurableExecutionCallbackSuccess", "CallbackId")


def _matches(value: str, shape: dict) -> bool:
    return (
        re.fullmatch(shape["pattern"], value) is not None
        and shape["min"] <= len(value) <= shape["max"]
    )


def _callback_update() -> OperationUpdate:
    return OperationUpdate(
        operation_id="cb-1",
        operation_type=OperationType.CALLBACK,
        action=OperationAction.START,
        name="approval",
    )


def _invoked(service: InMemoryDurableService, name: str) -> tuple[str, str]:
    record = service.start_execution("fn", name, None)
    return record.arn, service.begin_invocation(record.arn).checkpoint_token


# -- minting ---------------------------------------------------------------------------------


def test_minted_tokens_and_callback_ids_match_botocores_patterns():
    for _ in range(200):
        assert _matches(mint_checkpoint_token(), TOKEN_SHAPE)
        assert _matches(mint_callback_id(), CALLBACK_SHAPE)


def test_minted_values_do_not_repeat():
    assert len({mint_checkpoint_token() for _ in range(1000)}) == 1000
    assert len({mint_callback_id() for _ in range(1000)}) == 1000


def test_tokens_the_service_hands_out_match_the_pattern_and_carry_no_readable_ids():
    service = InMemoryDurableService()
    record = service.start_execution("fn", "run-1", None)
    first = service.begin_invocation(record.arn).checkpoint_token
    output = service.checkpoint(record.arn, first, [_callback_update()])
    callback_id = output.new_execution_state.operations[0].callback_details.callback_id

    for value, shape in ((first, TOKEN_SHAPE), (output.checkpoint_token, TOKEN_SHAPE)):
        assert _matches(value, shape)
    assert _matches(callback_id, CALLBACK_SHAPE)
    # Nothing a caller could derive another execution's token or callback id from.
    for value in (first, output.checkpoint_token, callback_id):
        decoded = base64.b64decode(value)
        assert record.invocation_id.encode() not in decoded
        assert b"cb-1" not in decoded


# -- checkpoint tokens refused ---------------------------------------------------------------


def _stale(service: InMemoryDurableService) -> tuple[str, str]:
    arn, token = _invoked(service, "stale")
    service.checkpoint(arn, token, [])
    return arn, token


def _foreign(service: InMemoryDurableService) -> tuple[str, str]:
    arn, _ = _invoked(service, "mine")
    _, other = _invoked(service, "theirs")
    return arn, other


def _after_invocation(service: InMemoryDurableService) -> tuple[str, str]:
    arn, token = _invoked(service, "ended-invocation")
    service.end_invocation(arn, service.clock.now_datetime(), "req-1")
    return arn, token


def _malformed(value: str):
    def make(service: InMemoryDurableService) -> tuple[str, str]:
        arn, _ = _invoked(service, "malformed")
        return arn, value

    return make


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_stale, id="stale"),
        pytest.param(_foreign, id="another-execution"),
        pytest.param(_after_invocation, id="after-its-invocation-ended"),
        pytest.param(_malformed(""), id="empty"),
        pytest.param(_malformed("not base64!"), id="not-base64"),
        pytest.param(_malformed("abc==="), id="too-much-padding"),
        pytest.param(_malformed("A" * 2049), id="too-long"),
    ],
)
@pytest.mark.parametrize("call", ["checkpoint", "get_execution_state"])
def test_a_bad_checkpoint_token_is_the_services_invalid_token_error(make, call):
    service = InMemoryDurableService()
    arn, token = make(service)

    with pytest.raises(InvalidParameterValueException, match=r"^Invalid Checkpoint Token"):
        if call == "checkpoint":
            service.checkpoint(arn, token, [])
        else:
            service.get_execution_state(arn, token, "")


def test_the_current_token_is_accepted_once_and_its_successor_next():
    service = InMemoryDurableService()
    arn, token = _invoked(service, "chain")
    second = service.checkpoint(arn, token, []).checkpoint_token
    third = service.checkpoint(arn, second, []).checkpoint_token

    assert len({token, second, third}) == 3
    with pytest.raises(InvalidParameterValueException, match="Invalid Checkpoint Token"):
        service.checkpoint(arn, second, [])


# -- callback ids ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "callback_id",
    [
        pytest.param("", id="empty"),
        pytest.param("has-dash", id="dash"),
        pytest.param("with space", id="space"),
        pytest.param("abc===", id="too-much-padding"),
        pytest.param("A" * 1025, id="too-long"),
        pytest.param(None, id="none"),
        pytest.param(12, id="not-a-string"),
    ],
)
def test_a_malformed_callback_id_is_an_invalid_parameter(callback_id):
    with pytest.raises(InvalidParameterValueException, match="callback id"):
        check_callback_id(callback_id)


@pytest.mark.parametrize("send", ["success", "failure", "heartbeat"])
def test_the_service_refuses_a_malformed_callback_id_before_looking_it_up(send):
    service = InMemoryDurableService()
    call = {
        "success": lambda: service.send_callback_success("no-such-id", None),
        "failure": lambda: service.send_callback_failure("no-such-id", None),
        "heartbeat": lambda: service.send_callback_heartbeat("no-such-id"),
    }[send]

    with pytest.raises(InvalidParameterValueException, match="'no-such-id'"):
        call()


@pytest.mark.parametrize("send", ["success", "failure", "heartbeat"])
def test_a_well_formed_unknown_callback_id_is_not_found(send):
    service = InMemoryDurableService()
    unknown = mint_callback_id()
    call = {
        "success": lambda: service.send_callback_success(unknown, None),
        "failure": lambda: service.send_callback_failure(unknown, None),
        "heartbeat": lambda: service.send_callback_heartbeat(unknown),
    }[send]

    with pytest.raises(ResourceNotFoundException, match=re.escape(unknown)):
        call()


def test_a_callback_id_the_service_minted_is_answerable():
    service = InMemoryDurableService()
    arn, token = _invoked(service, "answer")
    output = service.checkpoint(arn, token, [_callback_update()])
    callback_id = output.new_execution_state.operations[0].callback_details.callback_id

    check_callback_id(callback_id)
    service.send_callback_success(callback_id, '"yes"')

    assert service.get(arn).operations["cb-1"].callback_details.result == '"yes"'
