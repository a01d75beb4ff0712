"""Plots drawn on the server by pygal (a maintained SVG charting library), each served
as its own ``image/svg+xml`` response and embedded with ``<img>``.

Why this shape: an SVG loaded as an image never runs script nor loads anything, and
the pages keep their strict CSP (no inline style); the chart response gets its own
policy that allows only its inline ``<style>`` (:data:`CHART_CSP`). pygal writes a
``<script>`` with its configuration into every chart even with ``js=[]``: it is taken
out of the tree before serializing, so no chart holds a script at all. Labels (source
and entity names) are set as element text and escaped by the XML serializer. Each page
shows the same numbers as a table beside the image, for screen readers and text-only
browsers.
"""

from __future__ import annotations

from typing import Any

import pygal
from pygal.etree import etree
from pygal.style import Style
from starlette.responses import Response

from sourcewatch.activity.daily import Series

CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
WIDTH, HEIGHT = 720, 280
# Colour-blind-safe palette (Okabe-Ito).
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    font_family="sans-serif",
    colors=("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000"),
    title_font_size=13,
    legend_font_size=11,
    label_font_size=10,
    major_label_font_size=10,
)


def chart_svg(series: Series, title: str, *, bars: bool = False) -> bytes:
    """An SVG document: one line (or bar series) per line of ``series``, by day.
    ``title`` is the document's <title>; the page shows it as the figure's caption."""
    kind: Any = pygal.Bar if bars else pygal.Line
    chart = kind(
        js=[],
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        explicit_size=True,  # width and height on <svg>: an <img>'s natural size
        show_dots=len(series.days) <= 2,
        legend_at_bottom=False,
        truncate_legend=22,
        x_labels_major_every=7,
        show_minor_x_labels=False,
        truncate_label=-1,
        y_labels=_counts_axis(series),
        include_x_axis=True,
        min_scale=2,
        max_scale=6,
        no_data_text="nothing in this period",
        print_values=False,
    )
    chart.x_labels = [f"{day:%m-%d}" for day in series.days]
    for name, values in series.lines.items():
        chart.add(f"{name} ({sum(values)})", values)
    return _without_scripts(chart, title)


def _counts_axis(series: Series) -> list[int]:
    """Whole numbers from 0 to at least the peak, about five of them (items are not
    counted in fractions, which pygal's own ticks would show)."""
    peak = max((max(values) for values in series.lines.values() if values), default=0)
    step = max(1, -(-peak // 4))
    return list(range(0, peak + step + 1, step)) if peak else [0, 1]


def _without_scripts(chart: Any, title: str) -> bytes:
    root = chart.render_tree()
    caption = etree.Element("title")
    caption.text = title
    root.insert(0, caption)
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    body: bytes = etree.tostring(root, encoding="utf-8")
    if not body.startswith(b"<?xml"):
        body = b"<?xml version='1.0' encoding='utf-8'?>\n" + body
    return body


def svg_response(svg: bytes) -> Response:
    """A chart as an image: its own CSP (inline style only), never cached."""
    return Response(svg, media_type="image/svg+xml", headers={"Content-Security-Policy": CHART_CSP})
