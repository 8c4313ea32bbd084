"""Charts of how things change and spread: over time, across a grid, as a distribution."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from reports.charts.style import (
    BLUE,
    DIVERGING,
    GREY,
    INK,
    LIGHT_GREY,
    SEQUENTIAL,
    SERIES,
    STYLE,
    VERMILLION,
    Format,
    figure,
    style_axes,
)


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
        style_axes(axes)
    for axes in list(grid.flat)[len(series) :]:
        axes.axis("off")
    chart.tight_layout()
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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
    return chart
