"""Product demand: what customers ask for that the shop does not sell, or too little of."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, number
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent, too_few
from reports.warehouse import Warehouse

GAP_COLOURS = {
    "not_offered": charts.VERMILLION,
    "under_served": charts.ORANGE,
    "served": charts.BLUE,
}


def build(warehouse: Warehouse) -> Section:
    section = Section("demand", "Product demand")
    rows = warehouse.query(
        "select demand_source, subject, demand_count, gap_type, demand_index "
        "from marts.insight_product_demand order by demand_count desc, subject limit 15",
        "marts.insight_product_demand",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No demand signals: no site searches, support tickets or feature requests "
            "(marts.insight_product_demand is empty).",
        )
    gaps = rows[rows["gap_type"].isin(["not_offered", "under_served"])]
    sizeable = gaps[gaps["demand_count"] >= MIN_SAMPLE]
    if len(sizeable):
        gaps = sizeable
        top = gaps.iloc[0]
        what = "we do not sell" if top["gap_type"] == "not_offered" else "we sell too little of"
        section.title = (
            f"“{top['subject']}” is the most asked-for thing {what} "
            f"({number(top['demand_count'])} {top['demand_source']} signals)"
        )
    elif len(gaps):
        section.title = too_few(int(gaps["demand_count"].max()), "signals for any unmet demand")
    else:
        section.title = f"Demand is served: the top ask, “{rows.iloc[0]['subject']}”, sells well"
    figure = charts.bars(
        [f"{s} ({src})" for s, src in zip(rows["subject"], rows["demand_source"], strict=True)],
        list(rows["demand_count"]),
        number,
        colours=[GAP_COLOURS.get(gap, charts.GREY) for gap in rows["gap_type"]],
        annotations=[
            f"{number(count)} · {label(gap)}"
            for count, gap in zip(rows["demand_count"], rows["gap_type"], strict=True)
        ],
        xlabel="searches, tickets or mentions",
    )
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "What customers ask for most: vermillion = not in the catalogue, orange = asked "
            "for more than it sells (under-served), blue = served.",
        )
    )
    return section
