"""The insight report: written by `binesh run` on the small simulated business of
test_pipeline.py, opened in headless Chromium (every section there, every chart drawn, no
script errors, nothing fetched); the kpi_monthly materialization of that run carries the KPI
trend plot; and, without a pipeline, a warehouse missing sources states them instead of failing
while a real error still fails."""

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from PIL import Image

from reports.insight import PAGE, RUNS, build_insight_report
from reports.locations import insight_report_directory
from tests.tools import page_text, screenshot

SECTIONS = (
    "kpis", "sales", "demand", "feedback", "channels", "interests", "loyalty", "funnel",
    "retention", "segments", "churn", "leads", "clv", "offers", "campaigns", "quality",
)  # fmt: skip
# 45 days of a full business: too little lead history to score leads; all else is there.
SHOWN_ON_THE_SIMULATION = set(SECTIONS) - {"leads"}
DRAWING = ("path", "text", "rect", "line", "polyline", "polygon", "circle", "use")


class Page(HTMLParser):
    """Every element with its attributes, and what each section and chart holds."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.sections: dict[str, dict] = {}
        self.charts: list[list[str]] = []  # the tags inside each <svg class="chart">
        self._section: str | None = None
        self._in_title = False
        self._svg_depth = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "section":
            self._section = attributes["id"]
            self.sections[self._section] = {"title": "", "absent": False, "charts": 0}
        elif tag == "h2" and self._section:
            self._in_title = True
        elif tag == "p" and "absent-note" in attributes.get("class", ""):
            self.sections[self._section]["absent"] = True
        if tag == "svg" and "chart" in attributes.get("class", ""):
            self.charts.append([])
            self._svg_depth = 1
            if self._section:
                self.sections[self._section]["charts"] += 1
        elif self._svg_depth:
            self.charts[-1].append(tag)
            self._svg_depth += 1

    def handle_endtag(self, tag):
        if tag == "h2":
            self._in_title = False
        if self._svg_depth:
            self._svg_depth -= 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_data(self, data):
        if self._in_title:
            self.sections[self._section]["title"] += data


@pytest.fixture(scope="module")
def report(env, built) -> Path:
    return insight_report_directory(Path(env["BINESH_WAREHOUSE"])) / PAGE


@pytest.mark.integration
def test_the_run_writes_the_report_and_a_page_for_the_run(report):
    runs = list((report.parent / RUNS).glob("*.html"))
    assert report.is_file() and len(runs) == 1
    assert runs[0].read_text(encoding="utf-8").count("<svg") == report.read_text().count("<svg")
    assert not list(report.parent.rglob("*.tmp"))


@pytest.mark.integration
def test_every_section_is_there_with_a_finding_and_its_charts(report):
    page = Page(report.read_text(encoding="utf-8"))
    assert list(page.sections) == list(SECTIONS)
    shown = {anchor for anchor, section in page.sections.items() if not section["absent"]}
    assert shown == SHOWN_ON_THE_SIMULATION
    for anchor in shown - {"offers"}:  # offers: a table
        assert page.sections[anchor]["charts"] >= 1, anchor
    for anchor, section in page.sections.items():
        assert section["title"].strip(), anchor
    assert re.search(r"Revenue (grew|fell) \d+%|of revenue from", page.sections["kpis"]["title"])


@pytest.mark.integration
def test_chromium_draws_every_chart_without_errors(report, tmp_path):
    png = tmp_path / "insight_report.png"
    log = screenshot(report.as_uri(), png, width=1366, height=4000)
    problems = [
        line
        for line in log.splitlines()
        if "CONSOLE" in line or "Uncaught" in line or "Failed to load" in line or "net::ERR" in line
    ]
    assert not problems, "\n".join(problems)
    # The DOM Chromium built: every chart is an SVG with a view box and shapes in it.
    page = Page(page_text(report.as_uri()))
    assert len(page.charts) >= 20
    for tags in page.charts:
        assert sum(tag in DRAWING for tag in tags) >= 3, tags[:10]
    svgs = [attributes for tag, attributes in page.elements if tag == "svg"]
    for attributes in svgs:
        width, height = map(float, attributes["viewbox"].split()[2:])
        assert width > 0 and height > 0
    assert not [attributes for tag, attributes in page.elements if tag == "img"]
    # The screenshot shows a drawn page, not a blank one or an error page.
    image = Image.open(png).convert("L")
    inked = sum(count for value, count in enumerate(image.histogram()) if value < 200)
    assert inked / (image.width * image.height) > 0.03


@pytest.mark.integration
def test_the_report_fetches_nothing(report):
    html = report.read_text(encoding="utf-8")
    page = Page(html)
    assert not [tag for tag, _ in page.elements if tag in ("script", "link", "iframe", "object")]
    for tag, attributes in page.elements:
        for name in ("src", "xlink:href", "srcset", "poster", "data"):
            assert not attributes.get(name, "").startswith(("http:", "https:", "//")), (tag, name)
        href = attributes.get("href", "")
        if href.startswith(("http:", "https:", "//")):
            assert tag == "a", f"<{tag}> fetches {href}"
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@import" not in html


@pytest.mark.integration
def test_the_quality_report_is_linked_where_it_is(report):
    links = [a.get("href", "") for tag, a in Page(report.read_text()).elements if tag == "a"]
    (quality,) = [link for link in links if link.endswith("quality/latest.html")]
    assert (report.parent / quality).resolve().is_file()


@pytest.mark.integration
def test_the_runs_kpi_monthly_materialization_carries_the_trend_plot(env, built, report):
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        kpis = instance.get_latest_materialization_event(dg.AssetKey(["marts", "kpi_monthly"]))
        insight = instance.get_latest_materialization_event(
            dg.AssetKey(["reports", "insight_report"])
        )
    metadata = kpis.asset_materialization.metadata
    (encoded,) = re.findall(
        r"data:image/png;base64,([A-Za-z0-9+/=]+)", metadata["kpi_trends"].value
    )
    plot = Image.open(io.BytesIO(base64.b64decode(encoded)))
    assert plot.format == "PNG" and plot.width > 400 and plot.height > 150
    assert "unique_id" in metadata  # what dagster-dbt records is kept
    # The report asset of the same run points at the page it wrote.
    assert insight.run_id == kpis.run_id
    assert Path(insight.asset_materialization.metadata["path"].path) == report
    assert insight.asset_materialization.metadata["revenue_latest_month"].value > 0


# What a business with only shop orders leaves empty (no CRM, web, marketing, support, surveys
# or reviews), and the KPI columns that stay null for it.
EMPTY_WITHOUT_OTHER_SOURCES = (
    "marts.insight_feedback", "marts.insight_product_demand", "marts.insight_interests",
    "marts.journey_funnel", "marts.campaign_ab_results", "ml.lead_scores",
)  # fmt: skip
NULL_WITHOUT_OTHER_SOURCES = ("session_conversion_rate", "nps", "csat", "average_queue_seconds")


@pytest.mark.integration
def test_a_business_with_only_orders_gets_every_section_it_can_and_a_line_for_the_rest(
    env, built, tmp_path
):
    """The pipeline's warehouse with what only other sources fill emptied: an orders-only
    business's warehouse, where every table exists (docs/warehouse.md)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{env['BINESH_WAREHOUSE']}' as pipeline (read_only)")
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'pipeline' "
            "and schema_name in ('marts', 'ml', 'audit')"
        ).fetchall():
            keep = "false" if f"{schema}.{table}" in EMPTY_WITHOUT_OTHER_SOURCES else "true"
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from pipeline.{schema}.{table} "
                        f"where {keep}")  # fmt: skip
        con.execute("detach pipeline")
        con.execute("delete from marts.insight_channels where channel <> 'store'")
        nulls = ", ".join(f"{column} = null" for column in NULL_WITHOUT_OTHER_SOURCES)
        con.execute(f"update marts.kpi_monthly set {nulls}")
        report = build_insight_report(con, tmp_path, "orders-only")
    page = Page(report.latest.read_text(encoding="utf-8"))
    absent = {anchor for anchor, section in page.sections.items() if section["absent"]}
    assert absent == {"demand", "feedback", "interests", "funnel", "campaigns", "leads"}
    cards = re.findall(r'<div class="name">([^<]+)</div>', report.latest.read_text())
    assert cards == ["Revenue", "Active customers", "Repeat purchase rate", "Churn rate"]


# ── without a pipeline ────────────────────────────────────────────────────────────────────────


def test_a_warehouse_without_tables_gets_a_report_that_says_so(tmp_path):
    with duckdb.connect() as con:
        report = build_insight_report(con, tmp_path, "empty")
    page = Page(report.latest.read_text(encoding="utf-8"))
    assert list(page.sections) == list(SECTIONS)
    assert all(section["absent"] for section in page.sections.values())
    assert not page.charts
    assert report.absent_sections == list(report.sections) and report.headline == {}


def test_a_real_error_fails_the_report(tmp_path):
    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute("create table marts.kpi_monthly (kpi_month date, revenue double)")
        con.execute("insert into marts.kpi_monthly values ('2025-01-01', 10)")
        with pytest.raises(duckdb.BinderException, match="active_customers"):
            build_insight_report(con, tmp_path, "broken")
    assert not list(tmp_path.rglob("*.html"))


def test_each_run_keeps_its_page_and_latest_is_swapped_in(tmp_path):
    with duckdb.connect() as con:
        first = build_insight_report(con, tmp_path, "run-1")
        second = build_insight_report(con, tmp_path, "run-2")
    assert first.latest == second.latest == tmp_path / PAGE
    assert sorted(path.name for path in (tmp_path / RUNS).iterdir()) == ["run-1.html", "run-2.html"]
    assert "run-2" in second.latest.read_text() and "run-1" in first.page.read_text()
    assert not list(tmp_path.rglob("*.tmp"))
