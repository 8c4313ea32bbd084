"""The insight report: the story of the customer base in charts, one self-contained HTML page per
run (inline CSS and SVG, no scripts, nothing fetched), also kept as latest.html.

    <directory>/latest.html          the latest run's page
    <directory>/runs/<run_id>.html   the page as that run left it

It reads the warehouse through the connection it is given (the run's, or a read-only one) and
only reads. Every section states its finding in its title and explains its chart in one
sentence below it. A section whose table is absent or empty (a business with only orders has no
feedback, leads or campaigns) says so in one line; any other error fails the report.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from jinja2 import Environment, select_autoescape

from reports import charts

PAGE = "latest.html"
RUNS = "runs"


# ── formatting ────────────────────────────────────────────────────────────────────────────────


def number(value: float) -> str:
    return f"{value:,.0f}"


def money(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def percent(value: float) -> str:
    return f"{value:.1%}" if abs(value) < 0.1 and value != 0 else f"{value:.0%}"


def signed_percent(value: float) -> str:
    return f"{value:+.0%}"


def score(value: float) -> str:
    return f"{value:.0f}"


def index(value: float) -> str:
    return f"{value:.2f}"


def duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


ACRONYMS = {"vip": "VIP", "rfm": "RFM", "nps": "NPS", "csat": "CSAT"}


def label(value: object) -> str:
    """A column value for people: underscores to spaces, acronyms in capitals, first letter
    upper case."""
    words = [ACRONYMS.get(word, word) for word in str(value).replace("_", " ").split(" ")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


# ── reading ───────────────────────────────────────────────────────────────────────────────────


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }


class Warehouse:
    """What the report reads: `query` returns None when one of the tables it names is absent
    from the warehouse or it returns no rows, so that the section can say so."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables = existing_tables(con)

    def has(self, *tables: str) -> bool:
        return all(table in self.tables for table in tables)

    def query(self, sql: str, *tables: str) -> pd.DataFrame | None:
        if not self.has(*tables):
            return None
        frame = self.con.execute(sql).df()
        return frame if len(frame) else None


# ── the page's parts ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Chart:
    svg: str
    caption: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    caption: str


@dataclass(frozen=True)
class KpiCard:
    name: str
    value: str
    change: str  # "▲ 12% vs Mar" or "" when there is nothing to compare with
    is_better: bool | None  # None: unchanged or not comparable
    sparkline: str  # inline SVG

    @property
    def tone(self) -> str:
        return {True: "better", False: "worse"}.get(self.is_better, "")


@dataclass
class Section:
    anchor: str
    name: str  # the navigation label
    title: str = ""  # the finding
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cards: list[KpiCard] = field(default_factory=list)
    absent: str | None = None  # why there is nothing to show
    links: list[tuple[str, str]] = field(default_factory=list)  # (text, href)


def absent(anchor: str, name: str, reason: str) -> Section:
    return Section(anchor, name, title=name, absent=reason)


# ── KPIs ──────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Kpi:
    column: str
    name: str
    fmt: Callable[[float], str]
    higher_is_better: bool
    is_rate: bool = False  # changes in percentage points, not percent


HEADLINE_KPIS = (
    Kpi("revenue", "Revenue", money, True),
    Kpi("active_customers", "Active customers", number, True),
    Kpi("session_conversion_rate", "Session conversion", percent, True, is_rate=True),
    Kpi("repeat_purchase_rate", "Repeat purchase rate", percent, True, is_rate=True),
    Kpi("churn_rate", "Churn rate", percent, False, is_rate=True),
    Kpi("nps", "NPS", score, True, is_rate=True),
    Kpi("csat", "CSAT (% satisfied)", score, True, is_rate=True),
    Kpi("average_queue_seconds", "Support queue time", duration, False),
)


@dataclass(frozen=True)
class KpiMonths:
    """marts.kpi_monthly in month order, and whether its last month is still running."""

    frame: pd.DataFrame
    last_is_partial: bool

    @property
    def complete(self) -> pd.DataFrame:
        return self.frame.iloc[:-1] if self.last_is_partial else self.frame


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
    if kpi.is_rate or kpi.fmt is score:
        delta = latest - previous
        scale = 100 if kpi.fmt is percent else 1
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


def kpi_section(warehouse: Warehouse) -> Section:
    section = Section("kpis", "Headline KPIs")
    months = read_kpi_months(warehouse)
    if months is None:
        return absent(
            section.anchor, section.name, "No KPIs: marts.kpi_monthly is absent or empty."
        )
    complete = months.complete
    reference = complete if len(complete) else months.frame
    latest_month = reference["kpi_month"].iloc[-1]
    previous_month = complete["kpi_month"].iloc[-2] if len(complete) > 1 else None
    for kpi in HEADLINE_KPIS:
        values = months.frame[kpi.column].astype(float)
        latest = float(reference[kpi.column].iloc[-1])
        if not np.isfinite(values).any():
            continue  # a source the business does not have (no surveys: no NPS)
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
        section.cards.append(
            KpiCard(
                name=kpi.name,
                value=kpi.fmt(latest) if np.isfinite(latest) else "n/a",
                change=change,
                is_better=better,
                sparkline=charts.svg(line, f"{kpi.name} by month"),
            )
        )
    section.title = kpi_headline(complete, months.frame, latest_month)
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


def kpi_headline(complete: pd.DataFrame, every: pd.DataFrame, latest_month) -> str:
    if len(complete) >= 2:
        latest, previous = complete["revenue"].iloc[-1], complete["revenue"].iloc[-2]
        if previous > 0:
            change = latest / previous - 1
            verb = "grew" if change > 0 else "fell"
            return (
                f"Revenue {verb} {abs(change):.0%} in {latest_month:%B %Y} to {money(latest)}, "
                f"with {number(complete['active_customers'].iloc[-1])} active customers"
            )
    total = every["revenue"].sum()
    return f"{money(total)} of revenue from {number(every['orders'].sum())} orders so far"


def kpi_trend_png(con: duckdb.DuckDBPyConnection) -> bytes | None:
    """The headline KPIs by month as one PNG (for the kpi_monthly asset's page in the Dagster
    UI); None when marts.kpi_monthly is empty."""
    months = read_kpi_months(Warehouse(con))
    if months is None:
        return None
    series = {
        kpi.name: (months.frame[kpi.column].astype(float).to_numpy(), kpi.fmt)
        for kpi in HEADLINE_KPIS
        if months.frame[kpi.column].notna().any()
    }
    return charts.png(
        charts.small_multiples(list(months.frame["kpi_month"]), series, months.last_is_partial)
    )


# ── the six insights ─────────────────────────────────────────────────────────────────────────


def sales_section(warehouse: Warehouse) -> Section:
    section = Section("sales", "Sales trends")
    rows = warehouse.query(
        "select dimension, dimension_value, revenue, revenue_share, revenue_growth_rate, trend, "
        "seasonality_index, sort_order, trend_window_days from marts.insight_sales_trends "
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
    growth = categories.dropna(subset=["revenue_growth_rate"])
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


GAP_COLOURS = {
    "not_offered": charts.VERMILLION,
    "under_served": charts.ORANGE,
    "served": charts.BLUE,
}


def demand_section(warehouse: Warehouse) -> Section:
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
    if len(gaps):
        top = gaps.iloc[0]
        what = "we do not sell" if top["gap_type"] == "not_offered" else "we sell too little of"
        section.title = (
            f"“{top['subject']}” is the most asked-for thing {what} "
            f"({number(top['demand_count'])} {top['demand_source']} signals)"
        )
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


def feedback_section(warehouse: Warehouse) -> Section:
    section = Section("feedback", "Feedback & NPS")
    themes = warehouse.query(
        "select theme, sum(texts) as texts, sum(average_sentiment * texts) / nullif(sum(texts), 0) "
        "as sentiment from marts.insight_feedback where theme <> 'all' group by theme "
        "having sum(texts) > 0 order by texts desc, theme limit 12",
        "marts.insight_feedback",
    )
    months = warehouse.query(
        "select period_month, nps, nps_responses, average_csat from marts.insight_feedback "
        "where theme = 'all' order by period_month",
        "marts.insight_feedback",
    )
    if themes is None and months is None:
        return absent(
            section.anchor,
            section.name,
            "No feedback: no surveys, reviews or support tickets "
            "(marts.insight_feedback is empty).",
        )
    titles = []
    if themes is not None:
        total = themes["texts"].sum()
        top = themes.iloc[0]
        worst = themes.sort_values("sentiment").iloc[0]
        titles.append(
            f"customers write most about {top['theme']} ({percent(top['texts'] / total)})"
        )
        colours = [
            charts.BAD if s < -0.05 else charts.GOOD if s > 0.05 else charts.GREY
            for s in themes["sentiment"]
        ]
        figure = charts.bars(
            [label(theme) for theme in themes["theme"]],
            list(themes["texts"]),
            number,
            colours=colours,
            annotations=[
                f"{number(t)} · sentiment {s:+.2f}"
                for t, s in zip(themes["texts"], themes["sentiment"], strict=True)
            ],
            xlabel="texts mentioning the theme",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Feedback themes"),
                f"Themes of reviews, survey comments and tickets; colour is the tone (blue "
                f"positive, vermillion negative, grey neutral). Most negative: {worst['theme']} "
                f"({worst['sentiment']:+.2f} on a −1 to 1 scale).",
            )
        )
    nps = months.dropna(subset=["nps"]) if months is not None else None
    if nps is not None and len(nps):
        latest = nps.iloc[-1]
        titles.append(f"NPS is {score(latest['nps'])} in {pd.Timestamp(latest['period_month']):%B}")
        figure = charts.line(
            pd.to_datetime(nps["period_month"]),
            {"NPS": nps["nps"]},
            score,
            counts=nps["nps_responses"],
            counts_label="NPS responses",
            reference=0,
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "NPS by month"),
                "Net promoter score by month (−100 to 100; above 0, promoters outnumber "
                "detractors); grey bars are the responses each point rests on.",
            )
        )
    section.title = "; ".join(titles)
    section.title = section.title[:1].upper() + section.title[1:]
    return section


def channels_section(warehouse: Warehouse) -> Section:
    section = Section("channels", "Channels & timing")
    channels = warehouse.query(
        "select channel, any_value(channel_type) as channel_type, sum(attempts) as attempts, "
        "sum(successes) as successes, "
        "sum(successes) / nullif(sum(attempts), 0) as success_rate from marts.insight_channels "
        "group by channel order by success_rate desc nulls last",
        "marts.insight_channels",
    )
    if channels is None:
        return absent(
            section.anchor, section.name, "No channel activity: marts.insight_channels is empty."
        )
    # The best channel to reach customers: marketing or digital (a store order or a support
    # ticket is the customer reaching us), resting on enough attempts not to be noise.
    reaching = channels[
        channels["channel_type"].isin(["marketing", "digital"])
        & (channels["attempts"] >= max(30, channels["attempts"].max() * 0.01))
    ]
    best = (reaching if len(reaching) else channels).iloc[0]
    figure = charts.bars(
        [label(channel) for channel in channels["channel"]],
        list(channels["success_rate"]),
        percent,
        colours=[charts.BLUE if c == best["channel"] else charts.SKY for c in channels["channel"]],
        annotations=[
            f"{percent(rate)} of {number(attempts)}"
            for rate, attempts in zip(channels["success_rate"], channels["attempts"], strict=True)
        ],
        xlabel="success rate (email opened or clicked, session or order completed, "
        "ticket resolved)",
    )
    section.charts.append(
        Chart(
            charts.svg(figure, "Success rate by channel"),
            "Share of contacts that succeeded, per channel, with the number of attempts it "
            "rests on.",
        )
    )
    cells = warehouse.con.execute(
        "select day_of_week, weekday_name, hour_of_day, sum(interactions) as interactions "
        "from marts.insight_channels group by all"
    ).df()
    grid = (
        cells.pivot_table(
            index="day_of_week", columns="hour_of_day", values="interactions", aggfunc="sum"
        )
        .reindex(index=[1, 2, 3, 4, 5, 6, 0], columns=range(24))
        .fillna(0)
    )
    grid.index = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    peak_day, peak_hour = np.unravel_index(np.argmax(grid.to_numpy()), grid.shape)
    figure = charts.heat_map(
        grid,
        number,
        annotate=False,
        xlabel="hour of day (UTC)",
        colour_label="interactions",
        width=10,
    )
    section.charts.append(
        Chart(
            charts.svg(figure, "Customer interactions by weekday and hour"),
            "Interactions customers started (email opens and clicks, visits, orders, tickets) "
            f"by weekday and hour; the busiest hour is {grid.index[peak_day]} "
            f"{peak_hour:02d}:00 UTC.",
        )
    )
    section.title = (
        f"{label(best['channel'])} reaches customers best ({percent(best['success_rate'])} "
        "succeed); customers "
        f"are most active on {grid.index[peak_day]} at {peak_hour:02d}:00 UTC"
    )
    return section


INTEREST_GROUP_TYPES = ("segment", "rfm_segment", "loyalty_tier", "lifecycle_stage")


def interests_section(warehouse: Warehouse) -> Section:
    section = Section("interests", "Interests by segment")
    rows = warehouse.query(
        "select group_type, group_value, interest, group_customers, interest_rate, affinity_index "
        "from marts.insight_interests where group_type <> 'all' and group_value <> 'unknown'",
        "marts.insight_interests",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No declared interests: the CRM holds none (marts.insight_interests is empty).",
        )
    group_type = next(
        (g for g in INTEREST_GROUP_TYPES if (rows["group_type"] == g).any()),
        rows["group_type"].iloc[0],
    )
    rows = rows[rows["group_type"] == group_type]
    grid = rows.pivot_table(index="group_value", columns="interest", values="affinity_index")
    order = rows.groupby("group_value")["group_customers"].max().sort_values(ascending=False)
    grid = grid.reindex(index=order.index)
    grid.index = [label(value) for value in grid.index]
    grid.columns = [label(value) for value in grid.columns]
    sizeable = rows[rows["group_customers"] >= 10].dropna(subset=["affinity_index"])
    pick = (sizeable if len(sizeable) else rows.dropna(subset=["affinity_index"])).sort_values(
        "affinity_index", ascending=False
    )
    top = pick.iloc[0]
    section.title = (
        f"{label(top['group_value'])} care about {top['interest']} "
        f"{top['affinity_index']:.1f}× as much as the average customer"
    )
    figure = charts.heat_map(
        grid, lambda v: f"{v:.1f}×", center=1.0, xlabel="declared interest",
        ylabel=label(group_type), colour_label="affinity (1× = average)",
    )  # fmt: skip
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            f"How much more (purple) or less (orange) each {label(group_type).lower()} group "
            "declares an interest than customers overall; largest groups on top.",
        )
    )
    return section


def loyalty_section(warehouse: Warehouse) -> Section:
    section = Section("loyalty", "Loyalty")
    tiers = warehouse.query(
        "select loyalty_tier, share_of_customers, share_of_revenue, repeat_rate, nps "
        "from marts.insight_loyalty where loyalty_tier <> 'all' order by tier_order",
        "marts.insight_loyalty",
    )
    if tiers is None:
        return absent(
            section.anchor, section.name, "No customers yet: marts.insight_loyalty is empty."
        )
    buyers = tiers[tiers["share_of_revenue"] > 0]
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


# ── journeys ──────────────────────────────────────────────────────────────────────────────────


def funnel_section(warehouse: Warehouse) -> Section:
    section = Section("funnel", "Funnel")
    steps = warehouse.query(
        "select funnel, step_number, step_name, sum(entrants) as entrants "
        "from marts.journey_funnel where channel = 'all' group by all order by funnel, step_number",
        "marts.journey_funnel",
    )
    if steps is None:
        return absent(
            section.anchor, section.name, "No sessions or leads: marts.journey_funnel is empty."
        )
    titles = []
    web = steps[steps["funnel"] == "web_session"]
    if len(web):
        first = web["entrants"].iloc[0]
        rates = web["entrants"] / first
        previous = web["entrants"].shift(1)
        losses = 1 - web["entrants"] / previous
        worst = losses.iloc[1:].idxmax()
        titles.append(f"{percent(rates.iloc[-1])} of sessions end in a purchase")
        titles.append(
            f"the biggest drop is {label(web.loc[worst - 1, 'step_name']).lower()} → "
            f"{web.loc[worst, 'step_name'].replace('_', ' ')} ({percent(losses[worst])} lost)"
        )
        figure = charts.bars(
            [label(step) for step in web["step_name"]],
            list(web["entrants"]),
            number,
            colours=[charts.BLUE] * len(web),
            annotations=[
                f"{number(e)} · {percent(r)}" for e, r in zip(web["entrants"], rates, strict=True)
            ],
            xlabel="sessions reaching the step",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Web and app session funnel"),
                "Sessions (web and app, identified or not) reaching each step, with the share "
                "of all sessions.",
            )
        )
        by_channel = warehouse.con.execute(
            "select channel, sum(entrants) filter (step_name = 'purchase') / "
            "nullif(sum(entrants) filter (step_number = 1), 0) as rate, "
            "sum(entrants) filter (step_number = 1) as sessions from marts.journey_funnel "
            "where funnel = 'web_session' and channel <> 'all' group by channel "
            "having sessions >= 20 order by rate desc"
        ).df()
        if len(by_channel) > 1:
            figure = charts.bars(
                [label(channel) for channel in by_channel["channel"]],
                list(by_channel["rate"].fillna(0)),
                percent,
                colours=charts.SKY,
                annotations=[
                    f"{percent(r)} of {number(s)}"
                    for r, s in zip(
                        by_channel["rate"].fillna(0), by_channel["sessions"], strict=True
                    )
                ],
                xlabel="sessions ending in a purchase",
            )
            section.charts.append(
                Chart(
                    charts.svg(figure, "Conversion by traffic channel"),
                    f"{label(by_channel['channel'].iloc[0])} traffic converts best; channels "
                    "with at least 20 sessions.",
                )
            )
    leads = steps[steps["funnel"] == "lead"]
    if len(leads) > 1 and leads["entrants"].iloc[0] > 0:
        rate = leads["entrants"].iloc[-1] / leads["entrants"].iloc[0]
        titles.append(f"{percent(rate)} of leads became customers")
    section.title = "; ".join(titles)
    section.title = section.title[:1].upper() + section.title[1:]
    return section


def retention_section(warehouse: Warehouse) -> Section:
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


# ── models ────────────────────────────────────────────────────────────────────────────────────


def segments_section(warehouse: Warehouse) -> Section:
    section = Section("segments", "Segments")
    revenue = "coalesce(sum(profiles.revenue), 0)" if warehouse.has("marts.customer_360") else "0"
    join = (
        "left join marts.customer_360 as profiles using (customer_id)"
        if warehouse.has("marts.customer_360")
        else ""
    )
    rows = warehouse.query(
        f"select segments.segment, count(*) as customers, {revenue} as revenue "
        f"from ml.customer_segments as segments {join} group by segments.segment "
        "order by revenue desc, customers desc",
        "ml.customer_segments",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No segments: ml.customer_segments is absent or empty (no sales yet).",
        )
    rows["share_of_customers"] = rows["customers"] / rows["customers"].sum()
    pairs = {"share of buyers": rows["share_of_customers"]}
    if rows["revenue"].sum() > 0:
        rows["share_of_revenue"] = rows["revenue"] / rows["revenue"].sum()
        pairs["share of revenue"] = rows["share_of_revenue"]
        top = rows.iloc[0]
        section.title = (
            f"{label(top['segment'])} are {percent(top['share_of_customers'])} of buyers and bring "
            f"{percent(top['share_of_revenue'])} of revenue"
        )
    else:
        top = rows.sort_values("customers", ascending=False).iloc[0]
        section.title = (
            f"{label(top['segment'])} is the largest segment "
            f"({percent(top['share_of_customers'])} of buyers)"
        )
    figure = charts.paired_bars([label(s) for s in rows["segment"]], pairs, percent)
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "RFM segments of every buyer (recency, frequency and monetary scores), their share "
            "of buyers and of revenue, most valuable first.",
        )
    )
    clusters = warehouse.con.execute(
        "select cluster_profile, count(*) as customers from ml.customer_segments "
        "where cluster_profile is not null group by all order by customers desc"
    ).df()
    if len(clusters) > 1:
        figure = charts.bars(
            list(clusters["cluster_profile"]),
            list(clusters["customers"]),
            number,
            colours=charts.SKY,
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Behavioural clusters"),
                "Behavioural clusters of buyers, named by what sets them apart from the average.",
            )
        )
    return section


RISK_COLOURS = {"low": charts.SKY, "medium": charts.ORANGE, "high": charts.VERMILLION}
AT_RISK_ROWS = 10


def churn_section(warehouse: Warehouse) -> Section:
    section = Section("churn", "Churn risk")
    rows = warehouse.query(
        "select customer_id, churn_probability, risk_band, top_drivers, method, horizon_days "
        "from ml.churn_predictions",
        "ml.churn_predictions",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No churn predictions: ml.churn_predictions is absent or empty.",
        )
    horizon = int(rows["horizon_days"].iloc[0])
    high = rows[rows["risk_band"] == "high"]
    if len(high):
        section.title = (
            f"{number(len(high))} customers ({percent(len(high) / len(rows))}) are at high risk of "
            f"not buying in the next {horizon} days"
        )
    else:
        section.title = (
            f"No customer is at high risk; on average {percent(rows['churn_probability'].mean())} "
            f"may not buy in the next {horizon} days"
        )
    figure = charts.histogram(
        rows["churn_probability"], percent, bins=list(np.linspace(0, 1, 21)),
        groups=rows["risk_band"], group_colours=RISK_COLOURS, xlabel="churn probability",
    )  # fmt: skip
    method = rows["method"].iloc[0]
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            f"Customers by probability of no purchase within {horizon} days, coloured by risk "
            f"band (method: {method.replace('_', ' ')}).",
        )
    )
    value = "clv.expected_value" if warehouse.has("ml.clv_predictions") else "null"
    join = (
        "left join ml.clv_predictions as clv using (customer_id)"
        if warehouse.has("ml.clv_predictions")
        else ""
    )
    at_risk = warehouse.con.execute(
        f"select churn.customer_id, churn.churn_probability, churn.risk_band, {value} as value, "
        f"churn.top_drivers from ml.churn_predictions as churn {join} "
        f"order by churn.churn_probability desc, value desc nulls last, churn.customer_id "
        f"limit {AT_RISK_ROWS}"
    ).df()
    section.tables.append(
        Table(
            ["customer_id", "churn probability", "risk", "expected value", "why"],
            [
                [
                    row.customer_id,
                    percent(row.churn_probability),
                    row.risk_band,
                    money(row.value) if pd.notna(row.value) else "n/a",
                    row.top_drivers or "",
                ]
                for row in at_risk.itertuples()
            ],
            f"The {len(at_risk)} customers most likely to lapse, with the value they are "
            "expected to bring if they stay (ml.clv_predictions): the first to call.",
        )
    )
    return section


def leads_section(warehouse: Warehouse) -> Section:
    section = Section("leads", "Lead scores")
    if not warehouse.has("ml.lead_scores"):
        return absent(section.anchor, section.name, "No lead scores: ml.lead_scores is absent.")
    outcome = warehouse.has("marts.customer_360")
    rows = warehouse.query(
        "select scores.grade, count(*) as leads, avg(scores.conversion_probability) as predicted, "
        + (
            "count(*) filter (profiles.last_order_at::date > scores.as_of) as converted, "
            "max(profiles.as_of_at)::date - min(scores.as_of) as days_since "
            "from ml.lead_scores as scores "
            "left join marts.customer_360 as profiles using (customer_id) "
            if outcome
            else "null as converted, 0 as days_since from ml.lead_scores as scores "
        )
        + "group by scores.grade order by scores.grade",
        "ml.lead_scores",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No lead scores: no open CRM leads, or too little lead history to train the model "
            "(ml.lead_scores is empty).",
        )
    days_since = int(rows["days_since"].max() or 0)
    best, worst = rows.iloc[0], rows.iloc[-1]
    if days_since > 0:
        rows["actual"] = rows["converted"] / rows["leads"]
        section.title = (
            f"Grade {best['grade']} leads converted at {percent(best['converted'] / best['leads'])}"
            f" against {percent(worst['converted'] / worst['leads'])} for grade {worst['grade']}"
        )
        caption = (
            f"Open leads scored as of the scoring day, by grade: the share that bought in the "
            f"{days_since} days since (bars) against the predicted conversion (diamonds)."
        )
    else:
        rows["actual"] = np.nan
        section.title = (
            f"Grade {best['grade']} leads are predicted to convert at {percent(best['predicted'])}"
            f", grade {worst['grade']} at {percent(worst['predicted'])}"
        )
        caption = (
            "Predicted conversion of today's open leads by grade (diamonds); what they actually "
            "do shows here when the report is built with a scoring day in the past "
            "(binesh run --as-of)."
        )
    figure = charts.dots_over_bars(
        [f"Grade {grade}" for grade in rows["grade"]],
        rows["actual"], rows["predicted"], percent,
        bar_label="converted since scoring", dot_label="predicted", counts=list(rows["leads"]),
    )  # fmt: skip
    section.charts.append(Chart(charts.svg(figure, section.title), caption))
    return section


def clv_section(warehouse: Warehouse) -> Section:
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
        f"The top 20% of customers hold {percent(share)} of the {money(values.sum())} expected "
        f"over the next {horizon} days"
    )
    figure = charts.histogram(
        values,
        money,
        bins=30,
        xlabel=f"expected value over {horizon} days",
        log_x=values.max() > 50 * max(np.median(values), 1e-9),
    )
    section.charts.append(
        Chart(
            charts.svg(figure, "Distribution of expected customer value"),
            f"Expected value of each buyer's purchases over the next {horizon} days "
            f"(BG/NBD × Gamma-Gamma); median {money(float(np.median(values)))}.",
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


# ── campaigns and data ────────────────────────────────────────────────────────────────────────

SIGNIFICANCE = 0.05
AB_TESTS_SHOWN = 12


def campaigns_section(warehouse: Warehouse) -> Section:
    section = Section("campaigns", "Campaign A/B tests")
    rows = warehouse.query(
        "select ab_test_name, started_date, variant, click_rate_lift, click_rate_p_value, "
        "conversion_rate_lift, conversion_rate_p_value, delivered from marts.campaign_ab_results "
        "where not is_control and variant is not null "
        f"order by started_date desc, ab_test_name, variant limit {AB_TESTS_SHOWN}",
        "marts.campaign_ab_results",
    )
    if rows is None:
        return absent(
            section.anchor,
            section.name,
            "No A/B tests: no campaign was sent in several variants (marts.campaign_ab_results "
            "has no tested variants).",
        )
    rows = rows.iloc[::-1]  # oldest on top, so the latest tests sit next to the caption
    names = [
        f"{name} · {variant}"
        for name, variant in zip(rows["ab_test_name"], rows["variant"], strict=True)
    ]
    winners = []
    for metric in ("click_rate", "conversion_rate"):
        known = rows.dropna(subset=[f"{metric}_lift"])
        significant = known[known[f"{metric}_p_value"] < SIGNIFICANCE]
        winners += [(metric, row) for row in significant.itertuples()]
        if not len(known):
            continue
        figure = charts.lift_dots(
            [n for n, keep in zip(names, rows[f"{metric}_lift"].notna(), strict=True) if keep],
            list(known[f"{metric}_lift"]),
            list(known[f"{metric}_p_value"] < SIGNIFICANCE),
            signed_percent,
            xlabel=f"{metric.replace('_', ' ')} lift over the control (variant A)",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, f"{label(metric)} lift by variant"),
                f"{label(metric)} of each tested variant against its control; filled dots are "
                f"differences unlikely to be chance (two-proportion test, p < {SIGNIFICANCE}).",
            )
        )
    tests = rows["ab_test_name"].nunique()
    if winners:
        metric, row = max(winners, key=lambda pair: abs(getattr(pair[1], f"{pair[0]}_lift")))
        lift = getattr(row, f"{metric}_lift")
        section.title = (
            f"{len(winners)} results of the last {tests} A/B tests beat chance; the largest: "
            f"variant {row.variant} of “{row.ab_test_name}” {'raised' if lift > 0 else 'cut'} "
            f"the {metric.replace('_', ' ')} by {signed_percent(abs(lift))[1:]}"
        )
    else:
        section.title = (
            f"None of the last {tests} A/B tests found a difference beyond chance "
            f"(p < {SIGNIFICANCE})"
        )
    return section


STATUS_COLOURS = {"passed": charts.BLUE, "warned": charts.ORANGE, "failed": charts.VERMILLION}


def quality_section(warehouse: Warehouse, quality_link: str | None) -> Section:
    section = Section("quality", "Data quality")
    if quality_link:
        section.links.append(("the full data-quality report", quality_link))
    checks = warehouse.query(
        """
        select layer,
            count(*) filter (success) as passed,
            count(*) filter (not success and severity = 'warn') as warned,
            count(*) filter (not success and coalesce(severity, 'error') <> 'warn') as failed
        from (
            select * from audit.quality_results
            qualify row_number() over (partition by asset, check_name order by checked_at desc) = 1
        )
        group by layer order by case layer when 'raw' then 1 when 'staging' then 2 else 3 end
        """,
        "audit.quality_results",
    )
    loads = warehouse.query(
        "select source_table, sum(rows_landed) as landed, sum(rows_quarantined) as quarantined "
        "from audit.load_log where superseded_at is null group by source_table "
        "having sum(rows_landed) > 0 order by quarantined / landed desc, source_table",
        "audit.load_log",
    )
    if checks is None and loads is None:
        return absent(
            section.anchor,
            section.name,
            "No quality results or loads recorded (audit tables absent or empty).",
        )
    titles = []
    if checks is not None:
        total = int(checks[["passed", "warned", "failed"]].to_numpy().sum())
        titles.append(f"{number(checks['passed'].sum())} of {number(total)} quality checks passed")
        if checks["failed"].sum():
            titles.append(f"{number(checks['failed'].sum())} failed")
        figure = charts.stacked_bars(
            [label(layer) for layer in checks["layer"]],
            {name: checks[name] for name in STATUS_COLOURS},
            STATUS_COLOURS,
            xlabel="checks (latest result of each)",
        )
        section.charts.append(
            Chart(
                charts.svg(figure, "Quality checks by layer"),
                "The latest result of every data-quality check, by layer: failed checks on raw "
                "and staging stop the run; warnings are reported.",
            )
        )
    if loads is not None:
        rate = loads["quarantined"].sum() / loads["landed"].sum()
        titles.append(f"{percent(rate)} of landed rows were quarantined")
        loads["rate"] = loads["quarantined"] / loads["landed"]
        figure = charts.bars(
            list(loads["source_table"]),
            list(loads["rate"]),
            percent,
            colours=[
                charts.VERMILLION if r > 0.05 else charts.ORANGE if r > 0 else charts.BLUE
                for r in loads["rate"]
            ],
            annotations=[
                f"{percent(r)} · {number(q)} of {number(n)}"
                for r, q, n in zip(
                    loads["rate"], loads["quarantined"], loads["landed"], strict=True
                )
            ],
            xlabel="rows quarantined / rows landed",
        )
        quarantine = ""
        if warehouse.has("audit.quarantine"):
            reasons = warehouse.con.execute(
                "select reason, count(*) as rows from audit.quarantine group by reason "
                "order by rows desc limit 1"
            ).fetchall()
            if reasons:
                quarantine = (
                    f" The most common reason: “{reasons[0][0]}” ({number(reasons[0][1])} rows)."
                )
        section.charts.append(
            Chart(
                charts.svg(figure, "Quarantined rows by source table"),
                "Share of each landing table's rows set aside in audit.quarantine instead of "
                "loaded (current file versions)." + quarantine,
            )
        )
    section.title = "; ".join(titles)
    return section


# ── the page ──────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class InsightReport:
    page: Path  # <directory>/runs/<run_id>.html
    latest: Path  # <directory>/latest.html
    sections: dict[str, bool]  # navigation label -> has content (False: stated as absent)
    headline: dict[str, float]  # a few figures for the run's metadata

    @property
    def absent_sections(self) -> list[str]:
        return [name for name, present in self.sections.items() if not present]


def build_sections(con: duckdb.DuckDBPyConnection, quality_link: str | None) -> list[Section]:
    warehouse = Warehouse(con)
    return [
        kpi_section(warehouse),
        sales_section(warehouse),
        demand_section(warehouse),
        feedback_section(warehouse),
        channels_section(warehouse),
        interests_section(warehouse),
        loyalty_section(warehouse),
        funnel_section(warehouse),
        retention_section(warehouse),
        segments_section(warehouse),
        churn_section(warehouse),
        leads_section(warehouse),
        clv_section(warehouse),
        campaigns_section(warehouse),
        quality_section(warehouse, quality_link),
    ]


def headline_figures(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    months = read_kpi_months(Warehouse(con))
    if months is None:
        return {}
    reference = months.complete if len(months.complete) else months.frame
    latest = reference.iloc[-1]
    figures = {"revenue_latest_month": float(latest["revenue"])}
    if np.isfinite(latest["active_customers"]):
        figures["active_customers_latest_month"] = float(latest["active_customers"])
    if len(months.complete) > 1 and months.complete["revenue"].iloc[-2] > 0:
        figures["revenue_change"] = float(
            latest["revenue"] / months.complete["revenue"].iloc[-2] - 1
        )
    return figures


def period_of(con: duckdb.DuckDBPyConnection) -> str:
    if "marts.kpi_daily" not in existing_tables(con):
        return ""
    first, last = con.execute("select min(kpi_date), max(kpi_date) from marts.kpi_daily").fetchone()
    return f"{first:%d %b %Y} – {last:%d %b %Y}" if first else ""


def build_insight_report(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    run_id: str,
    *,
    quality_report: Path | None = None,
) -> InsightReport:
    """Write the report of the warehouse `con` reads to <directory>/runs/<run_id>.html and
    <directory>/latest.html, each swapped in whole (a reader never sees half a page).
    `quality_report`: the data-quality report's page, linked from the quality section when it
    exists."""
    directory = Path(directory)
    runs = directory / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    generated_at = datetime.now(UTC)
    pages = {runs / f"{run_id}.html": runs, directory / PAGE: directory}
    built_sections = None
    for page, folder in pages.items():
        link = None
        if quality_report is not None and Path(quality_report).exists():
            link = Path(
                os.path.relpath(Path(quality_report).resolve(), folder.resolve())
            ).as_posix()
        sections = (
            build_sections(con, link) if built_sections is None else relink(built_sections, link)
        )
        built_sections = sections
        html = render(
            sections=sections,
            period=period_of(con),
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            run_id=run_id,
        )
        write_atomically(page, html)
    return InsightReport(
        page=runs / f"{run_id}.html",
        latest=directory / PAGE,
        sections={section.name: section.absent is None for section in built_sections},
        headline=headline_figures(con),
    )


def relink(sections: list[Section], link: str | None) -> list[Section]:
    """The same sections with the quality report linked from another folder."""
    for section in sections:
        if section.anchor == "quality":
            section.links = [("the full data-quality report", link)] if link else []
    return sections


def write_atomically(path: Path, text: str) -> None:
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        staged.write_text(text, encoding="utf-8")
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Binesh insight report{% if period %} · {{ period }}{% endif %}</title>
<style>
:root { --ink: #222; --muted: #5f5f5f; --rule: #e3e3e3; --good: #0072B2; --bad: #D55E00; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       color: var(--ink); background: #fff; }
header { padding: 1.5rem 2rem 1rem; border-bottom: 1px solid var(--rule); }
header h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
header p { margin: 0; color: var(--muted); }
nav { padding: .6rem 2rem; border-bottom: 1px solid var(--rule); font-size: .9rem;
      position: sticky; top: 0; background: #fff; z-index: 1; }
nav a { color: var(--good); margin-right: .9rem; white-space: nowrap; text-decoration: none; }
nav a:hover, nav a:focus { text-decoration: underline; }
nav a.absent { color: var(--muted); }
main { max-width: 1100px; margin: 0 auto; padding: 0 2rem 3rem; }
section { padding: 1.6rem 0 1rem; border-bottom: 1px solid var(--rule); }
.kicker { margin: 0; color: var(--muted); font-size: .8rem; text-transform: uppercase;
          letter-spacing: .06em; }
h2 { margin: .2rem 0 1rem; font-size: 1.3rem; line-height: 1.3; }
figure { margin: 0 0 1.4rem; }
svg.chart { display: block; width: 100%; height: auto; max-height: 560px; }
figcaption, .caption { color: var(--muted); font-size: .9rem; margin-top: .3rem; max-width: 75ch; }
.absent-note { color: var(--muted); font-style: italic; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: .8rem;
         margin-bottom: .8rem; }
.card { border: 1px solid var(--rule); border-radius: 6px; padding: .7rem .8rem .5rem; }
.card .name { font-size: .85rem; color: var(--muted); }
.card .value { font-size: 1.6rem; font-weight: 600; }
.card .change { font-size: .85rem; color: var(--muted); }
.card .change.better { color: var(--good); }
.card .change.worse { color: var(--bad); }
.card svg.chart { max-height: 60px; margin-top: .3rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .3rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--rule);
         vertical-align: top; }
th { font-weight: 600; }
td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
a { color: var(--good); }
footer { color: var(--muted); font-size: .8rem; padding: 1rem 2rem 2rem; text-align: center; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { font-size: 11pt; }
  nav { display: none; }
  header { padding: 0 0 .5rem; }
  main { max-width: none; padding: 0; }
  section { break-before: page; border: 0; }
  section:first-of-type { break-before: avoid; }
  figure, .card, table, tr { break-inside: avoid; }
  svg.chart { max-height: 120mm; }
  a { color: var(--ink); }
}
</style>
</head>
<body>
<header>
  <h1>Insight report</h1>
  <p>{% if period %}Data {{ period }} · {% endif %}built {{ generated_at }} · run {{ run_id }}</p>
</header>
<nav aria-label="Sections">
{%- for section in sections %}
  <a href="#{{ section.anchor }}"{% if section.absent %} class="absent"{% endif %}>
    {{- section.name }}</a>
{%- endfor %}
</nav>
<main>
{%- for section in sections %}
<section id="{{ section.anchor }}" aria-labelledby="{{ section.anchor }}-title">
  <p class="kicker">{{ section.name }}</p>
  <h2 id="{{ section.anchor }}-title">{{ section.title }}</h2>
  {%- if section.absent %}
  <p class="absent-note">{{ section.absent }}</p>
  {%- endif %}
  {%- if section.cards %}
  <div class="cards">
    {%- for card in section.cards %}
    <div class="card">
      <div class="name">{{ card.name }}</div>
      <div class="value">{{ card.value }}</div>
      <div class="change {{ card.tone }}">{{ card.change or "&nbsp;"|safe }}</div>
      {{ card.sparkline|safe }}
    </div>
    {%- endfor %}
  </div>
  {%- endif %}
  {%- for chart in section.charts %}
  {%- if chart.svg %}
  <figure>
    {{ chart.svg|safe }}
    <figcaption>{{ chart.caption }}</figcaption>
  </figure>
  {%- else %}
  <p class="caption">{{ chart.caption }}</p>
  {%- endif %}
  {%- endfor %}
  {%- for table in section.tables %}
  <figure>
    <table>
      <thead><tr>
        {%- for column in table.columns %}<th scope="col">{{ column }}</th>{% endfor -%}
      </tr></thead>
      <tbody>
      {%- for row in table.rows %}
        <tr>
          {%- for value in row %}<td{% if loop.first %} class="id"{% endif %}>{{ value }}</td>
          {%- endfor -%}
        </tr>
      {%- endfor %}
      </tbody>
    </table>
    <figcaption>{{ table.caption }}</figcaption>
  </figure>
  {%- endfor %}
  {%- for text, href in section.links %}
  <p class="caption">See <a href="{{ href }}">{{ text }}</a>.</p>
  {%- endfor %}
</section>
{%- endfor %}
</main>
<footer>Binesh · from the warehouse's marts, ml and audit tables · every chart is drawn in
the page: it opens offline</footer>
</body>
</html>
"""


def render(**context) -> str:
    environment = Environment(autoescape=select_autoescape(default=True))
    return environment.from_string(TEMPLATE).render(**context)
