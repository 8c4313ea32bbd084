"""Charts that compare categories: bars, pairs, stacks and lifts against a baseline."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reports.charts.style import (
    BAD,
    BLUE,
    GOOD,
    GREY,
    INK,
    LIGHT_GREY,
    ORANGE,
    SERIES,
    Format,
    figure,
    style_axes,
)


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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
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
    style_axes(axes)
    return chart
