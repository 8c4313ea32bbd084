"""The headline KPIs: which columns of marts.kpi_monthly, how each is shown, and the months as
the reports read them (the insight report's first section, the run's headline figures), and the
KPI trend plot the Dagster UI shows on the kpi_monthly asset."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from reports import charts
from reports.formatting import duration, number, percent, score
from reports.warehouse import Warehouse

FORMATS: dict[str, Callable[[float], str]] = {
    "number": number,
    "percent": percent,
    "score": score,
    "duration": duration,
}


@dataclass(frozen=True)
class Kpi:
    column: str
    name: str
    kind: str  # "money" or a key of FORMATS
    higher_is_better: bool
    is_rate: bool = False  # changes in points, not percent

    def formatter(self, warehouse: Warehouse) -> Callable[[float], str]:
        return warehouse.money if self.kind == "money" else FORMATS[self.kind]


HEADLINE_KPIS = (
    Kpi("revenue", "Revenue", "money", True),
    Kpi("active_customers", "Active customers", "number", True),
    Kpi("session_conversion_rate", "Session conversion", "percent", True, is_rate=True),
    Kpi("repeat_purchase_rate", "Repeat purchase rate", "percent", True, is_rate=True),
    Kpi("churn_rate", "Churn rate", "percent", False, is_rate=True),
    Kpi("nps", "NPS", "score", True, is_rate=True),
    Kpi("csat", "CSAT (% satisfied)", "score", True, is_rate=True),
    Kpi("average_queue_seconds", "Support queue time", "duration", False),
)


@dataclass(frozen=True)
class KpiMonths:
    """marts.kpi_monthly in month order, and whether its last month is still running."""

    frame: pd.DataFrame
    last_is_partial: bool

    @property
    def complete(self) -> pd.DataFrame:
        return self.frame.iloc[:-1] if self.last_is_partial else self.frame

    @property
    def reference(self) -> pd.DataFrame:
        """The months the headline figures speak of: complete ones, or the running one alone."""
        return self.complete if len(self.complete) else self.frame


def read_kpi_months(warehouse: Warehouse) -> KpiMonths | None:
    columns = ", ".join(kpi.column for kpi in HEADLINE_KPIS)
    frame = warehouse.query(
        f"select kpi_month, orders, {columns} from marts.kpi_monthly order by kpi_month",
        "marts.kpi_monthly",
    )
    if frame is None:
        return None
    frame["kpi_month"] = pd.to_datetime(frame["kpi_month"])
    last_day = None
    if warehouse.has("marts.kpi_daily"):
        (last_day,) = warehouse.con.execute("select max(kpi_date) from marts.kpi_daily").fetchone()
    month_end = frame["kpi_month"].iloc[-1] + pd.offsets.MonthEnd(0)
    partial = last_day is not None and pd.Timestamp(last_day) < month_end
    return KpiMonths(frame, partial)


def kpi_change(kpi: Kpi, latest: float, previous: float) -> tuple[str, bool | None]:
    """The change between two months as text, and whether it is for the better."""
    if not (np.isfinite(latest) and np.isfinite(previous)):
        return "", None
    if kpi.is_rate:
        delta = latest - previous
        scale = 100 if kpi.kind == "percent" else 1
        text = f"{abs(delta) * scale:.1f} pts"
    else:
        if previous == 0:
            return "", None
        delta = latest / previous - 1
        text = f"{abs(delta):.0%}"
    if abs(delta) < 1e-12:
        return "unchanged", None
    arrow = "▲" if delta > 0 else "▼"
    return f"{arrow} {text}", (delta > 0) == kpi.higher_is_better


def headline_figures(warehouse: Warehouse) -> dict[str, float]:
    """A few figures for the run's metadata: the latest complete month's revenue, active
    customers and revenue change."""
    months = read_kpi_months(warehouse)
    if months is None:
        return {}
    latest = months.reference.iloc[-1]
    figures = {"revenue_latest_month": float(latest["revenue"])}
    if np.isfinite(latest["active_customers"]):
        figures["active_customers_latest_month"] = float(latest["active_customers"])
    if len(months.complete) > 1 and months.complete["revenue"].iloc[-2] > 0:
        figures["revenue_change"] = float(
            latest["revenue"] / months.complete["revenue"].iloc[-2] - 1
        )
    return figures


def kpi_trend_png(con) -> bytes | None:
    """The headline KPIs by month as one PNG, for the kpi_monthly asset's page in the Dagster
    UI (the one chart here that reads the warehouse: the DuckDB connection `con`); None when
    marts.kpi_monthly is empty."""
    warehouse = Warehouse(con)
    months = read_kpi_months(warehouse)
    if months is None:
        return None
    series = {
        kpi.name: (months.frame[kpi.column].astype(float).to_numpy(), kpi.formatter(warehouse))
        for kpi in HEADLINE_KPIS
        if months.frame[kpi.column].notna().any()
    }
    return charts.png(
        charts.small_multiples(list(months.frame["kpi_month"]), series, months.last_is_partial)
    )
