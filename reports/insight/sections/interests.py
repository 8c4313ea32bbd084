"""Interests by segment: how much more or less each group of customers declares an interest
than customers overall."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, phrase
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "interests", "Interests by segment"
# The first grouping the mart has, in this order of use to a marketer.
GROUP_TYPES = ("segment", "rfm_segment", "loyalty_tier", "lifecycle_stage")


def build(warehouse: Warehouse) -> Section:
    rows = warehouse.query(
        "select group_type, group_value, interest, group_customers, interest_rate, affinity_index "
        "from marts.insight_interests where group_type <> 'all' and group_value <> 'unknown'",
        "marts.insight_interests",
    )
    if rows is None:
        return absent(
            ANCHOR,
            NAME,
            "No declared interests: the CRM holds none (marts.insight_interests is empty).",
        )
    group_type = next(
        (g for g in GROUP_TYPES if (rows["group_type"] == g).any()), rows["group_type"].iloc[0]
    )
    rows = rows[rows["group_type"] == group_type]
    grid = rows.pivot_table(index="group_value", columns="interest", values="affinity_index")
    order = rows.groupby("group_value")["group_customers"].max().sort_values(ascending=False)
    grid = grid.reindex(index=order.index)
    grid.index = [label(value) for value in grid.index]
    grid.columns = [label(value) for value in grid.columns]
    top = strongest_affinity(rows)
    if top is None:
        title = too_few(int(order.max()), f"customers in any {phrase(group_type)} group")
    else:
        title = (
            f"{label(top['group_value'])} care about {top['interest']} "
            f"{top['affinity_index']:.1f}× as much as the average customer"
        )
    section = Section(ANCHOR, NAME, title=title)
    figure = charts.heat_map(
        grid, lambda v: f"{v:.1f}×", center=1.0, xlabel="declared interest",
        ylabel=label(group_type), colour_label="affinity (1× = average)",
    )  # fmt: skip
    section.charts.append(
        Chart(
            charts.svg(figure, title),
            f"How much more ({charts.DIVERGING_ABOVE}) or less ({charts.DIVERGING_BELOW}) each "
            f"{phrase(group_type)} group declares an interest than customers overall; "
            f"largest groups on top; the headline reads only groups of {MIN_SAMPLE} or more.",
        )
    )
    return section


def strongest_affinity(rows):
    """The group and interest with the highest affinity among groups of MIN_SAMPLE customers
    or more; None when no group is that large."""
    sizeable = rows[rows["group_customers"] >= MIN_SAMPLE].dropna(subset=["affinity_index"])
    if not len(sizeable):
        return None
    return sizeable.sort_values(["affinity_index", "group_value"], ascending=[False, True]).iloc[0]
