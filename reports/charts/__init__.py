"""Charts for people: matplotlib figures as inline SVG (the insight report) or PNG (Dagster asset
metadata), pure functions of DataFrames and lists. One vocabulary for the reports
(`charts.bars(...)`, `charts.svg(...)`, `charts.BLUE`); the look is in style.py, the kinds of
chart in trends.py and comparisons.py.
"""

import matplotlib

matplotlib.use("Agg")  # files only; never a window (before any module here imports pyplot)

from reports.charts.comparisons import (  # noqa: E402
    bars,
    dots_over_bars,
    lift_dots,
    paired_bars,
    stacked_bars,
    stacked_columns,
)
from reports.charts.style import (  # noqa: E402
    BAD,
    BLUE,
    DIVERGING,
    DIVERGING_ABOVE,
    DIVERGING_BELOW,
    GOOD,
    GREEN,
    GREY,
    INK,
    LIGHT_GREY,
    ORANGE,
    PURPLE,
    SEQUENTIAL,
    SERIES,
    SKY,
    VERMILLION,
    YELLOW,
    Format,
    figure,
    png,
    svg,
)
from reports.charts.trends import (  # noqa: E402
    concentration,
    heat_map,
    histogram,
    line,
    small_multiples,
    sparkline,
)

__all__ = [
    "BAD", "BLUE", "DIVERGING", "DIVERGING_ABOVE", "DIVERGING_BELOW", "GOOD", "GREEN", "GREY",
    "INK", "LIGHT_GREY", "ORANGE", "PURPLE", "SEQUENTIAL", "SERIES", "SKY", "VERMILLION",
    "YELLOW", "Format", "bars", "concentration", "dots_over_bars", "figure", "heat_map",
    "histogram", "lift_dots", "line", "paired_bars", "png", "small_multiples", "sparkline",
    "stacked_bars", "stacked_columns", "svg",
]  # fmt: skip
