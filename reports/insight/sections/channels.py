"""Channels and timing: which channel reaches customers best, and when customers are active.

"Reaches best" compares only the channels through which the business reaches out (marketing and
digital: email opened or clicked, a session completed); a store order or a support ticket is the
customer reaching the business and would win every comparison. The chart plots exactly the
channels compared, so the one named is the longest bar.
"""

from __future__ import annotations

import numpy as np

from reports import charts
from reports.formatting import label, number, percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, sentence, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "channels", "Channels & timing"
REACHING = ("marketing", "digital")


def build(warehouse: Warehouse) -> Section:
    channels = warehouse.query(
        "select channel, any_value(channel_type) as channel_type, sum(attempts) as attempts, "
        "sum(successes) as successes, "
        "sum(successes) / nullif(sum(attempts), 0) as success_rate from marts.insight_channels "
        "group by channel order by success_rate desc nulls last, channel",
        "marts.insight_channels",
    )
    if channels is None:
        return absent(ANCHOR, NAME, "No channel activity: marts.insight_channels is empty.")
    section = Section(ANCHOR, NAME)
    compared = reaching_channels(channels)
    if len(compared):
        best = compared.iloc[0]
        reach = (
            f"{label(best['channel'])} reaches customers best "
            f"({percent(best['success_rate'])} of {number(best['attempts'])} contacts succeed)"
        )
        figure = charts.bars(
            [label(channel) for channel in compared["channel"]],
            list(compared["success_rate"]),
            percent,
            colours=[
                charts.BLUE if c == best["channel"] else charts.SKY for c in compared["channel"]
            ],
            annotations=[
                f"{percent(rate)} of {number(attempts)}"
                for rate, attempts in zip(
                    compared["success_rate"], compared["attempts"], strict=True
                )
            ],
            xlabel="success rate (email opened or clicked, session completed)",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Success rate by channel"),
                "Share of contacts through each channel the business reaches customers by that "
                f"succeeded, channels with at least {MIN_SAMPLE} contacts. Store orders and "
                "support tickets are customers reaching the business; they are in the heat map.",
            )
        )
    else:
        reach = too_few(int(channels["attempts"].max()), "marketing or digital contacts")
    grid = activity_grid(warehouse)
    peak_day, peak_hour = np.unravel_index(np.argmax(grid.to_numpy()), grid.shape)
    figure = charts.heat_map(
        grid,
        number,
        annotate=False,
        xlabel="hour of day (UTC)",
        colour_label="interactions",
        width=10,
    )
    section.charts.append(
        Chart(
            charts.svg(figure, "Customer interactions by weekday and hour"),
            "Interactions customers started (email opens and clicks, visits, orders, tickets) "
            f"by weekday and hour; the busiest hour is {grid.index[peak_day]} "
            f"{peak_hour:02d}:00 UTC.",
        )
    )
    section.title = sentence(
        reach, f"customers are most active on {grid.index[peak_day]} at {peak_hour:02d}:00 UTC"
    )
    return section


def reaching_channels(channels):
    """The channels the business reaches customers through, on enough contacts, best first."""
    return channels[
        channels["channel_type"].isin(REACHING)
        & (channels["attempts"] >= MIN_SAMPLE)
        & channels["success_rate"].notna()
    ].reset_index(drop=True)


def activity_grid(warehouse: Warehouse):
    """Interactions by weekday (rows, Monday first) and hour (columns)."""
    cells = warehouse.con.execute(
        "select day_of_week, hour_of_day, sum(interactions) as interactions "
        "from marts.insight_channels group by all"
    ).df()
    grid = (
        cells.pivot_table(
            index="day_of_week", columns="hour_of_day", values="interactions", aggfunc="sum"
        )
        .reindex(index=[1, 2, 3, 4, 5, 6, 0], columns=range(24))
        .fillna(0)
    )
    grid.index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return grid
