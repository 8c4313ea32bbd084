"""Sales trends: which categories grow, and the best weekday and season."""

from __future__ import annotations

from reports import charts
from reports.formatting import index, label, percent, signed_percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, absent
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("sales", "Sales trends")
    rows = warehouse.query(
        "select dimension, dimension_value, orders, revenue, revenue_share, revenue_growth_rate, "
        "trend, seasonality_index, sort_order, trend_window_days from marts.insight_sales_trends "
        "where dimension in ('category', 'weekday', 'season')",
        "marts.insight_sales_trends",
    )
    if rows is None:
        return absent(
            section.anchor, section.name, "No sales yet: marts.insight_sales_trends is empty."
        )
    categories = rows[rows["dimension"] == "category"].sort_values("revenue", ascending=False)
    categories = categories.head(12)
    window = (
        int(rows["trend_window_days"].dropna().iloc[0])
        if rows["trend_window_days"].notna().any()
        else 90
    )
    # Growth is compared across categories with enough orders for a rate to mean something.
    growth = categories[categories["orders"] >= MIN_SAMPLE].dropna(subset=["revenue_growth_rate"])
    if len(growth):
        fastest = growth.sort_values("revenue_growth_rate", ascending=False).iloc[0]
        slowest = growth.sort_values("revenue_growth_rate").iloc[0]
        verb = "grew fastest" if fastest["revenue_growth_rate"] > 0 else "fell least"
        section.title = (
            f"{fastest['dimension_value']} {verb} "
            f"({signed_percent(fastest['revenue_growth_rate'])} "
            f"over the last {window} days)"
        )
        figure = charts.bars(
            list(growth["dimension_value"]),
            list(growth["revenue_growth_rate"]),
            signed_percent,
            colours=[charts.GOOD if g >= 0 else charts.BAD for g in growth["revenue_growth_rate"]],
            reference=0,
            annotations=[
                f"{signed_percent(g)} · {percent(s)} of revenue"
                for g, s in zip(growth["revenue_growth_rate"], growth["revenue_share"], strict=True)
            ],
            xlabel=f"revenue change, last {window} days vs the {window} days before",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, section.title),
                f"Revenue of each category in the last {window} days against the {window} days "
                f"before, largest categories first; {slowest['dimension_value']} changed least "
                f"({signed_percent(slowest['revenue_growth_rate'])}).",
            )
        )
    else:
        top = categories.iloc[0]
        section.title = (
            f"{top['dimension_value']} brings {percent(top['revenue_share'])} of revenue"
        )
        figure = charts.bars(
            list(categories["dimension_value"]), list(categories["revenue_share"]), percent
        )
        section.charts.append(
            Chart(
                charts.svg(figure, section.title),
                "Share of revenue by category; growth needs two full trend windows of history.",
            )
        )
    weekdays = rows[rows["dimension"] == "weekday"].dropna(subset=["seasonality_index"])
    if len(weekdays):
        weekdays = weekdays.assign(order=(weekdays["sort_order"] + 6) % 7).sort_values("order")
        best = weekdays.sort_values("seasonality_index", ascending=False).iloc[0]
        figure = charts.bars(
            [label(day) for day in weekdays["dimension_value"]],
            list(weekdays["seasonality_index"]),
            index,
            colours=[
                charts.GOOD if i >= 1 else charts.LIGHT_GREY for i in weekdays["seasonality_index"]
            ],
            reference=1.0,
            annotations=[f"{i - 1:+.0%} vs average" for i in weekdays["seasonality_index"]],
            xlabel="revenue per trading day / average day",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, f"{label(best['dimension_value'])} is the best day"),
                f"{label(best['dimension_value'])}s sell {best['seasonality_index'] - 1:+.0%} "
                "against an average trading day (1.0, dotted); blue days are above average.",
            )
        )
    seasons = rows[rows["dimension"] == "season"].dropna(subset=["seasonality_index"])
    if len(seasons) > 1:
        seasons = seasons.sort_values("sort_order")
        best = seasons.sort_values("seasonality_index", ascending=False).iloc[0]
        figure = charts.bars(
            [label(season) for season in seasons["dimension_value"]],
            list(seasons["seasonality_index"]),
            index,
            colours=[
                charts.GOOD if i >= 1 else charts.LIGHT_GREY for i in seasons["seasonality_index"]
            ],
            reference=1.0,
            annotations=[f"{i - 1:+.0%} vs average" for i in seasons["seasonality_index"]],
            xlabel="revenue per trading day / average day",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, f"{label(best['dimension_value'])} is the strongest season"),
                f"{label(best['dimension_value'])} sells {best['seasonality_index'] - 1:+.0%} "
                "against the average trading day (seasons of the northern hemisphere).",
            )
        )
    return section
