"""Loyalty: each tier's share of customers against its share of revenue."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("loyalty", "Loyalty")
    tiers = warehouse.query(
        "select loyalty_tier, customers, share_of_customers, share_of_revenue, repeat_rate, nps "
        "from marts.insight_loyalty where loyalty_tier <> 'all' order by tier_order",
        "marts.insight_loyalty",
    )
    if tiers is None:
        return absent(
            section.anchor, section.name, "No customers yet: marts.insight_loyalty is empty."
        )
    buyers = tiers[(tiers["share_of_revenue"] > 0) & (tiers["customers"] >= MIN_SAMPLE)]
    top = (buyers if len(buyers) else tiers).iloc[0]
    section.title = (
        f"{label(top['loyalty_tier'])} customers are {percent(top['share_of_customers'])} of "
        f"customers but bring {percent(top['share_of_revenue'])} of revenue"
    )
    figure = charts.paired_bars(
        [label(tier) for tier in tiers["loyalty_tier"]],
        {
            "share of customers": tiers["share_of_customers"],
            "share of revenue": tiers["share_of_revenue"],
        },
        percent,
    )
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "Each loyalty tier's share of all customers against its share of revenue; tiers "
            "whose orange bar is longer are worth more than their numbers suggest.",
        )
    )
    return section
