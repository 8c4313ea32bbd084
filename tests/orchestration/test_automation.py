"""The landing sensor asks for a build exactly when the landing zone changes, and on its first
tick only when the landing zone differs from what the warehouse has loaded."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.automation import LANDING_CHANGES_TAG, landing_zone_sensor
from orchestration.resources import LandingZone, Warehouse
from sources.contract import LANDING_TABLES
from sources.landing import landing_fingerprint
from sources.loader import load_table
from sources.simulator import simulate


def evaluate(landing: Path, cursor: str | None, warehouse: Path):
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={
            "landing": LandingZone(path=str(landing)),
            "warehouse": Warehouse(database=str(warehouse)),
        },
    )
    return landing_zone_sensor(context), context.cursor


def test_the_sensor_runs_on_new_changed_and_removed_files_and_skips_otherwise(tmp_path):
    landing = tmp_path / "landing"
    warehouse = tmp_path / "warehouse.duckdb"  # never built
    orders = landing / "ecommerce" / "orders"
    orders.mkdir(parents=True)
    (orders / "2025-01-01.csv").write_text("order_id\n1\n")

    first, cursor = evaluate(landing, None, warehouse)
    assert isinstance(first, dg.RunRequest) and first.run_key == cursor

    unchanged, same_cursor = evaluate(landing, cursor, warehouse)
    assert isinstance(unchanged, dg.SkipReason) and same_cursor == cursor

    (orders / "2025-01-02.csv").write_text("order_id\n2\n")
    added, cursor_after_add = evaluate(landing, cursor, warehouse)
    assert isinstance(added, dg.RunRequest) and cursor_after_add != cursor

    (orders / "2025-01-02.csv").write_text("order_id\n2\n3\n")
    changed, cursor_after_change = evaluate(landing, cursor_after_add, warehouse)
    assert isinstance(changed, dg.RunRequest) and cursor_after_change != cursor_after_add

    (orders / "2025-01-02.csv").unlink()
    removed, _ = evaluate(landing, cursor_after_change, warehouse)
    assert isinstance(removed, dg.RunRequest)


def test_the_fingerprint_ignores_truth_and_hidden_files(tmp_path):
    (tmp_path / "crm" / "contacts").mkdir(parents=True)
    before = landing_fingerprint(tmp_path)
    (tmp_path / "_truth").mkdir()
    (tmp_path / "_truth" / "persons.csv").write_text("person_id\n1\n")
    (tmp_path / "crm" / "contacts" / ".upload.csv.tmp").write_text("partial")
    assert landing_fingerprint(tmp_path) == before
    assert landing_fingerprint(tmp_path / "missing") == landing_fingerprint(tmp_path / "gone")


@pytest.fixture
def built(tmp_path) -> tuple[Path, Path]:
    """A small simulated landing zone, every file of it loaded into a warehouse."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    simulate(landing, customers=20, days=3)
    with duckdb.connect(str(warehouse)) as con:
        for table in LANDING_TABLES:
            load_table(con, landing, table)
    return landing, warehouse


def test_a_first_tick_on_a_built_warehouse_starts_nothing(built):
    landing, warehouse = built
    first, cursor = evaluate(landing, None, warehouse)
    assert isinstance(first, dg.SkipReason), first
    assert "already holds every landing file" in first.skip_message
    assert cursor == landing_fingerprint(landing)

    # later ticks go by the fingerprint, as before
    again, same_cursor = evaluate(landing, cursor, warehouse)
    assert isinstance(again, dg.SkipReason) and same_cursor == cursor
    (landing / "ecommerce" / "orders" / "2025-01-03.csv").write_text("order_id\nORD-9\n")
    added, new_cursor = evaluate(landing, cursor, warehouse)
    assert isinstance(added, dg.RunRequest) and new_cursor == added.run_key != cursor


def test_a_first_tick_runs_when_files_arrived_or_left_since_the_last_load(built):
    landing, warehouse = built
    (landing / "ecommerce" / "orders" / "2025-01-03.csv").write_text("order_id\nORD-9\n")
    (landing / "web" / "events" / "2025-01-03.parquet").unlink()

    first, cursor = evaluate(landing, None, warehouse)
    assert isinstance(first, dg.RunRequest), first
    assert first.run_key == cursor == landing_fingerprint(landing)
    assert first.tags[LANDING_CHANGES_TAG] == "1 file(s) new or changed, 1 removed"


def test_a_first_tick_runs_when_the_warehouse_has_loaded_nothing(built, tmp_path):
    landing, _ = built
    missing = tmp_path / "missing.duckdb"
    first, cursor = evaluate(landing, None, missing)
    assert isinstance(first, dg.RunRequest) and first.run_key == cursor
    assert not missing.exists()  # the sensor does not create the warehouse

    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()  # a DuckDB file without a load log
    first, cursor = evaluate(landing, None, empty)
    assert isinstance(first, dg.RunRequest) and first.run_key == cursor


def test_a_first_tick_looks_again_later_while_another_process_writes_the_warehouse(built):
    landing, warehouse = built
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "print('open', flush=True)\n"
            "time.sleep(60)\n",
            str(warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "open"
        first, cursor = evaluate(landing, None, warehouse)
    finally:
        writer.kill()
        writer.wait()
    assert isinstance(first, dg.SkipReason), first
    assert "will look again next tick" in first.skip_message
    assert cursor is None

    # once the writer is gone, the next tick compares
    second, cursor = evaluate(landing, None, warehouse)
    assert isinstance(second, dg.SkipReason) and cursor == landing_fingerprint(landing)
