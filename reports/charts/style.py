"""One look for every chart: the Okabe-Ito palette (distinguishable with every common
colour-vision deficiency), sequential heat maps in one hue, a diverging map only where a midpoint
means something, no top or right frame, light horizontal grid; and the figure as inline SVG (the
insight report) or PNG (Dagster asset metadata). SVG text stays text (searchable, accessible,
scalable) and the file carries no width/height, so a chart fills its column.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import escape

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
)  # fmt: skip
GREY, LIGHT_GREY, INK = "#8a8a8a", "#d9d9d9", "#222222"
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY)
GOOD, BAD = BLUE, VERMILLION  # a safe pair for better / worse
SEQUENTIAL, DIVERGING = "Blues", "PuOr_r"
# The diverging map's ends in words, for captions: below its centre, above it.
DIVERGING_BELOW, DIVERGING_ABOVE = "purple", "orange"

Format = Callable[[float], str]

STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "binesh",  # stable ids: the same data gives the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "axes.prop_cycle": matplotlib.cycler(color=SERIES),
    "grid.color": "#e6e6e6",
    "xtick.color": INK,
    "ytick.color": INK,
    "legend.frameon": False,
    "figure.dpi": 100,
}


def figure(width: float = 10.0, height: float = 3.6, ncols: int = 1, **options):
    """A new figure and its axes in the report's style."""
    with plt.rc_context(STYLE):
        return plt.subplots(1, ncols, figsize=(width, height), **options)


def svg(chart: Figure, description: str) -> str:
    """The figure as an <svg> element to inline in HTML, described for screen readers."""
    buffer = io.StringIO()
    with plt.rc_context(STYLE):
        chart.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(chart)
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and doctype
    root_end = text.index(">")
    # Scale down to the column, never up: text keeps the size it was drawn at.
    width_pt = float(re.search(r'\swidth="([\d.]+)pt"', text[:root_end]).group(1))
    root = re.sub(r'\s(width|height)="[^"]*"', "", text[:root_end])
    label = escape(description, quote=True)
    return (
        f'{root} class="chart" style="max-width: {width_pt * 4 / 3:.0f}px" role="img" '
        f'aria-label="{label}">'
        f"<title>{escape(description)}</title>{text[root_end + 1 :]}"
    )


def png(chart: Figure, dpi: int = 80) -> bytes:
    buffer = io.BytesIO()
    with plt.rc_context(STYLE):
        chart.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(chart)
    return buffer.getvalue()


def style_axes(axes) -> None:
    with plt.rc_context(STYLE):
        axes.tick_params(length=0)
