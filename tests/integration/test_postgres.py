"""The `postgres` dbt target, for real: the same small simulation built on DuckDB and on PostgreSQL.

1. `binesh simulate` and `binesh run` build the DuckDB warehouse in tmp_path as `make run` would
   (the loader fills raw; dbt and the Python assets build the rest).
2. targets.postgres copies raw, audit and the Python assets' tables into a PostgreSQL database
   made for this run (and dropped after it).
3. `dbt build --target postgres` runs in-process; every model, test and unit test must pass, and
   every model must agree with its DuckDB twin: row counts, sums of numeric columns, counts of
   distinct values, earliest and latest timestamps. A difference there is SQL that means
   something else on one of the two engines (7/2, string functions, date arithmetic).

Needs a server: BINESH_PG_HOST (and BINESH_PG_PORT/USER/PASSWORD/DBNAME) name it and the user must
be allowed to create databases; `eval "$(bash .ci/postgres.sh)"` starts a local one. Without
BINESH_PG_HOST the tests skip, except under CI (the CI variable set), where they fail.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from sources.contract import LANDING_TABLES
from targets.postgres.connection import PostgresSyncError, connect
from targets.postgres.sync import sync_raw_to_postgres
from tests.tools import (
    binesh,
    binesh_env,
    postgres_database,
    postgres_server,
    postgres_settings,
)

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
MODEL_SCHEMAS = ("staging", "intermediate", "marts", "features")
NUMERIC_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "DOUBLE", "FLOAT")
TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")
OK_STATUSES = {"success", "pass", "warn"}


def failures(statuses: dict[str, str]) -> dict[str, str]:
    """Nodes that did not build or pass; exposures (nothing to build, 'no-op') are not nodes
    that can fail."""
    return {
        node: status
        for node, status in statuses.items()
        if status not in OK_STATUSES and not node.startswith("exposure.")
    }


@pytest.fixture(scope="module")
def pg_dsn() -> Iterator[str]:
    with postgres_database(postgres_server()) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def warehouse(pg_dsn, tmp_path_factory) -> Path:
    """The DuckDB build: simulate, then `binesh run` (loader, dbt and Python assets)."""
    env = binesh_env(tmp_path_factory.mktemp("postgres_portability"))
    binesh(env, "simulate", "--customers", "250", "--days", "45", "--seed", "11")
    binesh(env, "run")
    return Path(env["BINESH_WAREHOUSE"])


@pytest.fixture(scope="module")
def synced(warehouse, pg_dsn) -> dict[str, int]:
    return sync_raw_to_postgres(warehouse, pg_dsn)


@pytest.fixture(scope="module")
def dbt_build(synced, pg_dsn, tmp_path_factory):
    """Runs `dbt build --target postgres` in-process; the status of every node by unique_id."""
    env = postgres_settings(pg_dsn)
    root = tmp_path_factory.mktemp("dbt_postgres")

    def build() -> dict[str, str]:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            result = dbtRunner().invoke(
                [
                    "build",
                    "--target", "postgres",
                    "--project-dir", str(DBT_PROJECT_DIR),
                    "--profiles-dir", str(DBT_PROJECT_DIR),
                    "--target-path", str(root / "target"),
                    "--log-path", str(root / "logs"),
                ]
            )  # fmt: skip
        assert result.exception is None, f"dbt build --target postgres raised: {result.exception}"
        return {node.node.unique_id: str(node.status) for node in result.result.results}

    return build


@pytest.fixture(scope="module")
def dbt_results(dbt_build) -> dict[str, str]:
    """The first build on PostgreSQL: every incremental model is built whole."""
    return dbt_build()


@pytest.fixture(scope="module")
def duck(warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        yield con


@pytest.fixture(scope="module")
def pg(pg_dsn, dbt_results) -> Iterator:
    with session(pg_dsn) as con:
        yield con


def session(dsn: str) -> closing:
    """An autocommit connection that is closed (not just committed) on leaving the block."""
    con = connect(dsn)
    con.autocommit = True
    return closing(con)


def pg_rows(pg, sql: str) -> list[tuple]:
    with pg.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_the_sync_copies_every_raw_table_row_for_row(duck, pg_dsn, synced):
    for table in LANDING_TABLES:
        assert f"raw.{table.qualified_name}" in synced, table.qualified_name
    assert {"audit.load_log", "audit.quarantine", "identity.clusters"} <= set(synced)
    with session(pg_dsn) as pg:
        for name, rows in synced.items():
            schema, table = name.split(".")
            columns = [
                column
                for (column,) in duck.execute(
                    "select column_name from duckdb_columns() "
                    "where schema_name = ? and table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            listed = ", ".join(f'"{column}"' for column in columns)
            sql = f'select {listed} from "{schema}"."{table}"'
            expected = sorted(duck.execute(sql).fetchall(), key=repr)
            assert len(expected) == rows, name
            # every value identical: types, nulls apart from empty strings, text, timestamps
            # (sorted here: the engines' text collations may differ)
            assert sorted(pg_rows(pg, sql), key=repr) == expected, name


def test_raw_columns_get_postgres_types(pg_dsn, synced):
    with session(pg_dsn) as pg:
        types = dict(
            pg_rows(
                pg,
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = 'ecommerce__orders'",
            )
        )
    assert types["order_id"] == "text"
    assert types["amount"] == "double precision"
    assert types["ordered_at"] == "timestamp without time zone"
    assert types["_source_row"] == "bigint"


def test_dbt_build_on_postgres_passes_every_model_and_test(dbt_results):
    failed = failures(dbt_results)
    assert not failed, f"dbt build --target postgres: {failed}"
    assert any(node.startswith("model.binesh.stg_") for node in dbt_results)
    assert any(node.startswith("unit_test.") for node in dbt_results)


def test_staging_row_counts_equal_the_duckdb_build(duck, pg):
    for table in LANDING_TABLES:
        model = f"staging.stg_{table.qualified_name}"
        (expected,) = duck.execute(f"select count(*) from {model}").fetchone()
        assert pg_rows(pg, f"select count(*) from {model}") == [(expected,)], model


def test_every_model_agrees_with_the_duckdb_build(duck, pg, dbt_results):
    differences = model_differences(duck, pg, dbt_results)
    assert not differences, differences


def test_an_incremental_build_on_postgres_passes_and_changes_nothing(duck, pg, dbt_build):
    statuses = dbt_build()  # the incremental models now take their is_incremental() branch
    failed = failures(statuses)
    assert not failed, f"second dbt build --target postgres: {failed}"
    differences = model_differences(duck, pg, statuses)
    assert not differences, differences


def model_differences(duck, pg, statuses: dict[str, str]) -> dict[str, list[str]]:
    """Every model's fingerprint on both engines; what differs, per relation."""
    built = [node.split(".")[-1] for node in statuses if node.startswith("model.")]
    relations = duck.execute(
        "select schema_name, table_name, column_name, data_type from duckdb_columns() "
        "where list_contains(?, schema_name) and list_contains(?, table_name) "
        "order by schema_name, table_name, column_index",
        [list(MODEL_SCHEMAS), built],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, data_type in relations:
        columns.setdefault(f'"{schema}"."{table}"', []).append((column, data_type))
    assert len(columns) == len(built), "every model dbt built on PostgreSQL is in DuckDB too"
    differences = {}
    for relation, table_columns in columns.items():
        names, expressions = profile_sql(table_columns)
        sql = f"select {', '.join(expressions)} from {relation}"
        expected = duck.execute(sql).fetchone()
        (actual,) = pg_rows(pg, sql)
        different = [
            f"{name}: duckdb {a!r} postgres {b!r}"
            for name, a, b in zip(names, expected, actual, strict=True)
            if not same_value(a, b)
        ]
        if different:
            differences[relation] = different
    return differences


def profile_sql(columns: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Aggregates that both engines compute alike: a fingerprint of a table's contents."""
    names, expressions = ["rows"], ["count(*)"]
    for column, data_type in columns:
        quoted = f'"{column}"'
        if data_type in NUMERIC_TYPES or data_type.startswith("DECIMAL"):
            names.append(f"sum({column})")
            expressions.append(f"sum(cast({quoted} as double precision))")
        elif data_type == "BOOLEAN":
            names.append(f"true({column})")
            expressions.append(f"sum(case when {quoted} then 1 else 0 end)")
        elif data_type in TIME_TYPES:
            names += [f"min({column})", f"max({column})"]
            expressions += [f"min({quoted})", f"max({quoted})"]
        else:
            names += [f"count({column})", f"distinct({column})"]
            expressions += [f"count({quoted})", f"count(distinct {quoted})"]
    return names, expressions


def same_value(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, datetime | date) or isinstance(b, datetime | date):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def test_a_sync_replaces_tables_in_one_transaction(tmp_path, pg_dsn):
    """Same columns: truncated and refilled (a view on it survives). New columns: recreated,
    unless something depends on it, and then nothing changes at all."""
    probe = tmp_path / "probe.duckdb"
    with duckdb.connect(str(probe)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.sync_probe as select range as id, 'a' as tier from range(5)")

    def sync() -> dict[str, int]:
        return sync_raw_to_postgres(
            probe, pg_dsn, include_audit=False, include_python_outputs=False
        )

    assert sync() == {"raw.sync_probe": 5}
    with session(pg_dsn) as pg:
        with pg.cursor() as cur:
            cur.execute("create view public.sync_probe_view as select id from raw.sync_probe")
    assert sync() == {"raw.sync_probe": 5}
    with duckdb.connect(str(probe)) as con:
        con.execute("alter table raw.sync_probe add column lead_score varchar")
        con.execute("insert into raw.sync_probe values (5, '', '17')")
    with pytest.raises(PostgresSyncError, match="depend"):
        sync()
    with session(pg_dsn) as pg:
        assert pg_rows(pg, "select count(*) from public.sync_probe_view") == [(5,)]
        with pg.cursor() as cur:
            cur.execute("drop view public.sync_probe_view")
    assert sync() == {"raw.sync_probe": 6}
    with session(pg_dsn) as pg:
        assert pg_rows(pg, "select tier, lead_score from raw.sync_probe where id = 5") == [
            ("", "17")
        ]
        with pg.cursor() as cur:
            cur.execute("drop table raw.sync_probe")
