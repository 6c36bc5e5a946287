"""The preview module: which fields a preview keeps, how masked fields read, and that a
preview never outgrows its byte budget, whatever the value."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values, serializable_values

from aws_durable_execution_sdk_python.exceptions import ValidationError
from aws_durable_execution_sdk_python.preview import (
    FieldMatchMode,
    PreviewConfig,
    PreviewField,
    PreviewMode,
    build_preview,
    preview_size,
)

ORDER: dict[str, Any] = {
    "id": "o-1",
    "customer": {"id": "c-9", "name": "Ada", "card": "4111-1111", "address": {"city": "Oslo"}},
    "items": [{"sku": "A", "qty": 2, "card": "x"}, {"sku": "B", "qty": 1}],
    "total": 12.5,
}


def _size(preview: dict[str, Any]) -> int:
    return len(json.dumps(preview, separators=(",", ":"), ensure_ascii=False).encode())


def test_include_all_keeps_everything_but_excluded_fields() -> None:
    config = PreviewConfig(PreviewMode.INCLUDE_ALL, exclude=[PreviewField("items")])
    assert build_preview(ORDER, config) == {
        "id": "o-1",
        "customer": ORDER["customer"],
        "total": 12.5,
    }


def test_exclude_all_keeps_only_included_fields_and_their_parents() -> None:
    config = PreviewConfig(
        PreviewMode.EXCLUDE_ALL,
        include=[PreviewField("customer.name", FieldMatchMode.PATH), PreviewField("sku")],
    )
    assert build_preview(ORDER, config) == {
        "customer": {"name": "Ada"},
        "items": [{"sku": "A"}, {"sku": "B"}],
    }


def test_path_matches_from_the_root_only_and_anywhere_matches_at_any_depth() -> None:
    by_path = PreviewConfig(
        PreviewMode.EXCLUDE_ALL, include=[PreviewField("id", FieldMatchMode.PATH)]
    )
    anywhere = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=[PreviewField("id")])
    assert build_preview(ORDER, by_path) == {"id": "o-1"}
    assert build_preview(ORDER, anywhere) == {"id": "o-1", "customer": {"id": "c-9"}}


def test_an_included_field_keeps_its_whole_subtree_less_exclusions() -> None:
    config = PreviewConfig(
        PreviewMode.EXCLUDE_ALL,
        include=[PreviewField("customer", FieldMatchMode.PATH)],
        exclude=[PreviewField("address")],
    )
    assert build_preview(ORDER, config) == {
        "customer": {"id": "c-9", "name": "Ada", "card": "4111-1111"}
    }


def test_masked_fields_show_the_mask_string_wherever_they_are() -> None:
    config = PreviewConfig(
        PreviewMode.INCLUDE_ALL, mask=[PreviewField("card")], exclude=[PreviewField("address")]
    )
    preview = build_preview(ORDER, config)
    assert preview["customer"]["card"] == "***"
    assert preview["items"][0]["card"] == "***"
    assert "4111" not in json.dumps(preview)


def test_the_mask_string_is_configurable_and_masks_whole_subtrees() -> None:
    config = PreviewConfig(
        PreviewMode.INCLUDE_ALL,
        mask=[PreviewField("customer", FieldMatchMode.PATH)],
        mask_string="<hidden>",
    )
    assert build_preview(ORDER, config)["customer"] == "<hidden>"


def test_an_excluded_field_is_gone_even_when_it_is_also_included_or_masked() -> None:
    config = PreviewConfig(
        PreviewMode.EXCLUDE_ALL,
        include=[PreviewField("total")],
        exclude=[PreviewField("total")],
        mask=[PreviewField("total")],
    )
    assert build_preview(ORDER, config) == {}


def test_values_that_are_not_json_are_shown_as_text() -> None:
    value = {
        "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        "amount": decimal.Decimal("1.50"),
        "id": uuid.UUID(int=1),
        "blob": b"\x00\x01\x02",
        "pair": (1, "a"),
        "nan": float("nan"),
        7: "int key",
    }
    preview = build_preview(value, PreviewConfig(PreviewMode.INCLUDE_ALL))
    assert preview == {
        "when": "2026-01-02T03:04:05+00:00",
        "amount": "1.50",
        "id": "00000000-0000-0000-0000-000000000001",
        "blob": "<3 bytes>",
        "pair": [1, "a"],
        "nan": "nan",
        "7": "int key",
    }


def test_a_value_that_is_not_a_mapping_is_previewed_under_value() -> None:
    records = [{"id": 1, "secret": "s"}, {"id": 2, "secret": "t"}]
    config = PreviewConfig(
        PreviewMode.EXCLUDE_ALL, include=[PreviewField("id", FieldMatchMode.PATH)]
    )
    assert build_preview(records, config) == {"value": [{"id": 1}, {"id": 2}]}
    assert build_preview("text", PreviewConfig(PreviewMode.INCLUDE_ALL)) == {"value": "text"}
    assert build_preview("text", PreviewConfig(PreviewMode.EXCLUDE_ALL)) == {}


def test_a_long_string_is_cut_with_an_ellipsis_to_fit_the_budget() -> None:
    config = PreviewConfig(PreviewMode.INCLUDE_ALL, max_preview_bytes=40)
    preview = build_preview({"id": "o-1", "note": "x" * 1000, "later": 1}, config)
    assert preview["id"] == "o-1"
    assert preview["note"].endswith("...")
    assert set(preview["note"][:-3]) == {"x"}
    assert "later" not in preview  # everything after the first cut field is dropped
    assert _size(preview) <= 40
    assert _size(preview) > 40 - 2  # the cut string fills the budget


def test_fields_are_kept_in_document_order_until_the_budget_runs_out() -> None:
    value = {f"k{i}": i for i in range(1000)}
    preview = build_preview(value, PreviewConfig(PreviewMode.INCLUDE_ALL, max_preview_bytes=100))
    assert list(preview) == [f"k{i}" for i in range(len(preview))]
    assert _size(preview) <= 100
    assert preview_size(preview) == _size(preview)


def test_a_preview_of_a_huge_value_stays_small() -> None:
    value = {"rows": [{"n": i, "text": "y" * 100} for i in range(50_000)]}
    preview = build_preview(value, PreviewConfig(PreviewMode.INCLUDE_ALL))
    assert 4000 < _size(preview) <= 4096


def test_the_smallest_budget_gives_an_empty_preview() -> None:
    config = PreviewConfig(PreviewMode.INCLUDE_ALL, max_preview_bytes=2)
    assert build_preview(ORDER, config) == {}


def test_strings_name_fields_matched_anywhere() -> None:
    config = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=["sku"], mask=["card"])
    assert config.include == (PreviewField("sku", FieldMatchMode.ANYWHERE),)
    assert config.mask == (PreviewField("card"),)


ALL = PreviewMode.INCLUDE_ALL


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: PreviewConfig("INCLUDE_ALL"), "mode"),  # type: ignore[arg-type]
        (lambda: PreviewConfig(None), "mode"),  # type: ignore[arg-type]
        (lambda: PreviewConfig(ALL, max_preview_bytes=-1), "max_preview_bytes"),
        (lambda: PreviewConfig(ALL, max_preview_bytes=1), "max_preview_bytes"),
        (lambda: PreviewConfig(ALL, max_preview_bytes=True), "max_preview_bytes"),
        (lambda: PreviewConfig(ALL, max_preview_bytes=4.5), "max_preview_bytes"),  # type: ignore[arg-type]
        (lambda: PreviewConfig(PreviewMode.INCLUDE_ALL, mask_string=3), "mask_string"),  # type: ignore[arg-type]
        (lambda: PreviewConfig(PreviewMode.INCLUDE_ALL, include="sku"), "include"),  # type: ignore[arg-type]
        (lambda: PreviewConfig(PreviewMode.INCLUDE_ALL, exclude=[3]), "exclude"),  # type: ignore[list-item]
        (lambda: PreviewConfig(PreviewMode.INCLUDE_ALL, mask=[""]), "name"),
        (lambda: PreviewField(""), "name"),
        (lambda: PreviewField(None), "name"),  # type: ignore[arg-type]
        (lambda: PreviewField("a..b", FieldMatchMode.PATH), "name"),
        (lambda: PreviewField("a", "PATH"), "match"),  # type: ignore[arg-type]
    ],
)
def test_bad_configs_are_refused(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_build_preview_refuses_something_that_is_not_a_config() -> None:
    with pytest.raises(ValidationError, match="PreviewConfig"):
        build_preview(ORDER, {"mode": "INCLUDE_ALL"})  # type: ignore[arg-type]


_field_names = st.sampled_from(["a", "b", "id", "card", "x.y", ""]) | st.text(max_size=3)
_fields = st.builds(
    PreviewField,
    st.sampled_from(["a", "b", "id", "card", "a.b", "b.id"]),
    st.sampled_from(list(FieldMatchMode)),
)
_configs = st.builds(
    PreviewConfig,
    st.sampled_from(list(PreviewMode)),
    include=st.lists(_fields, max_size=3),
    exclude=st.lists(_fields, max_size=2),
    mask=st.lists(_fields, max_size=2),
    mask_string=st.sampled_from(["***", "", "<masked value>"]),
    max_preview_bytes=st.integers(min_value=2, max_value=300),
)
_keyed = st.recursive(
    st.none() | st.integers() | st.text(max_size=30) | st.floats(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_field_names, inner, max_size=5),
    max_leaves=30,
)


@given(value=_keyed | json_values() | serializable_values(), config=_configs)
def test_a_preview_never_exceeds_its_budget_and_is_json(value: Any, config: PreviewConfig) -> None:
    preview = build_preview(value, config)
    assert isinstance(preview, dict)
    text = json.dumps(preview, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert len(text.encode()) <= config.max_preview_bytes
    assert build_preview(value, config) == preview  # deterministic


@given(
    secrets=st.lists(st.text(min_size=12, max_size=40, alphabet="0123456789abcdef"), min_size=1),
    nesting=st.integers(min_value=0, max_value=3),
)
def test_masked_fields_never_leak(secrets: list[str], nesting: int) -> None:
    value: Any = [{"card": secret, "keep": i} for i, secret in enumerate(secrets)]
    for _ in range(nesting):
        value = {"wrap": value, "card": secrets[0]}
    config = PreviewConfig(PreviewMode.INCLUDE_ALL, mask=[PreviewField("card")])
    text = json.dumps(build_preview(value, config))
    assert not any(secret in text for secret in secrets)
