"""Charts for people: matplotlib figures as inline SVG (the insight report) or PNG (Dagster asset
metadata). Pure functions of DataFrames and lists, but for `kpi_trend_png`, the KPI plot the
Dagster UI shows, which reads marts.kpi_monthly.

One look everywhere: the Okabe-Ito palette (distinguishable with every common colour-vision
deficiency), sequential heat maps in one hue, a diverging map only where a midpoint means
something, no top or right frame, light horizontal grid. SVG text stays text (searchable,
accessible, scalable) and the file carries no width/height, so a chart fills its column.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from html import escape

import matplotlib

matplotlib.use("Agg")  # files only; never a window

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.colors import TwoSlopeNorm  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from reports.kpis import HEADLINE_KPIS, read_kpi_months  # noqa: E402
from reports.warehouse import Warehouse  # noqa: E402

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


def _style_axes(axes) -> None:
    with plt.rc_context(STYLE):
        axes.tick_params(length=0)


def sparkline(
    labels: Sequence[str], values: Sequence[float], partial_last: bool, colour: str = BLUE
) -> Figure:
    """A small trend line without axes: the last point dashed and hollow when its period is
    still running (a month to date), the latest complete value marked."""
    chart, axes = figure(2.6, 0.8)
    y = np.asarray(values, dtype=float)
    x = np.arange(len(y))
    complete = len(y) - 1 if partial_last else len(y)
    axes.plot(x[:complete], y[:complete], color=colour, linewidth=2)
    if partial_last and len(y) > 1:
        axes.plot(x[-2:], y[-2:], color=colour, linewidth=1.5, linestyle=(0, (2, 2)))
    if partial_last:
        axes.plot(x[-1:], y[-1:], "o", markerfacecolor="white", color=colour, markersize=4)
    if complete:
        axes.plot(x[complete - 1], y[complete - 1], "o", color=colour, markersize=5)
    axes.axis("off")
    finite = y[np.isfinite(y)]
    if len(finite) and finite.min() == finite.max():
        axes.set_ylim(finite.min() - 1, finite.max() + 1)
    chart.subplots_adjust(0, 0, 1, 1)
    return chart


def small_multiples(
    months: Sequence[pd.Timestamp],
    series: dict[str, tuple[Sequence[float], Format]],
    partial_last: bool,
    columns: int = 4,
) -> Figure:
    """One small line chart per named series over the same months (the KPI trends)."""
    rows = -(-len(series) // columns)
    with plt.rc_context(STYLE):
        chart, grid = plt.subplots(
            rows, columns, figsize=(3.0 * columns, 2.2 * rows), squeeze=False, sharex=True
        )
    x = np.arange(len(months))
    ticks = [f"{month:%b %y}" for month in months]
    for axes, (name, (values, fmt)) in zip(grid.flat, series.items(), strict=False):
        y = np.asarray(values, dtype=float)
        complete = len(y) - 1 if partial_last else len(y)
        axes.plot(x[:complete], y[:complete], color=BLUE, linewidth=2, marker="o", markersize=3)
        if partial_last and len(y) > 1:
            axes.plot(x[-2:], y[-2:], color=BLUE, linewidth=1.2, linestyle=(0, (2, 2)))
            axes.plot(x[-1:], y[-1:], "o", color=BLUE, markerfacecolor="white", markersize=4)
        axes.set_title(name, fontsize=10)
        axes.yaxis.set_major_formatter(lambda value, _, fmt=fmt: fmt(value))
        axes.set_xticks(x, ticks, rotation=45, ha="right", fontsize=8)
        _style_axes(axes)
    for axes in list(grid.flat)[len(series) :]:
        axes.axis("off")
    chart.tight_layout()
    return chart


def bars(
    labels: Sequence[str],
    values: Sequence[float],
    fmt: Format,
    *,
    colours: Sequence[str] | str = BLUE,
    reference: float | None = None,
    annotations: Sequence[str] | None = None,
    xlabel: str = "",
    width: float = 10.0,
) -> Figure:
    """Horizontal bars, first label on top, each labelled with its value (or annotation); an
    optional dotted reference line (1.0 for an index, 0 for a change)."""
    height = 0.9 + 0.32 * len(labels)
    chart, axes = figure(width, height)
    y = np.arange(len(labels))
    values = np.asarray(values, dtype=float)
    axes.barh(y, values, color=colours, height=0.7)
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", visible=True)
    axes.xaxis.set_major_formatter(lambda value, _: fmt(value))
    if reference is not None:
        axes.axvline(reference, color=INK, linestyle=":", linewidth=1)
    texts = annotations if annotations is not None else [fmt(v) for v in values]
    span = np.nanmax(np.abs(values)) if len(values) and np.isfinite(values).any() else 1
    for position, value, text in zip(y, values, texts, strict=True):
        if not np.isfinite(value):
            continue
        offset = span * 0.01 * (1 if value >= 0 else -1)
        axes.text(
            value + offset, position, f" {text} ", va="center",
            ha="left" if value >= 0 else "right", fontsize=9, color=INK,
        )  # fmt: skip
    left, right = axes.get_xlim()
    axes.set_xlim(left - (span * 0.12 if values.min(initial=0) < 0 else 0), right + span * 0.18)
    axes.set_xlabel(xlabel)
    _style_axes(axes)
    return chart


def paired_bars(
    labels: Sequence[str],
    pairs: dict[str, Sequence[float]],
    fmt: Format,
    *,
    xlabel: str = "",
) -> Figure:
    """Two (or more) horizontal bars per label, e.g. share of customers vs share of revenue."""
    height = 1.1 + 0.5 * len(labels)
    chart, axes = figure(10.0, height)
    y = np.arange(len(labels))
    step = 0.8 / len(pairs)
    for index, (name, values) in enumerate(pairs.items()):
        positions = y - 0.4 + step * (index + 0.5)
        values = np.asarray(values, dtype=float)
        axes.barh(positions, values, height=step * 0.95, label=name, color=SERIES[index])
        for position, value in zip(positions, values, strict=True):
            if np.isfinite(value):
                axes.text(value, position, f" {fmt(value)}", va="center", fontsize=8)
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", visible=True)
    axes.xaxis.set_major_formatter(lambda value, _: fmt(value))
    axes.set_xlim(0, axes.get_xlim()[1] * 1.15)
    axes.set_xlabel(xlabel)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(pairs))
    _style_axes(axes)
    return chart


def line(
    x: Sequence,
    series: dict[str, Sequence[float]],
    fmt: Format,
    *,
    counts: Sequence[float] | None = None,
    counts_label: str = "",
    reference: float | None = None,
) -> Figure:
    """Lines over time; optional grey bars of the counts behind them (how much each point
    rests on) on a secondary axis."""
    chart, axes = figure()
    if counts is not None:
        behind = axes.twinx()
        behind.bar(x, counts, color=LIGHT_GREY, width=20, label=counts_label)
        behind.set_ylabel(counts_label, color=GREY)
        behind.grid(False)
        behind.spines[["top", "left"]].set_visible(False)
        behind.tick_params(colors=GREY, length=0)
        axes.set_zorder(behind.get_zorder() + 1)
        axes.patch.set_visible(False)
    for index, (name, values) in enumerate(series.items()):
        axes.plot(x, values, marker="o", linewidth=2, label=name, color=SERIES[index])
    if reference is not None:
        axes.axhline(reference, color=INK, linestyle=":", linewidth=1)
    axes.yaxis.set_major_formatter(lambda value, _: fmt(value))
    axes.set_ylabel(", ".join(series))
    axes.set_xticks(list(x), [f"{when:%b %Y}" for when in x])
    if len(series) > 1:
        axes.legend(loc="best")
    chart.autofmt_xdate()
    _style_axes(axes)
    return chart


def heat_map(
    matrix: pd.DataFrame,
    fmt: Format,
    *,
    center: float | None = None,
    annotate: bool = True,
    xlabel: str = "",
    ylabel: str = "",
    colour_label: str = "",
    width: float | None = None,
) -> Figure:
    """Rows x columns of values as coloured cells (vector, not an embedded bitmap); blank
    cells are missing values. `center` switches to the diverging map around that value."""
    values = matrix.to_numpy(dtype=float)
    rows, columns = values.shape
    chart, axes = figure(width or min(10.0, max(6.0, 2.5 + 0.8 * columns)), 1.2 + 0.4 * rows)
    if center is None:
        mesh = axes.pcolormesh(
            np.ma.masked_invalid(values),
            cmap=SEQUENTIAL,
            vmin=0,
            vmax=np.nanmax(values, initial=0) or 1,
        )
    else:
        finite = values[np.isfinite(values)]
        low = min(finite.min(initial=center), center - 1e-9)
        high = max(finite.max(initial=center), center + 1e-9)
        norm = TwoSlopeNorm(vcenter=center, vmin=low, vmax=high)
        mesh = axes.pcolormesh(np.ma.masked_invalid(values), cmap=DIVERGING, norm=norm)
    axes.set_xticks(np.arange(columns) + 0.5, [str(c) for c in matrix.columns])
    axes.set_yticks(np.arange(rows) + 0.5, [str(r) for r in matrix.index])
    axes.invert_yaxis()
    axes.grid(False)
    for spine in axes.spines.values():
        spine.set_visible(False)
    if columns > 12:
        axes.tick_params(axis="x", labelsize=8)
    elif max((len(str(c)) for c in matrix.columns), default=0) > 5:
        plt.setp(axes.get_xticklabels(), rotation=30, ha="right")
    if annotate:
        for row in range(rows):
            for column in range(columns):
                value = values[row, column]
                if np.isfinite(value):
                    dark = (
                        mesh.norm(value) > 0.6
                        if center is None
                        else abs(mesh.norm(value) - 0.5) > 0.3
                    )
                    axes.text(
                        column + 0.5, row + 0.5, fmt(value), ha="center", va="center",
                        fontsize=8, color="white" if dark else INK,
                    )  # fmt: skip
    bar = chart.colorbar(mesh, ax=axes, fraction=0.03, pad=0.02)
    bar.ax.yaxis.set_major_formatter(lambda value, _: fmt(value))
    bar.set_label(colour_label)
    bar.outline.set_visible(False)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    _style_axes(axes)
    return chart


def histogram(
    values: Sequence[float],
    fmt: Format,
    *,
    bins: int | Sequence[float] = 20,
    groups: Sequence[str] | None = None,
    group_colours: dict[str, str] | None = None,
    xlabel: str = "",
    ylabel: str = "customers",
    log_x: bool = False,
) -> Figure:
    """Distribution of `values`, stacked by `groups` (e.g. risk bands) when given."""
    chart, axes = figure()
    values = np.asarray(values, dtype=float)
    if log_x:
        positive = values[values > 0]
        low = positive.min() if len(positive) else 1.0
        edges = np.geomspace(
            low, max(values.max(), low * 10), bins if isinstance(bins, int) else 20
        )
        axes.set_xscale("log")
        bins = edges
    if groups is None:
        axes.hist(values, bins=bins, color=BLUE, edgecolor="white")
    else:
        groups = np.asarray(groups)
        names = [name for name in (group_colours or {}) if (groups == name).any()]
        axes.hist(
            [values[groups == name] for name in names], bins=bins, stacked=True,
            color=[group_colours[name] for name in names], label=names, edgecolor="white",
        )  # fmt: skip
        axes.legend()
    axes.xaxis.set_major_formatter(lambda value, _: fmt(value))
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    _style_axes(axes)
    return chart


def concentration(values: Sequence[float], fmt_share: Format) -> Figure:
    """Cumulative share of the total held by the top x% (a Lorenz curve read from the top),
    with the equal-share diagonal for contrast."""
    ordered = np.sort(np.asarray(values, dtype=float))[::-1]
    total = ordered.sum()
    shares = np.cumsum(ordered) / total if total > 0 else np.zeros(len(ordered))
    population = np.arange(1, len(ordered) + 1) / len(ordered)
    chart, axes = figure(6.5, 4.0)
    axes.plot(np.r_[0, population], np.r_[0, shares], color=BLUE, linewidth=2.2)
    axes.plot([0, 1], [0, 1], color=GREY, linestyle=":", linewidth=1, label="equal shares")
    at = 0.2
    held = float(np.interp(at, population, shares)) if len(ordered) else 0.0
    axes.plot([at], [held], "o", color=VERMILLION)
    axes.annotate(
        f"top {fmt_share(at)} hold {fmt_share(held)}", (at, held), xytext=(12, -16),
        textcoords="offset points", color=INK,
    )  # fmt: skip
    axes.xaxis.set_major_formatter(lambda value, _: fmt_share(value))
    axes.yaxis.set_major_formatter(lambda value, _: fmt_share(value))
    axes.set_xlabel("customers, most valuable first")
    axes.set_ylabel("share of expected value")
    axes.legend(loc="lower right")
    _style_axes(axes)
    return chart


def lift_dots(
    labels: Sequence[str],
    lifts: Sequence[float],
    significant: Sequence[bool],
    fmt: Format,
    *,
    xlabel: str,
) -> Figure:
    """One dot per tested variant: its lift over the control; filled when the difference is
    significant, hollow when it may be chance. The zero line is 'no difference'."""
    height = 1.0 + 0.34 * len(labels)
    chart, axes = figure(10.0, height)
    y = np.arange(len(labels))
    lifts = np.asarray(lifts, dtype=float)
    significant = np.asarray(significant, dtype=bool)
    colours = np.where(lifts >= 0, GOOD, BAD)
    axes.hlines(y, 0, lifts, color=LIGHT_GREY, linewidth=2)
    axes.scatter(lifts[significant], y[significant], color=colours[significant], s=60, zorder=3)
    axes.scatter(
        lifts[~significant], y[~significant], facecolors="white", edgecolors=colours[~significant],
        s=60, linewidths=1.8, zorder=3,
    )  # fmt: skip
    axes.axvline(0, color=INK, linewidth=1)
    axes.legend(
        handles=[
            Line2D([], [], marker="o", linestyle="none", color=GREY,
                   label="significant (p < 0.05)"),
            Line2D([], [], marker="o", linestyle="none", markerfacecolor="white", color=GREY,
                   label="could be chance"),
        ],
        loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, fontsize=9,
    )  # fmt: skip
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", visible=True)
    axes.xaxis.set_major_formatter(lambda value, _: fmt(value))
    axes.set_xlabel(xlabel)
    _style_axes(axes)
    return chart


def dots_over_bars(
    labels: Sequence[str],
    bar_values: Sequence[float] | None,
    dot_values: Sequence[float],
    fmt: Format,
    *,
    bar_label: str,
    dot_label: str,
    counts: Sequence[int],
) -> Figure:
    """Vertical bars (what happened) with a dot per bar (what was predicted), each labelled
    with how many it rests on. Without bar values (nothing has happened yet) only the dots are
    drawn, and the legend names only them."""
    chart, axes = figure(7.5, 3.6)
    x = np.arange(len(labels))
    bars_drawn = bar_values is not None and np.isfinite(np.asarray(bar_values, float)).any()
    bar_values = np.asarray(bar_values if bars_drawn else [np.nan] * len(x), dtype=float)
    if bars_drawn:
        axes.bar(x, np.nan_to_num(bar_values), color=BLUE, width=0.6, label=bar_label)
    axes.plot(x, dot_values, "D", color=ORANGE, markersize=8, label=dot_label, linestyle="none")
    for position, value, count in zip(x, bar_values, counts, strict=True):
        axes.text(position, 0, f"n={count:,}", ha="center", va="bottom", fontsize=8,
                  color="white" if np.isfinite(value) and value > 0 else INK)  # fmt: skip
    axes.set_xticks(x, labels)
    axes.yaxis.set_major_formatter(lambda value, _: fmt(value))
    axes.set_ylim(0, max(np.nanmax(np.r_[bar_values, dot_values, 0.01]) * 1.2, 0.05))
    axes.legend(loc="upper right")
    _style_axes(axes)
    return chart


def stacked_bars(
    labels: Sequence[str],
    stacks: dict[str, Sequence[float]],
    colours: dict[str, str],
    *,
    xlabel: str = "",
) -> Figure:
    """Horizontal stacked bars (e.g. checks passed / warned / failed per layer)."""
    chart, axes = figure(10.0, 1.0 + 0.4 * len(labels))
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for name, values in stacks.items():
        values = np.asarray(values, dtype=float)
        axes.barh(y, values, left=left, color=colours[name], label=name, height=0.6)
        for position, start, value in zip(y, left, values, strict=True):
            if value > 0:
                colour = INK if name == "warned" else "white"
                axes.text(start + value / 2, position, f"{value:,.0f}", ha="center",
                          va="center", fontsize=8, color=colour)  # fmt: skip
        left += values
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.grid(axis="y", visible=False)
    axes.grid(axis="x", visible=True)
    axes.set_xlabel(xlabel)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(stacks))
    _style_axes(axes)
    return chart


def stacked_columns(
    labels: Sequence[str],
    stacks: dict[str, Sequence[float]],
    colours: dict[str, str],
    *,
    xlabel: str,
    ylabel: str,
    width: float = 7.5,
    height: float = 2.8,
) -> Figure:
    """Vertical stacked columns, one per label in order (e.g. a table's failing rows per run, by
    what became of them); whole-number y axis; a stack that is zero everywhere is left out of the
    legend."""
    chart, axes = figure(width, height)
    x = np.arange(len(labels))
    bottom = np.zeros(len(labels))
    for name, values in stacks.items():
        values = np.asarray(values, dtype=float)
        shown = values.any()
        axes.bar(
            x, values, bottom=bottom, color=colours[name], width=0.7,
            label=name if shown else "_nolegend_",
        )  # fmt: skip
        bottom += values
    step = -(-len(labels) // 12)  # at most 12 labelled ticks; the last column always labelled
    shown = sorted({*range(len(labels) - 1, -1, -step)})
    longest = max((len(line) for index in shown for line in labels[index].split("\n")), default=0)
    tilted = len(shown) * longest > 72  # labels that would run into each other
    axes.set_xticks(
        shown, [labels[index] for index in shown], rotation=40 if tilted else 0,
        ha="right" if tilted else "center", fontsize=8,
    )  # fmt: skip
    axes.set_xlim(-0.6, max(len(labels), 8) - 0.4)  # a column keeps its width when they are few
    axes.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=4))
    axes.yaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes.set_ylim(0, max(float(bottom.max(initial=0)), 1.0) * 1.1)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=len(stacks), fontsize=9)
    _style_axes(axes)
    return chart


def kpi_trend_png(con) -> bytes | None:
    """The headline KPIs by month as one PNG, for the kpi_monthly asset's page in the Dagster
    UI (the one chart here that reads the warehouse: the DuckDB connection `con`); None when
    marts.kpi_monthly is empty."""
    warehouse = Warehouse(con)
    months = read_kpi_months(warehouse)
    if months is None:
        return None
    series = {
        kpi.name: (months.frame[kpi.column].astype(float).to_numpy(), kpi.formatter(warehouse))
        for kpi in HEADLINE_KPIS
        if months.frame[kpi.column].notna().any()
    }
    return png(small_multiples(list(months.frame["kpi_month"]), series, months.last_is_partial))
