"""What a run publishes for BI tools and readers of the docs, on the pipeline of test_pipeline.py
(`binesh simulate`, `binesh run`): the BI snapshot, read by a DuckDB 1.4 client (as BI drivers
embed it) while the next run writes the warehouse, and the dbt docs site."""

import json
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

from reports.bi_snapshot import DATABASE_FILE, PERSONAL_DATA_TABLES
from reports.contract import public_marts
from reports.dbt_docs import undocumented_columns
from reports.locations import bi_directory, dbt_docs_directory
from tests.integration import test_pipeline
from tests.integration.test_customer_360 import PII_COLUMNS
from tests.tools import duckdb_14_python, run_binesh, stop_process_group

pytestmark = pytest.mark.integration

# The small simulated business of test_pipeline.py, built once for this module.
env = test_pipeline.env
built = test_pipeline.built

READER = Path(__file__).with_name("bi_reader.py")


@pytest.fixture(scope="module")
def warehouse(env, built) -> Path:
    return Path(env["BINESH_WAREHOUSE"])


@pytest.fixture(scope="module")
def docs_manifest(warehouse) -> dict:
    return json.loads((dbt_docs_directory(warehouse) / "manifest.json").read_text())


def test_the_snapshot_holds_the_public_marts_ml_and_audit_but_no_personal_data(
    warehouse, docs_manifest
):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select schema_name || '.' || table_name from duckdb_tables()"
            ).fetchall()
        }
    expected = {f"marts.{name}" for name in public_marts(docs_manifest)}
    expected -= set(PERSONAL_DATA_TABLES)
    expected |= {name for name in present if name.startswith("ml.")}
    expected |= {"audit.load_log"} | ({"audit.quality_results"} & present)

    with duckdb.connect(str(bi_directory(warehouse) / DATABASE_FILE), read_only=True) as bi:
        contents = dict(
            bi.execute(
                "select schema_name || '.' || table_name, row_count from snapshot_tables"
            ).fetchall()
        )
        columns = {
            column
            for (column,) in bi.execute("select column_name from duckdb_columns()").fetchall()
        }
    assert set(contents) == expected
    assert contents["marts.customer_360"] > 0 and contents["marts.kpi_daily"] > 0
    assert not columns & PII_COLUMNS


def test_the_docs_site_describes_every_public_mart_column_of_the_built_warehouse(
    warehouse, docs_manifest
):
    docs = dbt_docs_directory(warehouse)
    catalog = json.loads((docs / "catalog.json").read_text())
    assert undocumented_columns(docs_manifest, catalog) == []
    assert {"exposure.binesh.insight_report", "exposure.binesh.marketing_dashboard"} <= set(
        docs_manifest["exposures"]
    )
    page = (docs / "index.html").read_text()
    assert "customer_360" in page
    # opens offline: no script, style sheet, image or frame from the network
    assert not re.findall(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"']?https?:", page)


@pytest.fixture(scope="module")
def reads_during_a_run(env, built, tmp_path_factory) -> tuple[dict[str, list[dict]], str]:
    """The rounds of a fresh-connection reader and a held-connection reader, from before a
    second `binesh run --full` starts until after it ended, and that run's output."""
    stop = tmp_path_factory.mktemp("bi_reader") / "stop"
    bi = bi_directory(Path(env["BINESH_WAREHOUSE"]))
    readers = {
        mode: subprocess.Popen(
            [duckdb_14_python(), str(READER), mode, str(bi), str(stop)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        for mode in ("fresh", "held")
    }
    output: dict[str, str] = {}
    try:
        # a first round of each before the run starts: the snapshot as it was
        first_rounds = {mode: reader.stdout.readline() for mode, reader in readers.items()}
        run = run_binesh(env, "run", "--full")  # nothing new landed: rebuild anyway
        stop.touch()
        for mode, reader in readers.items():
            later_rounds, errors = reader.communicate(timeout=120)
            output[mode] = first_rounds[mode] + later_rounds
            assert reader.returncode == 0, f"the {mode} reader failed:\n{output[mode]}{errors}"
    finally:
        for reader in readers.values():
            stop_process_group(reader, grace_seconds=5)
    assert run.returncode == 0, f"the run failed beside the readers:\n{run.stdout}\n{run.stderr}"
    rounds = {
        mode: [json.loads(line) for line in text.splitlines()] for mode, text in output.items()
    }
    return rounds, run.stdout


def test_duckdb_14_reads_consistent_snapshots_while_a_run_writes(reads_during_a_run):
    rounds, _ = reads_during_a_run
    readings = [
        (mode, number, way, reading[way])
        for mode, mode_rounds in rounds.items()
        for number, reading in enumerate(mode_rounds)
        for way in reading
    ]
    assert {(mode, way) for mode, _, way, _ in readings} == {
        ("fresh", "database"),
        ("fresh", "parquet"),
        ("held", "database"),
    }
    tables = rounds["fresh"][0]["database"]["tables"]
    for mode, number, way, reading in readings:
        assert reading["mismatched"] == [] and reading["tables"] == tables, (mode, number, way)

    fresh = rounds["fresh"]
    before, after = fresh[0]["database"]["published_at"], fresh[-1]["database"]["published_at"]
    assert after > before  # the run published a new snapshot ...
    for way in ("database", "parquet"):  # ... which new readers see from the swap on, for good
        seen = [reading[way]["published_at"] for reading in fresh]
        assert seen == sorted(seen) and set(seen) == {before, after}, way
    # a connection held across the swap keeps reading the snapshot it opened
    assert {reading["database"]["published_at"] for reading in rounds["held"]} == {before}


def test_the_run_says_where_the_snapshot_and_the_docs_are(env, reads_during_a_run):
    _, output = reads_during_a_run
    warehouse = Path(env["BINESH_WAREHOUSE"])
    assert f"BI snapshot      {bi_directory(warehouse) / DATABASE_FILE}" in output
    assert f"dbt docs         {dbt_docs_directory(warehouse) / 'index.html'}" in output
