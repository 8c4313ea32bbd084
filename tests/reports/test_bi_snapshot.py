"""Publishing the BI snapshot (reports/bi_snapshot.py) from a small warehouse made here: what it
carries, the atomic swap, and a failed publication that leaves the previous snapshot alone.
tests/integration/test_bi_access.py reads it with DuckDB 1.4 while a real run writes."""

import os
import subprocess
from pathlib import Path

import duckdb
import pytest

from reports.bi_snapshot import DATABASE_FILE, PARQUET_LINK, publish_bi_snapshot
from tests.tools import duckdb_14_python

# The public marts of the warehouse below, as the asset reads them from dbt's manifest;
# features.customer_features is not one of them (an ML input, no contract).
MARTS = ["dim_customers", "kpi_daily"]


@pytest.fixture
def warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    """A warehouse with a table of each kind the snapshot must carry or leave out."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    for schema in ("raw", "marts", "features", "ml", "audit"):
        con.execute(f"create schema {schema}")
    con.execute("create table raw.ecommerce__orders as select range as order_id from range(5)")
    con.execute(
        "create table marts.kpi_daily as select date '2025-01-01' + range::int as kpi_date, "
        "range * 10.0 as revenue from range(30)"
    )
    con.execute("create table marts.dim_customers as select 'c1' as customer_id, 'a@b.c' as email")
    con.execute(
        "create table features.customer_features as select 'c1' as customer_id, 3 as orders"
    )
    con.execute("create table ml.churn_predictions as select 'c1' as customer_id, 0.2 as churn")
    con.execute("create table audit.load_log as select 'orders/1.csv' as source_file")
    con.execute("create table audit.quarantine as select 'bad row' as reason")
    yield con
    con.close()


def test_it_carries_public_marts_ml_and_load_log_but_no_personal_data(warehouse, tmp_path):
    snapshot = publish_bi_snapshot(warehouse, tmp_path / "bi", MARTS)

    assert snapshot.tables == {
        "audit.load_log": 1,
        "marts.kpi_daily": 30,
        "ml.churn_predictions": 1,
    }
    with duckdb.connect(str(snapshot.database), read_only=True) as bi:
        tables = bi.execute(
            "select schema_name || '.' || table_name from duckdb_tables() order by 1"
        ).fetchall()
        contents = bi.execute(
            "select schema_name || '.' || table_name, row_count from main.snapshot_tables"
        ).fetchall()
    assert [name for (name,) in tables] == sorted([*snapshot.tables, "main.snapshot_tables"])
    assert dict(contents) == snapshot.tables
    parquet = {
        str(path.relative_to(snapshot.parquet)): duckdb.sql(
            f"select count(*) from '{path}'"
        ).fetchall()[0][0]
        for path in snapshot.parquet.rglob("*.parquet")
    }
    assert parquet == {
        "audit/load_log.parquet": 1,
        "marts/kpi_daily.parquet": 30,
        "ml/churn_predictions.parquet": 1,
        "snapshot_tables.parquet": 3,
    }


def test_duckdb_14_opens_the_snapshot_but_not_the_warehouse(warehouse, tmp_path):
    snapshot = publish_bi_snapshot(warehouse, tmp_path / "bi", MARTS)
    # The file header's storage number: 64 is what DuckDB 0.10 to 1.1 write and every 1.x reads.
    header = snapshot.database.read_bytes()[:20]
    assert header[8:12] == b"DUCK" and int.from_bytes(header[12:20], "little") == 64
    python = duckdb_14_python()
    read = subprocess.run(
        [
            python,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            "print(duckdb.__version__, con.execute('select sum(revenue) from marts.kpi_daily')"
            ".fetchone()[0])",
            str(snapshot.database),
        ],
        capture_output=True,
        text=True,
    )
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == [read.stdout.split()[0], "4350.0"]
    assert read.stdout.startswith("1.4.")

    warehouse.close()  # the 1.4 client must fail on the file's format, not on our lock
    refused = subprocess.run(
        [python, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1], read_only=True)"]
        + [str(tmp_path / "warehouse.duckdb")],
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "database file with version number" in refused.stderr


def test_a_reader_keeps_its_snapshot_and_the_next_reader_gets_the_new_one(warehouse, tmp_path):
    directory = tmp_path / "bi"
    first = publish_bi_snapshot(warehouse, directory, MARTS)
    reader = duckdb.connect(str(first.database), read_only=True)
    first_parquet = first.parquet.resolve()

    warehouse.execute("insert into marts.kpi_daily values (date '2025-02-01', 1.0)")
    second = publish_bi_snapshot(warehouse, directory, MARTS)
    warehouse.execute("insert into marts.kpi_daily values (date '2025-02-02', 1.0)")
    third = publish_bi_snapshot(warehouse, directory, MARTS)

    # the connection opened before both swaps still reads the file it opened
    assert reader.execute("select count(*) from marts.kpi_daily").fetchone()[0] == 30
    reader.close()
    with duckdb.connect(str(directory / DATABASE_FILE), read_only=True) as fresh:
        assert fresh.execute("select count(*) from marts.kpi_daily").fetchone()[0] == 32
    # the link points at the newest version by a relative name; the one before is kept for
    # readers that resolved the link just before the swap, older ones are removed
    assert os.readlink(directory / PARQUET_LINK) == third.parquet_version.name
    versions = sorted(p.name for p in directory.iterdir() if p.name.startswith("parquet-"))
    assert versions == sorted([second.parquet_version.name, third.parquet_version.name])
    assert not first_parquet.exists()
    assert sorted(p.name for p in directory.iterdir() if not p.name.startswith("parquet-")) == [
        DATABASE_FILE,
        PARQUET_LINK,
    ]


def test_a_failed_publication_leaves_the_previous_snapshot_untouched(warehouse, tmp_path):
    directory = tmp_path / "bi"
    before = publish_bi_snapshot(warehouse, directory, MARTS)
    contents_before = sorted(directory.iterdir())
    database_before = before.database.read_bytes()
    # an ML table the warehouse cannot read (a view over a table dropped since)
    warehouse.execute("create table ml.gone as select 1 as x")
    warehouse.execute("create view ml.broken as select * from ml.gone")
    warehouse.execute("drop table ml.gone")

    with pytest.raises(duckdb.CatalogException, match="gone"):
        publish_bi_snapshot(warehouse, directory, MARTS)

    assert sorted(directory.iterdir()) == contents_before  # no staged files left behind
    assert before.database.read_bytes() == database_before
    assert os.readlink(before.parquet) == before.parquet_version.name
    # the warehouse connection is usable again: nothing attached, no transaction open
    attached = warehouse.execute("select count(*) from duckdb_databases() where not internal")
    assert attached.fetchone()[0] == 1
    warehouse.execute("drop view ml.broken")
    assert publish_bi_snapshot(warehouse, directory, MARTS).tables == before.tables


def test_a_warehouse_without_its_public_marts_is_refused(warehouse, tmp_path):
    with pytest.raises(ValueError, match="missing from the warehouse: marts.kpi_monthly"):
        publish_bi_snapshot(warehouse, tmp_path / "bi", [*MARTS, "kpi_monthly"])
    with pytest.raises(ValueError, match="no public marts"):
        publish_bi_snapshot(warehouse, tmp_path / "bi", ["dim_customers"])
    assert not (tmp_path / "bi").exists()


def test_a_parquet_folder_in_place_of_the_link_is_refused(warehouse, tmp_path):
    (tmp_path / "bi" / PARQUET_LINK).mkdir(parents=True)
    with pytest.raises(FileExistsError, match="symbolic link"):
        publish_bi_snapshot(warehouse, tmp_path / "bi", MARTS)
    assert sorted(p.name for p in (tmp_path / "bi").iterdir()) == [PARQUET_LINK]


def test_paths_with_quotes_are_written_safely(warehouse, tmp_path):
    snapshot = publish_bi_snapshot(warehouse, tmp_path / "it's BI", MARTS)
    assert snapshot.database.is_file()
    assert Path(snapshot.parquet, "marts", "kpi_daily.parquet").is_file()
