"""The insight report: the story of the customer base in charts, one self-contained HTML page per
run (inline CSS and SVG, no scripts, nothing fetched), also kept as latest.html.

    <directory>/latest.html          the latest run's page
    <directory>/runs/<run_id>.html   the page as that run left it

Each section is a module of `sections/` with `build(warehouse) -> Section`; SECTIONS is their
order on the page. A section states its finding in its title, computed from the same frame as
its chart, and explains the chart in one sentence below it; it names no winner on fewer than
`page.MIN_SAMPLE` observations. A section whose table is absent or empty (a business with only
orders has no feedback, leads or campaigns) says so in one line; any other error fails the
report. The report only reads the warehouse, through the connection it is given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from reports.insight.page import Section, render, write_atomically
from reports.insight.sections import (
    campaigns,
    channels,
    churn,
    clv,
    cohorts,
    demand,
    feedback,
    funnel,
    interests,
    kpis,
    leads,
    loyalty,
    offers,
    quality,
    sales,
    segments,
)
from reports.kpis import headline_figures
from reports.warehouse import Warehouse

PAGE = "latest.html"
RUNS = "runs"

SECTIONS = (
    kpis, sales, demand, feedback, channels, interests, loyalty, funnel, cohorts,
    segments, churn, leads, clv, offers, campaigns, quality,
)  # fmt: skip


@dataclass(frozen=True)
class InsightReport:
    page: Path  # <directory>/runs/<run_id>.html
    latest: Path  # <directory>/latest.html
    sections: dict[str, bool]  # navigation label -> has content (False: stated as absent)
    headline: dict[str, float]  # a few figures for the run's metadata

    @property
    def absent_sections(self) -> list[str]:
        return [name for name, present in self.sections.items() if not present]


def build_sections(warehouse: Warehouse) -> list[Section]:
    return [section.build(warehouse) for section in SECTIONS]


def period_of(warehouse: Warehouse) -> str:
    if not warehouse.has("marts.kpi_daily"):
        return ""
    first, last = warehouse.con.execute(
        "select min(kpi_date), max(kpi_date) from marts.kpi_daily"
    ).fetchone()
    return f"{first:%d %b %Y} – {last:%d %b %Y}" if first else ""


def build_insight_report(
    con: duckdb.DuckDBPyConnection,
    directory: Path,
    run_id: str,
    *,
    quality_report: Path | None = None,
) -> InsightReport:
    """Write the report of the warehouse `con` reads to <directory>/runs/<run_id>.html and
    <directory>/latest.html, each swapped in whole. `quality_report`: the data-quality report's
    page, linked from the quality section when it exists."""
    directory = Path(directory)
    runs = directory / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(con)
    sections = build_sections(warehouse)
    context = dict(
        sections=sections,
        period=period_of(warehouse),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        run_id=run_id,
    )
    for page, folder in ((runs / f"{run_id}.html", runs), (directory / PAGE, directory)):
        link = None
        if quality_report is not None and Path(quality_report).exists():
            link = Path(os.path.relpath(Path(quality_report).resolve(), folder.resolve()))
        write_atomically(page, render(**context, quality_link=link and link.as_posix()))
    return InsightReport(
        page=runs / f"{run_id}.html",
        latest=directory / PAGE,
        sections={section.name: section.absent is None for section in sections},
        headline=headline_figures(warehouse),
    )
