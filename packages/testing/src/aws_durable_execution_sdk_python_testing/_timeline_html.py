"""The timeline as one self-contained HTML page: a header, a legend, the SVG chart, the text.

Self-contained on purpose: the file is attached to CI runs and opened from disk, so it
loads nothing (no scripts, fonts, images or styles from anywhere) and needs no script at
all; hover details are SVG ``<title>`` elements.
"""

from __future__ import annotations

from aws_durable_execution_sdk_python_testing._timeline_axis import format_duration
from aws_durable_execution_sdk_python_testing._timeline_layout import Outcome, TimelineLayout
from aws_durable_execution_sdk_python_testing._timeline_svg import render_svg, xml_text

__all__ = ["render_page"]

_PAGE_STYLE = """
body { font: 14px system-ui, -apple-system, "Segoe UI", sans-serif; color: #24292f;
       margin: 16px 20px; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 6px; }
.summary { margin: 0 0 10px; color: #57606a; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
          font-weight: 600; font-size: 12px; }
.status.succeeded { background: #2da44e; } .status.failed { background: #d1242f; }
.status.timed-out { background: #e8890c; } .status.stopped { background: #57606a; }
.status.pending, .status.cancelled { background: #8c959f; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 0 0 10px; font-size: 12px;
          color: #57606a; }
.legend span::before { content: ""; display: inline-block; width: 14px; height: 10px;
          margin-right: 5px; vertical-align: -1px; border-radius: 2px; background: var(--c); }
.chart { overflow-x: auto; border: 1px solid #d0d7de; border-radius: 6px; }
details { margin-top: 14px; } pre { font-size: 12px; overflow-x: auto; }
"""

_LEGEND = (
    ("#2da44e", "attempt succeeded"),
    ("#d1242f", "failed ✖"),
    ("#f2c14e", "retry delay"),
    ("#5b8def", "wait"),
    ("#8e6bd6", "callback"),
    ("#e8890c", "timed out"),
    ("#57606a", "context / map / parallel"),
    ("#2a9d8f", "chained invoke"),
    ("#e3ecf7", "invocation (#n)"),
    ("#afb8c1", "idle time, compressed (⋯ 1 d ⋯)"),
)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def render_page(layout: TimelineLayout, text: str | None = None, subtitle: str = "") -> str:
    """The whole HTML document; ``text`` (the plain timeline) goes in a collapsed section."""
    status = layout.outcome
    status_text = "running" if status is Outcome.PENDING else status.value.replace("-", " ")
    summary = (
        f'<span class="status {status.value}">{xml_text(status_text)}</span> '
        f"{xml_text(format_duration(layout.duration))} of virtual time, "
        f"{_count(len(layout.bands), 'invocation')}, "
        f"{_count(max(0, len(layout.lanes) - 1), 'operation')}"
    )
    if subtitle:
        summary += f" · {xml_text(subtitle)}"
    legend = "".join(
        f'<span style="--c: {colour}">{xml_text(label)}</span>' for colour, label in _LEGEND
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Timeline of {xml_text(layout.title)}</title>",
        f"<style>{_PAGE_STYLE}</style></head><body>",
        f"<h1>Timeline of {xml_text(layout.title)}</h1>",
        f'<p class="summary">{summary}</p>',
        f'<div class="legend">{legend}</div>',
        f'<div class="chart">{render_svg(layout)}</div>',
    ]
    if text:
        parts.append(
            f"<details><summary>History as text</summary><pre>{xml_text(text)}</pre></details>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)
