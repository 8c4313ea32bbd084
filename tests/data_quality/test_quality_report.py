"""The quality report a manager reads: it opens with what blocks or warns and the way out, a rule
never reads "passed" while it found failing rows, and each table's history is a matplotlib chart.

The audit tables come from the real loader and raw validation on a small noisy simulation (no
Dagster, no dbt): the survey export switches its NPS to a 0-100 scale as in test_blocking_run,
so the first validation blocks on it, quarantines the noise's impossible values and passes the
odd implausible birth date within tolerance. A second validation re-judges the blocked increment.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import duckdb
import pytest

from data_quality.report import build_quality_report
from data_quality.suites import quality_suites
from data_quality.validation import run_suites
from sources.contract import LANDING_TABLES
from sources.loader import load_table
from sources.simulator import simulate
from tests.data_quality.test_blocking_run import BAD_FILE, deliver
from tests.tools import misspelled

BLOCKING_CHECK = ("raw.surveys__responses", "nps_score_in_range")


class Tables(HTMLParser):
    """Every <table> of a page as rows of cell texts; `sections` maps each section's heading
    (its first <h2> or <h3> text) to the tables inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.heading: str | None = None
        self.in_heading = False
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.heading = ""
        elif tag in ("h2", "h3") and self.heading == "":
            self.in_heading = True
        elif tag == "table":
            self.tables.append([])
            self.sections.setdefault(self.heading or "", []).append(self.tables[-1])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("h2", "h3"):
            self.in_heading = False
        elif tag in ("td", "th") and self.cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)
        if self.in_heading:
            self.heading = (self.heading + data).split("\n")[0].strip()


def parse(page: str) -> Tables:
    parser = Tables()
    parser.feed(re.sub(r"<svg.*?</svg>", "", page, flags=re.S))
    return parser


def check_rows(page: str) -> list[dict[str, str]]:
    """The rows of the per-table check lists, by column header."""
    rows = []
    for table in parse(page).tables:
        if table and table[0][:2] == ["check", "status"]:
            rows += [dict(zip(table[0], row, strict=True)) for row in table[1:]]
    return rows


def number(cell: str) -> int:
    return int(cell.split()[0].replace(",", ""))


def main_content(page: str) -> str:
    return page[page.index("<main>") + len("<main>") : page.index("</main>")].lstrip()


def section_of(page: str, asset: str) -> str:
    start = page.index(f'<section class="table"><h3>{asset}\n')
    return page[start : page.index("</section>", start)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality-report")
    landing = root / "landing"
    simulate(landing, customers=300, days=30, seed=11, noise_rate=0.05)
    deliver({"BINESH_LANDING_DIR": str(landing)}, [85, 90, 100, 70, 40, 95, 60, 88, 77, 99])
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table in LANDING_TABLES:
        load_table(con, landing, table)
    run_suites(con, quality_suites("raw"), run_id="nightly-1")
    first = build_quality_report(con, root / "first", "nightly-1").read_text(encoding="utf-8")
    run_suites(
        con, quality_suites("raw"), run_id="nightly-2"
    )  # the blocked increment is judged again
    second = build_quality_report(con, root / "second", "nightly-2").read_text(encoding="utf-8")
    yield root, first, second
    con.close()


def test_the_page_opens_with_the_blocking_failure_and_its_way_out(warehouse):
    root, first, second = warehouse
    for page in (first, second):
        content = main_content(page)
        assert content.startswith('<section id="attention"'), content[:300]
        block = content[: content.index("</section>")]
        assert "<h2>Needs attention</h2>" in block
        [attention] = parse(block).tables
        header, *items = attention
        assert header == ["status", "table", "check", "failing", "what to do"]
        # the blocking failure first, with its failing count, the file and the real CLI syntax
        status, table, check, failing, todo = items[0]
        assert (status, table) == ("blocks the run", BLOCKING_CHECK[0])
        assert check.startswith(BLOCKING_CHECK[1]) and number(failing) == 10
        assert f"re-deliver {BAD_FILE}" in todo
        assert f'binesh accept {" ".join(BLOCKING_CHECK)} --reason "…"' in todo
        assert all(item[0] != "blocks the run" for item in items[1:])
        assert all(item[0] == "warned" for item in items[1:]), items
    # the first run quarantined impossible values: those warnings link their table's CSV
    [attention] = parse(first).sections["Needs attention"]
    quarantines = [item for item in attention if re.search(r"\d rows? quarantined;", item[4])]
    assert quarantines and all(item[0] == "warned" for item in quarantines)
    links = re.findall(r'Review them in\s+<a href="(quarantine/\w+\.csv)">', first)
    assert len(links) == len(quarantines)
    assert all((root / "first" / link).is_file() for link in links)


def test_no_rule_reads_passed_while_it_found_failing_rows(warehouse):
    _, first, _ = warehouse
    rows = check_rows(first)
    assert rows
    failing = [row for row in rows if number(row["failing"]) > 0]
    assert failing and all(row["status"] != "passed" for row in failing), failing
    tolerated = [row for row in failing if row["status"].startswith("passed")]
    assert tolerated, "the noisy simulation passes some rule within its tolerance"
    for row in tolerated:
        count = number(row["failing"])
        assert re.fullmatch(
            rf"passed within tolerance · {count:,} rows? (failing|quarantined)", row["status"]
        )
    # a pass within tolerance has a badge colour of its own, and so has its table
    assert '<span class="badge tolerated">passed within tolerance · ' in first
    birth = section_of(first, "raw.ecommerce__customers")
    assert re.search(r'<span class="badge \w+">\d+ / \d+ passed · 1 within tolerance', birth)
    assert '<span class="badge passed">' not in birth.split("</h3>")[0]


def test_each_table_with_failing_rows_has_a_matplotlib_chart_with_labelled_axes(warehouse):
    _, _, second = warehouse
    chart = section_of(second, BLOCKING_CHECK[0])
    [svg] = re.findall(r"<svg.*?</svg>", chart, flags=re.S)
    assert "Matplotlib" in svg and 'class="chart"' in svg
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "failing rows" in texts and "run (started, UTC)" in texts
    assert "blocked the run" in texts  # the legend
    assert "<rect" not in chart.split("<svg")[0]  # nothing hand-drawn beside it
    # one column per run, each labelled with its date and time
    assert sum(bool(re.fullmatch(r"[A-Z][a-z]{2} \d{2}", text)) for text in texts) == 2
    # a table without failing rows in its history gets no chart, and the page says so
    assert "<svg" not in section_of(second, "raw.crm__contacts")
    assert "drawn only for the tables with failing\nrows" in second


def test_the_run_id_is_light_text_on_the_dark_header(warehouse):
    _, _, second = warehouse
    assert '<p>Run <span class="run">nightly-2</span>' in second
    style = re.search(r"header \.run\{([^}]*)\}", second).group(1)
    assert "color:#fff" in style


@pytest.fixture(scope="module")
def clean_page(tmp_path_factory) -> str:
    """Orders alone, without noise: every check passes clean."""
    root = tmp_path_factory.mktemp("quality-report-clean")
    simulate(root / "landing", customers=100, days=10, seed=3, noise_rate=0)
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        tables = ("ecommerce__orders", "ecommerce__order_items", "ecommerce__products")
        for table in LANDING_TABLES:
            if f"{table.source}__{table.name}" in tables:
                load_table(con, root / "landing", table)
        run_suites(con, [s for s in quality_suites("raw") if s.table in tables], run_id="clean")
        return build_quality_report(con, root / "report", "clean").read_text(encoding="utf-8")


def test_when_nothing_blocks_or_warns_the_page_says_so_in_one_line(clean_page):
    content = main_content(clean_page)
    block = content[: content.index("</section>")]
    assert block.startswith('<section id="attention"')
    assert re.sub(r"<[^>]+>|\s+", " ", block).split() == (
        "Nothing blocks the nightly run; no warnings.".split()
    )
    assert all(row["status"] == "passed" for row in check_rows(clean_page))


def test_every_word_of_the_report_is_spelled_right(warehouse, clean_page):
    _, first, second = warehouse
    for page in (first, second, clean_page):
        assert not misspelled(page)
