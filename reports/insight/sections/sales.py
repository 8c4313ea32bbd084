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
        best = label(weekdays.loc[weekdays["seasonality_index"].idxmax(), "dimension_value"])
        section.charts.append(
            index_chart(
                weekdays,
                f"{best} is the best day",
                f"{best}s sell {{change}} against an average trading day (1.0, dotted); blue "
                "days are above average.",
            )
        )
    seasons = rows[rows["dimension"] == "season"].dropna(subset=["seasonality_index"])
    if len(seasons) > 1:
        seasons = seasons.sort_values("sort_order")
        best = label(seasons.loc[seasons["seasonality_index"].idxmax(), "dimension_value"])
        section.charts.append(
            index_chart(
                seasons,
                f"{best} is the strongest season",
                f"{best} sells {{change}} against the average trading day (seasons of the "
                "northern hemisphere).",
            )
        )
    return section


def index_chart(rows, title: str, caption: str) -> Chart:
    """Revenue per trading day of each weekday or season against the average day (1.0); the
    caption's {change} is the best one's difference from it."""
    values = rows["seasonality_index"]
    figure = charts.bars(
        [label(value) for value in rows["dimension_value"]],
        list(values),
        index,
        colours=[charts.GOOD if i >= 1 else charts.LIGHT_GREY for i in values],
        reference=1.0,
        annotations=[f"{i - 1:+.0%} vs average" for i in values],
        xlabel="revenue per trading day / average day",
    )
    return Chart(charts.svg(figure, title), caption.format(change=f"{values.max() - 1:+.0%}"))
