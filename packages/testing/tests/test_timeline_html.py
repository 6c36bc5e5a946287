"""The HTML timeline: an SVG Gantt chart of a real run, on the execution's virtual clock."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from aws_durable_execution_sdk_python import (
    CallbackError,
    DurableContext,
    Duration,
    StepContext,
    ValidationError,
    durable_execution,
)
from aws_durable_execution_sdk_python.config import CallbackConfig, StepConfig
from aws_durable_execution_sdk_python.filesystem_serdes import (
    FileSystemSerDes,
    FileSystemSerDesConfig,
    FileSystemSerDesMode,
)
from aws_durable_execution_sdk_python.preview import PreviewConfig, PreviewMode, build_preview
from aws_durable_execution_sdk_python.retries import (
    JitterStrategy,
    RetryStrategyConfig,
    create_retry_strategy,
)
from aws_durable_execution_sdk_python_testing import DurableFunctionTestRunner
from aws_durable_execution_sdk_python_testing._timeline_axis import TimelineScale
from aws_durable_execution_sdk_python_testing._timeline_html import render_page
from aws_durable_execution_sdk_python_testing._timeline_layout import (
    Outcome,
    SegmentKind,
    layout_timeline,
)
from aws_durable_execution_sdk_python_testing.callbacks import CallbackSuccess

SVG = "{http://www.w3.org/2000/svg}"


class Busy(Exception):
    """Transient: retried."""


def _retrying(delay: int) -> StepConfig:
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=3,
                initial_delay_seconds=delay,
                backoff_rate=1.0,
                jitter_strategy=JitterStrategy.NONE,
                retryable_error_types=[Busy],
            )
        )
    )


def _flaky(failures: int) -> Any:
    def flaky(step_context: StepContext) -> str:
        if step_context.attempt <= failures:
            raise Busy(f"busy on attempt {step_context.attempt}")
        return f"ok after {step_context.attempt}"

    return flaky


def _pack(context: DurableContext) -> list[str]:
    return context.map(
        ["a", "b"], lambda ctx, item, _i, _all: ctx.step(lambda _: item, name=f"pack_{item}")
    ).get_results()


@durable_execution
def everything(event: Any, context: DurableContext) -> dict[str, Any]:
    stock = context.step(_flaky(2), name="check_stock", config=_retrying(20))
    packed = context.run_in_child_context(_pack, name="packing")
    context.parallel(
        [lambda c: c.step(lambda _: "mail", name="mail"), lambda c: c.step(lambda _: 1)],
        name="notify",
    )
    context.wait(Duration.from_days(1), name="cool_off")
    approved = context.create_callback(
        name="approval", config=CallbackConfig(timeout=Duration.from_hours(2))
    ).result()
    survey = context.create_callback(
        name="survey", config=CallbackConfig(timeout=Duration.from_minutes(30))
    )
    try:
        feedback = survey.result()
    except CallbackError:
        feedback = None
    return {"stock": stock, "packed": packed, "approved": approved, "feedback": feedback}


@durable_execution
def fails_for_good(event: Any, context: DurableContext) -> None:
    def broken(_: StepContext) -> None:
        raise ValueError("the ledger is <closed> & locked")

    context.step(broken, name="post_ledger", config=_retrying(5))


@durable_execution
def short_day_short(event: Any, context: DurableContext) -> str:
    context.step(_flaky(1), name="before", config=_retrying(10))
    context.wait(Duration.from_days(1), name="a_day")
    return context.step(_flaky(1), name="after", config=_retrying(10))


@durable_execution
def hostile_names(event: Any, context: DurableContext) -> str:
    return context.step(lambda _: "x", name='<script>alert("x")</script> & </svg>')


def _run(handler: Any, **kwargs: Any) -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input={"order": 7}, **kwargs)


@pytest.fixture(scope="module")
def everything_result() -> Any:
    return _run(everything, callbacks={"approval": CallbackSuccess("yes", delay=3600)})


def _svg(html: str) -> ET.Element:
    match = re.search(r"<svg\b.*</svg>", html, re.DOTALL)
    assert match, "no <svg> in the HTML"
    return ET.fromstring(match.group(0))


def _lanes(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.attrib["data-operation-id"]: g for g in svg.iter() if "data-operation-id" in g.attrib}


def _titles(element: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}title")]


def _bar_rects(lane: ET.Element) -> list[ET.Element]:
    return [r for r in lane.iter(f"{SVG}rect") if "bar" in r.attrib.get("class", "").split()]


def test_the_svg_parses_and_every_operation_of_the_history_has_a_bar(everything_result):
    svg = _svg(everything_result.timeline_html())
    lanes = _lanes(svg)
    ids = {event["Id"] for event in everything_result.history if "Id" in event}
    assert len(ids) > 15
    assert set(lanes) == ids
    for operation_id, lane in lanes.items():
        assert _bar_rects(lane), f"lane {operation_id} has no bar"


def test_a_map_item_inside_a_child_context_is_nested_under_it(everything_result):
    lanes = _lanes(_svg(everything_result.timeline_html()))
    by_name = {
        event["Name"]: event["Id"] for event in everything_result.history if event.get("Name")
    }

    def depth(name: str) -> int:
        return int(lanes[by_name[name]].attrib["data-depth"])

    assert depth("check_stock") == 1
    assert depth("packing") == 1
    assert depth("map-item-0") == depth("packing") + 2
    assert depth("pack_a") == depth("map-item-0") + 1
    assert depth("parallel-branch-1") == depth("notify") + 1


def test_map_children_are_drawn_right_after_their_map_in_order(everything_result):
    layout = layout_timeline(everything_result.history)
    names = [lane.name for lane in layout.lanes]
    start = names.index("packing")
    assert names[start : start + 6] == [
        "packing",
        "map",
        "map-item-0",
        "pack_a",
        "map-item-1",
        "pack_b",
    ]


def test_attempts_are_separate_segments_with_the_retry_delays_between(everything_result):
    layout = layout_timeline(everything_result.history)
    (stock,) = [lane for lane in layout.lanes if lane.name == "check_stock"]
    kinds = [(s.kind, s.outcome) for s in stock.segments]
    assert kinds == [
        (SegmentKind.ATTEMPT, Outcome.FAILED),
        (SegmentKind.RETRY_DELAY, Outcome.SUCCEEDED),
        (SegmentKind.ATTEMPT, Outcome.FAILED),
        (SegmentKind.RETRY_DELAY, Outcome.SUCCEEDED),
        (SegmentKind.ATTEMPT, Outcome.SUCCEEDED),
    ]
    delays = [s for s in stock.segments if s.kind is SegmentKind.RETRY_DELAY]
    assert [round(s.end - s.start) for s in delays] == [20, 20]
    assert stock.outcome is Outcome.SUCCEEDED


def test_waits_callbacks_timeouts_and_invocations_are_all_drawn(everything_result):
    layout = layout_timeline(everything_result.history)
    by_name = {lane.name: lane for lane in layout.lanes}
    (wait,) = by_name["cool_off"].segments
    assert wait.kind is SegmentKind.WAIT
    assert round(wait.end - wait.start) == 86400
    (approval,) = by_name["approval"].segments
    assert (approval.kind, approval.outcome) == (SegmentKind.CALLBACK, Outcome.SUCCEEDED)
    assert round(approval.end - approval.start) == 3600
    (survey,) = by_name["survey"].segments
    assert (survey.kind, survey.outcome) == (SegmentKind.CALLBACK, Outcome.TIMED_OUT)
    assert by_name["survey"].deadline == pytest.approx(survey.end, abs=0.01)
    assert len(layout.bands) == len(everything_result.invocations)
    html = everything_result.timeline_html()
    survey_lane = _lanes(_svg(html))[by_name["survey"].operation_id]
    assert any("timed out" in title.lower() for title in _titles(survey_lane))


def test_a_failed_step_has_its_error_on_hover():
    result = _run(fails_for_good)
    svg = _svg(result.timeline_html())
    (step_id,) = {e["Id"] for e in result.history if e.get("Name") == "post_ledger"}
    lane = _lanes(svg)[step_id]
    titles = _titles(lane)
    assert any("ValueError" in t and "the ledger is <closed> & locked" in t for t in titles)
    assert any("failed" in r.attrib["class"] for r in _bar_rects(lane))
    assert any("✖" in "".join(t.itertext()) for t in lane.iter(f"{SVG}text"))


def test_a_day_long_wait_does_not_squash_the_short_steps_around_it():
    result = _run(short_day_short)
    layout = layout_timeline(result.history)
    svg = _svg(result.timeline_html())
    for name in ("before", "after"):
        (lane,) = [lane for lane in layout.lanes if lane.name == name]
        start, end = lane.segments[0].start, lane.segments[-1].end
        assert round(end - start) == 10
        assert layout.axis.x(end) - layout.axis.x(start) > 20
    assert float(svg.attrib["width"]) < 2000
    gaps = [g for g in layout.axis.gaps if "1 d" in g.label]
    assert gaps, [g.label for g in layout.axis.gaps]
    texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert any("1 d" in text and "⋯" in text for text in texts)


def test_the_html_needs_no_network_and_loads_no_scripts(everything_result):
    html = everything_result.timeline_html()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"<script[^>]*\bsrc", html, re.IGNORECASE)
    assert not re.search(r"@import|url\(\s*['\"]?\s*(https?:)?//", html, re.IGNORECASE)
    assert html.lstrip().lower().startswith("<!doctype html>")


def test_user_text_is_escaped():
    result = _run(hostile_names)
    html = result.timeline_html()
    assert "<script>" not in html
    svg = _svg(html)  # still parses: the name closed no element
    names = [t for t in _titles(svg) if "alert" in t]
    assert names and all('<script>alert("x")</script> & </svg>' in t for t in names)


def test_save_timeline_writes_the_html_and_timeline_is_the_text(everything_result, tmp_path):
    path = tmp_path / "run.html"
    everything_result.save_timeline(path)
    assert path.read_text(encoding="utf-8") == everything_result.timeline_html()
    assert everything_result.timeline() == everything_result.format_timeline()
    assert "check_stock" in everything_result.timeline()


def test_a_pending_execution_draws_its_open_operations_to_the_end():
    with DurableFunctionTestRunner(everything) as runner:
        arn = runner.run_async(input=None, callbacks={"approval": CallbackSuccess("y", delay=1)})
        runner.advance_time(0)
        result = runner.get_result(arn)
    layout = layout_timeline(result.history)
    statuses = {lane.name: lane.outcome for lane in layout.lanes}
    assert Outcome.PENDING in statuses.values()
    _svg(result.timeline_html())


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"gap_threshold": 0}, id="zero-threshold"),
        pytest.param({"gap_threshold": -5}, id="negative-threshold"),
        pytest.param({"pixels_per_second": 0}, id="zero-scale"),
        pytest.param({"gap_width": -1}, id="negative-gap"),
        pytest.param({"min_spacing": -1}, id="negative-spacing"),
        pytest.param({"gap_threshold": "60"}, id="text-threshold"),
        pytest.param({"pixels_per_second": float("nan")}, id="nan-scale"),
    ],
)
def test_bad_scales_are_refused(kwargs: dict[str, Any]):
    with pytest.raises(ValidationError):
        TimelineScale(**kwargs)


def test_an_empty_history_is_an_empty_chart(tmp_path: Path):
    layout = layout_timeline([])
    assert layout.lanes == ()
    assert layout.bands == ()
    svg = _svg(render_page(layout))
    assert _lanes(svg) == {}


def _stored_serdes(base: str) -> Any:
    preview = PreviewConfig(PreviewMode.EXCLUDE_ALL, include=["id"], max_preview_bytes=128)
    return FileSystemSerDes(
        base,
        FileSystemSerDesConfig(
            storage_mode=FileSystemSerDesMode.ALWAYS,
            generate_preview=lambda value: build_preview(value, preview),
        ),
    )


@durable_execution
def stores_a_file(event: Any, context: DurableContext) -> str:
    config = StepConfig(serdes=_stored_serdes(event["base"]))
    value = context.step(lambda _: {"id": "blob-7", "text": "x" * 2000}, "produce", config)
    return value["id"]


def test_a_value_stored_in_a_file_shows_its_preview_on_hover(tmp_path: Path):
    result = _run_with(stores_a_file, {"base": str(tmp_path)})
    (step_id,) = {e["Id"] for e in result.history if e.get("Name") == "produce"}
    titles = _titles(_lanes(_svg(result.timeline_html()))[step_id])
    assert any('preview {"id": "blob-7"}' in title for title in titles), titles
    assert not any("xxxxxxxx" in title for title in titles)


def _run_with(handler: Any, event: Any) -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        return runner.run(input=event)


@durable_execution
def payment_service(event: Any, context: DurableContext) -> dict[str, Any]:
    return {"paid": event}


@durable_execution
def invokes_and_waits_for_a_callback(event: Any, context: DurableContext) -> Any:
    receipt = context.invoke("payment-service", 12, name="pay")
    answer = context.wait_for_callback(lambda callback_id, _ctx: None, name="ask_reviewer")
    return {"receipt": receipt, "answer": answer}


def test_chained_invokes_and_wait_for_callback_have_their_lanes():
    with DurableFunctionTestRunner(invokes_and_waits_for_a_callback) as runner:
        runner.register_durable_function("payment-service", payment_service)
        result = runner.run(callbacks={"ask_reviewer": CallbackSuccess("ok", delay=90)})
    layout = layout_timeline(result.history)
    by_name = {lane.name: lane for lane in layout.lanes}
    (pay,) = by_name["pay"].segments
    assert (pay.kind, pay.outcome) == (SegmentKind.INVOKE, Outcome.SUCCEEDED)
    assert by_name["ask_reviewer"].has_children
    inner = [
        lane for lane in layout.lanes if lane.parent_id == by_name["ask_reviewer"].operation_id
    ]
    assert {lane.operation_type for lane in inner} == {"step", "callback"}
    assert all(lane.depth == by_name["ask_reviewer"].depth + 1 for lane in inner)
    svg = _svg(result.timeline_html())
    assert set(_lanes(svg)) == {e["Id"] for e in result.history if "Id" in e}
