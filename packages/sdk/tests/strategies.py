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
