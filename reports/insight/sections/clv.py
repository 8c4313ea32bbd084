"""Customer lifetime value: how expected value is spread over customers."""

from __future__ import annotations

import numpy as np

from reports import charts
from reports.formatting import percent
from reports.insight.page import Chart, Section, absent
from reports.warehouse import Warehouse


def build(warehouse: Warehouse) -> Section:
    section = Section("clv", "Customer lifetime value")
    rows = warehouse.query(
        "select expected_value, horizon_days from ml.clv_predictions "
        "where expected_value is not null",
        "ml.clv_predictions",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No CLV predictions: ml.clv_predictions is absent, empty or without values (the CLV "
            "model needs repeat purchases to fit).",
        )
    horizon = int(rows["horizon_days"].iloc[0])
    values = rows["expected_value"].astype(float).clip(lower=0).to_numpy()
    ordered = np.sort(values)[::-1]
    top = max(1, int(round(len(ordered) * 0.2)))
    share = ordered[:top].sum() / ordered.sum() if ordered.sum() > 0 else 0
    section.title = (
        f"The top 20% of customers hold {percent(share)} of the "
        f"{warehouse.money(values.sum())} expected over the next {horizon} days"
    )
    figure = charts.histogram(
        values,
        warehouse.money,
        bins=30,
        xlabel=f"expected value over {horizon} days",
        log_x=values.max() > 50 * max(np.median(values), 1e-9),
    )
    section.charts.append(
        Chart(
            charts.svg(figure, "Distribution of expected customer value"),
            f"Expected value of each buyer's purchases over the next {horizon} days "
            f"(BG/NBD × Gamma-Gamma); median {warehouse.money(float(np.median(values)))}.",
        )
    )
    figure = charts.concentration(values, percent)
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "Share of all expected value held by the most valuable customers; the further the "
            "line from the diagonal, the more the business rests on a few customers.",
        )
    )
    return section
