"""Churn risk: how likely customers are to lapse, and whom to contact first (the retention list,
ml.churn.retention_list)."""

from __future__ import annotations

import numpy as np

from ml.churn.retention_list import INPUTS, retention_list
from reports import charts
from reports.formatting import number, percent
from reports.insight.page import Chart, Section, Table, absent
from reports.warehouse import Warehouse

ANCHOR, NAME = "churn", "Churn risk"
RISK_COLOURS = {"low": charts.SKY, "medium": charts.ORANGE, "high": charts.VERMILLION}
LISTED = 10
COLUMNS = [
    "customer_id",
    "churn probability",
    "expected value",
    "value at risk",
    "contact by",
    "why",
]


def build(warehouse: Warehouse) -> Section:
    rows = warehouse.query(
        "select churn_probability, risk_band, method, horizon_days from ml.churn_predictions",
        "ml.churn_predictions",
    )
    if rows is None:
        return absent(
            ANCHOR, NAME, "No churn predictions: ml.churn_predictions is absent or empty."
        )
    horizon = int(rows["horizon_days"].iloc[0])
    high = rows[rows["risk_band"] == "high"]
    if len(high):
        title = (
            f"{number(len(high))} customers ({percent(len(high) / len(rows))}) are at high risk "
            f"of not buying in the next {horizon} days"
        )
    else:
        title = (
            f"No customer is at high risk; on average {percent(rows['churn_probability'].mean())} "
            f"may not buy in the next {horizon} days"
        )
    section = Section(ANCHOR, NAME, title=title)
    figure = charts.histogram(
        rows["churn_probability"], percent, bins=list(np.linspace(0, 1, 21)),
        groups=rows["risk_band"], group_colours=RISK_COLOURS, xlabel="churn probability",
    )  # fmt: skip
    section.charts.append(
        Chart(
            charts.svg(figure, title),
            f"Customers by probability of no purchase within {horizon} days, coloured by risk "
            f"band (method: {rows['method'].iloc[0].replace('_', ' ')}).",
        )
    )
    if warehouse.has(*INPUTS):
        to_call = retention_list(warehouse.con)
        section.title += (
            f"; {warehouse.money(to_call.value_at_risk)} of expected value is at risk among "
            f"{number(len(to_call.customers))} customers still within reach"
        )
        section.tables.append(retention_table(to_call, horizon, warehouse))
    return section


def retention_table(to_call, horizon: int, warehouse: Warehouse) -> Table:
    first = to_call.customers.head(LISTED)
    return Table(
        COLUMNS,
        [
            [
                row.customer_id,
                percent(row.churn_probability),
                warehouse.money(row.expected_value),
                warehouse.money(row.value_at_risk),
                row.channel,
                row.why,
            ]
            for row in first.itertuples()
        ],
        f"The first {len(first)} of {number(len(to_call.customers))} customers to contact: "
        f"active in the last {horizon} days, consenting to email or SMS, ranked by value at "
        "risk (churn probability × expected value). Left out: "
        f"{number(to_call.lapsed)} customers with no activity in {horizon} days (already "
        f"lapsed) and {number(to_call.without_consent)} without consent to be contacted.",
        first_is_id=True,
    )
