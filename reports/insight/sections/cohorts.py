"""Cohort retention: the share of each first-purchase month's customers who buy again."""

from __future__ import annotations

import pandas as pd

from reports import charts
from reports.formatting import number, percent
from reports.insight.page import Chart, Section, absent
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("retention", "Cohort retention")
    rows = warehouse.query(
        "select cohort_month, months_since_first_order, cohort_customers, retention_rate "
        "from marts.cohort_retention order by cohort_month, months_since_first_order",
        "marts.cohort_retention",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No repeat-purchase history: marts.cohort_retention is empty.",
        )
    rows["cohort_month"] = pd.to_datetime(rows["cohort_month"])
    later = rows[rows["months_since_first_order"] >= 1]
    grid = later.pivot_table(
        index="cohort_month", columns="months_since_first_order", values="retention_rate"
    )
    sizes = rows.groupby("cohort_month")["cohort_customers"].max()
    first_month = later[later["months_since_first_order"] == 1]
    if len(first_month):
        weighted = (
            first_month["retention_rate"] * first_month["cohort_customers"]
        ).sum() / first_month["cohort_customers"].sum()
        section.title = (
            f"{percent(weighted)} of new customers buy again in the month after their first "
            "purchase"
        )
    else:
        section.title = "Too early to measure retention: every cohort is in its first month"
    if grid.empty:
        section.charts.append(Chart("", "Retention needs a month after a cohort's first purchase."))
        return section
    grid.index = [f"{month:%b %Y} ({number(sizes[month])})" for month in grid.index]
    figure = charts.heat_map(
        grid, percent, xlabel="months since first purchase",
        ylabel="first-purchase cohort (customers)",
        colour_label="bought again that month",
    )  # fmt: skip
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "Of the customers whose first purchase fell in a month (rows), the share who bought "
            "again in each later month (columns); darker is better.",
        )
    )
    return section
