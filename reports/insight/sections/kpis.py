"""Headline KPIs: the latest complete month's figures as cards, each with its monthly line."""

from __future__ import annotations

import numpy as np

from reports import charts
from reports.formatting import number
from reports.insight.page import Chart, KpiCard, Section, absent
from reports.kpis import HEADLINE_KPIS, KpiMonths, kpi_change, read_kpi_months
from reports.warehouse import Warehouse

ANCHOR, NAME = "kpis", "Headline KPIs"


def build(warehouse: Warehouse) -> Section:
    months = read_kpi_months(warehouse)
    if months is None:
        return absent(ANCHOR, NAME, "No KPIs: marts.kpi_monthly is absent or empty.")
    section = Section(ANCHOR, NAME, title=headline(months, warehouse))
    complete, reference = months.complete, months.reference
    latest_month = reference["kpi_month"].iloc[-1]
    previous_month = complete["kpi_month"].iloc[-2] if len(complete) > 1 else None
    for kpi in HEADLINE_KPIS:
        values = months.frame[kpi.column].astype(float)
        if not np.isfinite(values).any():
            continue  # a source the business does not have (no surveys: no NPS)
        latest = float(reference[kpi.column].iloc[-1])
        change, better = ("", None)
        if previous_month is not None:
            change, better = kpi_change(kpi, latest, float(complete[kpi.column].iloc[-2]))
            if change:
                change = f"{change} vs {previous_month:%b}"
        line = charts.sparkline(
            [f"{m:%b %Y}" for m in months.frame["kpi_month"]],
            values.to_numpy(),
            months.last_is_partial,
        )
        fmt = kpi.formatter(warehouse)
        section.cards.append(
            KpiCard(
                name=kpi.name,
                value=fmt(latest) if np.isfinite(latest) else "n/a",
                change=change,
                is_better=better,
                sparkline=charts.svg(line, f"{kpi.name} by month"),
            )
        )
    partial = (
        f" The dashed end of each line is {months.frame['kpi_month'].iloc[-1]:%B} to date."
        if months.last_is_partial
        else ""
    )
    section.charts.append(
        Chart(
            "",
            f"Figures for {latest_month:%B %Y}, the latest complete month, with the change from "
            "the month before; lines show every month since "
            f"{months.frame['kpi_month'].iloc[0]:%B %Y}." + partial,
        )
    )
    return section


def headline(months: KpiMonths, warehouse: Warehouse) -> str:
    complete = months.complete
    if len(complete) >= 2:
        latest, previous = complete["revenue"].iloc[-1], complete["revenue"].iloc[-2]
        if previous > 0:
            change = latest / previous - 1
            verb = "grew" if change > 0 else "fell"
            return (
                f"Revenue {verb} {abs(change):.0%} in {complete['kpi_month'].iloc[-1]:%B %Y} "
                f"to {warehouse.money(latest)}, with "
                f"{number(complete['active_customers'].iloc[-1])} active customers"
            )
    every = months.frame
    return (
        f"{warehouse.money(every['revenue'].sum())} of revenue from "
        f"{number(every['orders'].sum())} orders so far"
    )
