"""Hypothesis strategies shared by the SDK's property tests."""

from __future__ import annotations

import datetime
from typing import Any

from hypothesis import strategies as st

__all__ = ["json_primitives", "json_values", "serializable_values"]

# datetime.timezone accepts offsets strictly inside ±24 h; fixed offsets (unlike zoneinfo)
# survive an isoformat() round trip exactly.
_MAX_OFFSET = datetime.timedelta(hours=23, minutes=59)
_fixed_offsets = st.builds(
    datetime.timezone, st.timedeltas(min_value=-_MAX_OFFSET, max_value=_MAX_OFFSET)
)
_finite_floats = st.floats(allow_nan=False, allow_infinity=False)
_json_scalars = st.none() | st.booleans() | st.integers() | _finite_floats | st.text()


def json_primitives() -> st.SearchStrategy[Any]:
    """Values ``SerDes.is_primitive`` accepts: JSON scalars and nested lists of them."""
    return st.recursive(_json_scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=20)


def json_values() -> st.SearchStrategy[Any]:
    """Anything ``json.loads`` can return: scalars, lists and str-keyed dicts."""
    return st.recursive(
        _json_scalars,
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )


def serializable_values() -> st.SearchStrategy[Any]:
    """Values the default serdes round-trips to an equal value of the same type.

    bytearray and memoryview are left out: they are supported but come back as bytes.
    """
    leaves = st.one_of(
        _json_scalars,
        st.binary(max_size=16),
        st.uuids(),
        st.decimals(allow_nan=False, allow_infinity=False),
        st.datetimes(timezones=st.none() | _fixed_offsets),
        st.dates(),
    )
    return st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.lists(inner, max_size=4).map(tuple)
            | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=25,
    )


# -- the wire model ---------------------------------------------------------------------------

_ids = st.text("abcdef0123456789", min_size=1, max_size=64)
_names = st.none() | st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)
_payloads = st.none() | st.text(max_size=50)
# Whole milliseconds, as the event JSON carries them.
_timestamps = st.none() | st.integers(0, 4_102_444_800_000).map(
    lambda ms: datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)
)


def error_objects() -> st.SearchStrategy[Any]:
    from aws_durable_execution_sdk_python.lambda_service import ErrorObject

    return st.builds(
        ErrorObject,
        _payloads,
        _payloads,
        _payloads,
        st.none() | st.lists(st.text(max_size=20), max_size=3),
    )


def operations() -> st.SearchStrategy[Any]:
    """Operations of every type, with the details their type carries."""
    from aws_durable_execution_sdk_python.lambda_service import (
        CallbackDetails,
        ChainedInvokeDetails,
        ContextDetails,
        ExecutionDetails,
        Operation,
        OperationStatus,
        OperationSubType,
        OperationType,
        StepDetails,
        WaitDetails,
    )

    errors = st.none() | error_objects()
    details = {
        OperationType.EXECUTION: st.fixed_dictionaries(
            {"execution_details": st.builds(ExecutionDetails, _payloads)}
        ),
        OperationType.STEP: st.fixed_dictionaries(
            {
                "step_details": st.builds(
                    StepDetails, st.integers(0, 10), _timestamps, _payloads, errors
                )
            }
        ),
        OperationType.WAIT: st.fixed_dictionaries(
            {"wait_details": st.builds(WaitDetails, _timestamps)}
        ),
        OperationType.CALLBACK: st.fixed_dictionaries(
            {"callback_details": st.builds(CallbackDetails, _ids, _payloads, errors)}
        ),
        OperationType.CONTEXT: st.fixed_dictionaries(
            {"context_details": st.builds(ContextDetails, st.booleans(), _payloads, errors)}
        ),
        OperationType.CHAINED_INVOKE: st.fixed_dictionaries(
            {"chained_invoke_details": st.builds(ChainedInvokeDetails, _payloads, errors)}
        ),
    }

    def build(kind: OperationType) -> st.SearchStrategy[Any]:
        sub_types = [s for s in OperationSubType if OperationType.from_sub_type(s) is kind]
        return details[kind].flatmap(
            lambda extra: st.builds(
                Operation,
                operation_id=_ids,
                operation_type=st.just(kind),
                status=st.sampled_from(OperationStatus),
                parent_id=st.none() | _ids,
                name=_names,
                start_timestamp=_timestamps,
                end_timestamp=_timestamps,
                sub_type=st.sampled_from(sub_types) if sub_types else st.none(),
                **{key: st.just(value) for key, value in extra.items()},
            )
        )

    return st.sampled_from(OperationType).flatmap(build)
