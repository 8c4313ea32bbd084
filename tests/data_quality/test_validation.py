"""The raw suites on a simulated business and on increments made to fail: what is quarantined,
what blocks, what is validated again, and what audit.quality_results and the report record."""

import json
import re
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from data_quality.checks import Check, Suite
from data_quality.expectations import gx_suite, validate_chunk, with_nanosecond_timestamps
from data_quality.quarantine import summarise_quarantine
from data_quality.report import build_quality_report
from data_quality.suites import quality_suites
from data_quality.thresholds import Thresholds
from data_quality.validation import run_suites
from orchestration.cli import main
from sources.contract import LANDING_TABLES, landing_table
from sources.loader import load_table
from sources.simulator import simulate

# Defects the simulator injects that only the quality rules can see (the loader types them fine).
RANGE_COLUMNS_QUARANTINED = (
    "amount", "discount_amount", "quantity", "unit_price", "price", "csat_score",
    "queue_seconds", "score", "rating",
)  # fmt: skip


def suite_of(table: str):
    return [s for s in quality_suites("raw") if s.table == table]


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    root = tmp_path_factory.mktemp("quality-simulated")
    landing = root / "landing"
    simulate(landing, customers=400, days=40, seed=11, noise_rate=0.05)
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    for table in LANDING_TABLES:
        load_table(con, landing, table)
    outcomes = run_suites(con, quality_suites("raw"), run_id="first")
    con.execute(
        f"create temp view noise as select * from read_csv('{landing}/_truth/noise.csv', "
        "all_varchar = true)"
    )
    yield con, outcomes, root
    con.close()


def test_noisy_simulation_passes_raw_checks_without_blocking(simulated):
    _, outcomes, _ = simulated
    assert [o.message for o in outcomes if o.severity == "error"] == []
    assert {o.check.name for o in outcomes} >= {"amount_not_negative", "nps_score_in_range"}


def test_every_out_of_range_defect_is_quarantined_at_its_file_and_row(simulated):
    con, _, _ = simulated
    missed = con.execute(
        f"""
        select noise.file, noise.row, noise.detail from noise
        anti join audit.quarantine as q
            on q.source_file = noise.file and q.source_row = noise.row::bigint
        where noise.kind = 'out_of_range'
            and split_part(noise.detail, '=', 1) in {RANGE_COLUMNS_QUARANTINED}
            -- "-0.00" is the simulator negating a zero: a valid amount
            and trim(split_part(noise.detail, '=', 2), '''') not like '-0.0%'
        """
    ).fetchall()
    assert missed == []
    quarantined_by_rules = con.execute(
        "select count(*) from audit.quarantine where reason like '% fails %'"
    ).fetchone()[0]
    assert quarantined_by_rules > 0


def test_accounting_holds_after_quality_quarantine(simulated):
    con, _, _ = simulated
    unbalanced = con.execute(
        "select count(*) from audit.load_log where rows_landed <> rows_loaded + rows_quarantined"
    ).fetchone()[0]
    assert unbalanced == 0
    raw_rows = sum(
        con.execute(f"select count(*) from raw.{t.qualified_name}").fetchone()[0]
        for t in LANDING_TABLES
    )
    loaded = con.execute(
        "select sum(rows_loaded) from audit.load_log where superseded_at is null"
    ).fetchone()[0]
    assert raw_rows == loaded


def test_results_are_recorded_per_check_and_the_next_run_checks_only_new_rows(simulated):
    con, outcomes, _ = simulated
    recorded = con.execute(
        "select count(*) from audit.quality_results where run_id = 'first'"
    ).fetchone()[0]
    assert recorded == len(outcomes)
    again = run_suites(con, quality_suites("raw"), run_id="second")
    assert sum(o.rows_checked for o in again if o.check.frame == "rows") == 0
    assert all(o.success for o in again if o.check.frame == "rows")


def test_the_report_is_one_offline_page_with_the_quarantine(simulated):
    con, _, root = simulated
    latest = build_quality_report(con, root / "reports" / "quality", "first")
    page = latest.read_text(encoding="utf-8")
    # nothing fetched: no scripts, no external stylesheets, images or links (data may hold URLs);
    # url(#id) is a chart's reference to its own clip path, inside the page
    assert "<script" not in page and not re.search(r"url\((?!#)", page) and "@import" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "raw.ecommerce__orders" in page and "amount_not_negative" in page
    assert "<svg" in page and "<style>" in page
    summary = summarise_quarantine(con)
    for entry in summary.by_table:
        assert f'href="quarantine/{entry["table"]}.csv"' in page
        assert (latest.parent / "quarantine" / f"{entry['table']}.csv").exists()
    assert (latest.parent / "runs" / "first.html").read_text(encoding="utf-8") == page


def test_binesh_quarantine_summarises_by_table_file_and_rule(simulated, capsys, tmp_path):
    con, _, root = simulated
    [(expected,)] = con.execute(  # what `binesh status` shows: the load log's own accounting
        "select sum(rows_quarantined) from audit.load_log where superseded_at is null"
    ).fetchall()
    assert expected > 0
    con.execute("checkpoint")
    copy = tmp_path / "copy.duckdb"  # the CLI opens a warehouse read-only, in its own right
    shutil.copy(root / "warehouse.duckdb", copy)
    assert main(["quarantine", "--json", "--warehouse", str(copy)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == expected
    assert sum(t["rows"] for t in summary["by_table"]) == expected
    assert main(["quarantine", "--table", "ecommerce__orders", "--warehouse", str(copy)]) == 0
    text = capsys.readouterr().out
    assert "ecommerce__orders" in text and "web__events" not in text


def test_chunks_of_seven_rows_find_what_one_chunk_finds(simulated, tmp_path):
    """Bad rows planted in several chunks, and keys of the first rows copied into the last (chunks
    apart), give the counts, messages and quarantine the whole increment gives in one chunk."""
    _, _, root = simulated
    tables = ["ecommerce__orders", "ecommerce__order_items", "surveys__responses"]
    frame_order = "row_number() over (order by _load_id, _source_row) - 1"
    with duckdb.connect(str(tmp_path / "one.duckdb")) as con:
        for table in tables:
            load_table(con, root / "landing", landing_table(table))
        for table, bad, positions in (
            ("ecommerce__orders", "amount = -1", "2, 9, 30"),
            ("ecommerce__order_items", "quantity = 0", "5, 40"),
        ):
            con.execute(
                f"""
                update raw.{table} set {bad} where (_load_id, _source_row) in (
                    select (_load_id, _source_row) from raw.{table}
                    qualify {frame_order} in ({positions}))
                """
            )
        for table, key in (
            ("ecommerce__orders", ["order_id"]),
            ("ecommerce__order_items", ["order_id", "product_id"]),
        ):
            con.execute(
                f"""
                update raw.{table} as copy
                set {", ".join(f"{c} = first.{c}" for c in key)}
                from (select * from raw.{table} qualify {frame_order} = 0) as first
                where (copy._load_id, copy._source_row) in (
                    select (_load_id, _source_row) from raw.{table}
                    order by _load_id desc, _source_row desc limit 1)
                """
            )
        [first_order] = con.execute(
            "select order_id from raw.ecommerce__orders qualify " + frame_order + " = 0"
        ).fetchone()
    shutil.copy(tmp_path / "one.duckdb", tmp_path / "chunks.duckdb")

    suites = [suite for suite in quality_suites("raw") if suite.table in tables]
    found = {}
    for name, rows in (("one", 1_000_000), ("chunks", 7)):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            outcomes = run_suites(con, suites, "a", Thresholds(validation_chunk_rows=rows))
            quarantined = con.execute(
                "select source_table, source_file, source_row, reason from audit.quarantine "
                "order by all"
            ).fetchall()
        found[name] = outcomes, quarantined
    assert found["chunks"] == found["one"]

    outcomes, quarantined = found["chunks"]
    checks = {(o.asset, o.check.name): o for o in outcomes}
    assert checks["raw.ecommerce__orders", "amount_not_negative"].quarantined_count >= 3
    assert sum('amount: "-1" fails' in reason for *_, reason in quarantined) == 3
    assert checks["raw.ecommerce__order_items", "quantity_positive"].quarantined_count >= 2
    assert checks["raw.ecommerce__orders", "amount_not_negative"].rows_checked > 100
    # the first row and its copy in the last row are found, though 7-row chunks lie between
    unique = checks["raw.ecommerce__orders", "order_id_unique"]
    assert unique.failing_count >= 2 and f'order_id="{first_order}"' in unique.samples[0]
    compound = checks["raw.ecommerce__order_items", "order_id_product_id_unique"]
    assert compound.failing_count >= 2 and "order_id=" in compound.samples[0]


def land(landing: Path, relative: str, text: str) -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_systemic_failure_blocks_until_the_file_is_redelivered(tmp_path):
    landing, table = tmp_path / "landing", landing_table("surveys__responses")
    header = "response_id,submitted_at,survey_type,score\n"
    rows = "".join(f"r{i},2025-01-01T10:00:00Z,nps,{s}\n" for i, s in enumerate(range(70, 100, 3)))
    land(landing, "surveys/responses/day1.csv", header + rows)  # an NPS on a 0-100 scale
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_table(con, landing, table)
        [blocked] = [o for o in run_suites(con, suite_of(table.qualified_name), "a") if o.severity]
        assert blocked.check.name == "nps_score_in_range" and blocked.severity == "error"
        assert "raw.surveys__responses" in blocked.message and "score=" in blocked.samples[0]
        assert con.execute("select count(*) from audit.quarantine").fetchone()[0] == 0

        # nothing changed: the same increment is checked again and blocks again
        [again] = [o for o in run_suites(con, suite_of(table.qualified_name), "b") if o.severity]
        assert again.severity == "error" and again.rows_checked == 10

        # the source fixes its export: the re-delivery replaces the rows and passes
        fixed = "".join(f"r{i},2025-01-01T10:00:00Z,nps,{i}\n" for i in range(10))
        land(landing, "surveys/responses/day1.csv", header + fixed)
        load_table(con, landing, table)
        outcomes = run_suites(con, suite_of(table.qualified_name), "c")
        assert [o for o in outcomes if o.severity == "error"] == []
        assert con.execute("select count(*) from raw.surveys__responses").fetchone()[0] == 10


def test_a_redelivered_file_replaces_its_quarantined_rows(tmp_path):
    landing, table = tmp_path / "landing", landing_table("ecommerce__orders")
    header = "order_id,customer_id,ordered_at,amount\n"
    land(landing, "ecommerce/orders/d1.csv", header + "o1,c1,2025-01-01,5\no2,c2,2025-01-01,-5\n")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_table(con, landing, table)
        run_suites(con, suite_of(table.qualified_name), "a")
        assert con.execute("select source_row from audit.quarantine").fetchall() == [(2,)]
        land(
            landing, "ecommerce/orders/d1.csv", header + "o1,c1,2025-01-01,5\no2,c2,2025-01-01,5\n"
        )
        load_table(con, landing, table)
        run_suites(con, suite_of(table.qualified_name), "b")
        assert con.execute("select count(*) from audit.quarantine").fetchone()[0] == 0
        assert con.execute("select count(*) from raw.ecommerce__orders").fetchone()[0] == 2


def test_a_small_file_warns_and_a_collapsed_source_blocks_naming_the_file(tmp_path):
    """One small daily file is a quiet day (warns); a differently named late file is judged
    against its own pattern (none yet); three small daily files in a row are a collapse."""
    landing, table = tmp_path / "landing", landing_table("web__events")
    header = "event_id,occurred_at,event_type\n"

    def day(n: int, rows: int) -> str:
        return header + "".join(
            f"e{n}-{i},2025-01-{n:02d}T10:00:00Z,page_view\n" for i in range(rows)
        )

    def volume_outcomes(run_id: str) -> dict:
        load_table(con, landing, table)
        outcomes = run_suites(con, suite_of(table.qualified_name), run_id)
        return {o.check.name: o for o in outcomes if o.check.frame == "files"}

    for n in range(1, 9):
        land(landing, f"web/events/2025-01-{n:02d}.csv", day(n, 40))
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        first = volume_outcomes("a")
        assert first["file_volume"].observed_value == "no files to judge yet"

        land(landing, "web/events/2025-01-09.csv", day(9, 2))
        land(landing, "web/events/late-2025-01-08.csv", day(8, 1))
        quiet = volume_outcomes("b")
        assert quiet["file_volume"].severity == "warn"
        assert quiet["file_volume"].failing_count == 1  # the late file has no baseline of its own
        assert "web/events/2025-01-09.csv (2 rows)" in quiet["file_volume"].samples[0]
        assert quiet["volume_collapse"].success

        land(landing, "web/events/2025-01-10.csv", day(10, 3))
        land(landing, "web/events/2025-01-11.csv", day(11, 1))
        collapsed = volume_outcomes("c")
    assert collapsed["volume_collapse"].severity == "error"
    assert collapsed["volume_collapse"].failing_count == 1
    assert "web/events/2025-01-11.csv (1 rows)" in collapsed["volume_collapse"].samples[0]


@pytest.mark.parametrize(("unknown", "blocks"), [(3, False), (8, True)])
def test_a_share_rule_judges_only_more_failing_rows_than_its_tolerance(tmp_path, unknown, blocks):
    """3 unknown event types of 20 are 15 % but three stray rows; 8 are a changed source."""
    landing, table = tmp_path / "landing", landing_table("web__events")
    header = "event_id,occurred_at,event_type\n"
    kinds = ["tap"] * unknown + ["page_view"] * (20 - unknown)
    rows = "".join(f"e{i},2025-01-01T10:00:00Z,{kind}\n" for i, kind in enumerate(kinds))
    land(landing, "web/events/2025-01-01.csv", header + rows)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_table(con, landing, table)
        [known] = [
            o
            for o in run_suites(con, suite_of(table.qualified_name), "a")
            if o.check.name == "event_type_known"
        ]
    assert known.failing_count == unknown
    assert (known.severity == "error") is blocks
    assert ("within tolerance" in known.message) is not blocks


def test_a_rule_on_a_table_not_built_yet_warns_and_judges_the_rows_next_time(tmp_path):
    """A run of a selection of assets can check a table whose rules look up one not built."""
    landing, table = tmp_path / "landing", landing_table("ecommerce__orders")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        outcomes = run_suites(con, suite_of(table.qualified_name), "a")
        assert outcomes
        assert {(o.success, o.severity, o.observed_value) for o in outcomes} == {
            (False, "warn", "not judged")
        }
        assert "not judged: Catalog Error" in outcomes[0].message
        assert con.execute("select count(*) from audit.quality_watermarks").fetchone()[0] == 0

        land(landing, "ecommerce/orders/d1.csv", "order_id,customer_id,ordered_at,amount\n"
             "o1,c1,2025-01-01,5\n")  # fmt: skip
        load_table(con, landing, table)
        outcomes = run_suites(con, suite_of(table.qualified_name), "b")
        assert all(o.observed_value != "not judged" for o in outcomes)
        assert max(o.rows_checked for o in outcomes) == 1
        assert con.execute("select count(*) from audit.quality_watermarks").fetchone()[0] == 1


def test_a_file_that_loaded_nothing_warns_naming_the_file(tmp_path):
    """An unreadable file, an empty one and one whose every row the loader quarantined are each
    a warning of the raw suite, not a line lost in the log."""
    landing, table = tmp_path / "landing", landing_table("web__events")
    header = "event_id,occurred_at,event_type\n"
    land(landing, "web/events/2025-01-01.csv", header + "e1,2025-01-01T10:00:00Z,page_view\n")
    land(landing, "web/events/2025-01-02.csv", header)
    land(landing, "web/events/2025-01-03.csv", header + "e3,not a time,page_view\n")
    (landing / "web/events/2025-01-04.parquet").write_bytes(b"not parquet at all")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_table(con, landing, table)
        [loaded] = [
            o for o in run_suites(con, suite_of(table.qualified_name), "a")
            if o.check.name == "file_loaded"
        ]  # fmt: skip
        [again] = [
            o for o in run_suites(con, suite_of(table.qualified_name), "b")
            if o.check.name == "file_loaded"
        ]  # fmt: skip
        summary = summarise_quarantine(con)
        [(quarantined,)] = con.execute(
            "select sum(rows_quarantined) from audit.load_log where superseded_at is null"
        ).fetchall()
    # the quarantine's count of rows is the load log's; the unreadable file is listed apart
    assert summary.rows == quarantined == 1
    assert [f["file"] for f in summary.unreadable_files] == ["web/events/2025-01-04.parquet"]
    assert (loaded.severity, loaded.rows_checked, loaded.failing_count) == ("warn", 4, 3)
    shown = "\n".join(loaded.samples)
    assert 'outcome="empty' in shown and "2025-01-02.csv (0 rows)" in shown
    assert "every row quarantined" in shown and "2025-01-03.csv (1 rows)" in shown
    assert "unreadable: parquet file could not be read" in shown
    assert again.success and again.observed_value == "no loads to judge yet"  # judged once


def test_timestamps_are_judged_alike_whether_or_not_they_fit_nanoseconds():
    """GX gets timestamps at nanoseconds (vectorised); a placeholder year 9999 does not fit them,
    and that chunk is judged value by value instead: the same verdicts either way."""
    check = Check(
        "ordered_at_plausible",
        "ExpectColumnValuesToBeBetween",
        {
            "column": "ordered_at",
            "min_value": datetime(2020, 1, 1),
            "max_value": datetime(2026, 1, 1),
        },
        "ordered_at is plausible",
        quarantine=True,
    )
    expectations = gx_suite(Suite("raw", "ecommerce__orders", {}, (check,)), [check])
    days = ["2025-03-01", "2031-07-01", None, "2019-12-31 23:59:59", "2025-12-31"]
    with duckdb.connect() as con:
        read = con.execute(
            "select unnest($days)::timestamp as ordered_at, unnest($days) as shown",
            {"days": [*days, "9999-12-31"]},
        ).df()
    assert str(read["ordered_at"].dtype) == "datetime64[us]"  # as DuckDB hands them over
    fits, placeholder = read.iloc[:-1], read
    assert str(with_nanosecond_timestamps(fits)["ordered_at"].dtype) == "datetime64[ns]"
    assert str(with_nanosecond_timestamps(placeholder)["ordered_at"].dtype) == "datetime64[us]"
    for chunk, failing in ((fits, [1, 3]), (placeholder, [1, 3, 5])):
        result = validate_chunk(expectations, chunk)["ordered_at_plausible"]
        assert result["unexpected_index_list"] == failing
        assert result["missing_count"] == 1
