"""A small server-side SVG line chart: per-day counts, readable without JavaScript.

Why our own: the plots are a few lines over 30 days; a charting library would add a
dependency and (client-side ones) scripts that the page's CSP forbids. Every label is
XML-escaped (source and entity names come from configuration, never trusted).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from sourcewatch.activity.daily import Series

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 170, 16, 36
# Colour-blind-safe palette (Okabe-Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000")


def line_chart(series: Series, title: str) -> str:
    """An SVG document: one polyline per line of ``series``, a legend with totals."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    days = series.days
    peak = max((max(values) for values in series.lines.values() if values), default=0)
    top = _nice(peak)
    step = plot_w / max(len(days) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(value: int) -> float:
        return TOP + plot_h - (value / top) * plot_h if top else TOP + plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label={quoteattr(title)} '
        'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
    ]
    ticks = [0, top // 2, top] if top % 2 == 0 else [0, top]
    for value in ticks:
        out.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            'stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>'
        )
    for i, day in enumerate(days):
        if (i % 7 == 0 and len(days) - 1 - i >= 3) or i == len(days) - 1:
            out.append(
                f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
                f"{day:%m-%d}</text>"
            )
    for n, (name, values) in enumerate(series.lines.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}">'
            f"<title>{escape(name)}: {sum(values)}</title></polyline>"
        )
        legend_y = TOP + 14 * n + 8
        label = name if len(name) <= 20 else name[:19] + "…"
        out.append(
            f'<rect x="{WIDTH - RIGHT + 10}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{colour}"/><text x="{WIDTH - RIGHT + 26}" y="{legend_y + 1}">'
            f"{escape(label)} ({sum(values)})</text>"
        )
    if not series.lines:
        out.append(
            f'<text x="{LEFT + plot_w / 2}" y="{TOP + plot_h / 2}" text-anchor="middle" '
            'fill="#666">nothing in this period</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _nice(peak: int) -> int:
    """A round top for the y axis at or above ``peak``."""
    if peak <= 0:
        return 0
    for top in (2, 4, 6, 10, 20, 50):
        if peak <= top:
            return top
    magnitude: int = 10 ** (len(str(peak)) - 1)
    for factor in (1, 2, 5, 10):
        if peak <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude
