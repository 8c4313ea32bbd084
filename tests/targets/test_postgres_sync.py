"""targets/postgres/ without a server: type mapping, the CSV stream COPY reads, what is copied,
and the error a user sees when the server cannot be reached. tests/integration/test_postgres.py
copies into a real PostgreSQL."""

from __future__ import annotations

import csv
import io
import socket
from pathlib import Path

import duckdb
import pytest

from sources.contract import LANDING_TABLES
from targets.postgres.connection import (
    PostgresSyncError,
    PostgresUnavailable,
    connect,
    describe_dsn,
    postgres_dsn_from_env,
)
from targets.postgres.sync import (
    CsvStream,
    column_copy,
    dbt_python_output_tables,
    sync_raw_to_postgres,
    tables_to_copy,
)


@pytest.mark.parametrize(
    ("duckdb_type", "pg_type"),
    [
        ("VARCHAR", "text"),
        ("BIGINT", "bigint"),
        ("DOUBLE", "double precision"),
        ("BOOLEAN", "boolean"),
        ("DATE", "date"),
        ("TIMESTAMP", "timestamp without time zone"),
        ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
        ("TIMESTAMP_NS", "timestamp without time zone"),
        ("HUGEINT", "numeric(38,0)"),
        ("DECIMAL(18,3)", "numeric(18,3)"),
        ("INTEGER[]", "jsonb"),
        ("STRUCT(a INTEGER)", "jsonb"),
    ],
)
def test_duckdb_types_map_to_postgres_types(duckdb_type, pg_type):
    assert column_copy("c", duckdb_type).pg_type == pg_type


def test_every_contract_type_has_a_plain_postgres_type():
    for table in LANDING_TABLES:
        for column in table.columns:
            assert column_copy(column.name, column.type.value).pg_type != "jsonb", column


def test_the_csv_stream_keeps_nulls_apart_from_empty_strings():
    con = duckdb.connect()
    reader = con.sql(
        "select * from (values ('a', 1, 2.5), ('', null, null), (null, 3, 0.1), "
        "('x\"y,z' || chr(10) || 'w', 4, 1e300)) t(s, i, d)"
    ).to_arrow_reader(2)  # two batches
    stream = CsvStream(reader)
    text = io.BufferedReader(stream, buffer_size=7).read().decode()  # tiny reads on purpose
    assert stream.rows == 4
    assert text.splitlines()[:3] == ['"a",1,2.5', '"",,', ",3,0.1"]  # null: nothing; '': ""
    assert list(csv.reader(io.StringIO(text)))[3] == ['x"y,z\nw', "4", "1e+300"]


def test_dsn_from_env_uses_the_dbt_profile_defaults():
    assert describe_dsn(postgres_dsn_from_env({})) == (
        "localhost:5432 as user 'binesh', database 'binesh'"
    )
    dsn = postgres_dsn_from_env(
        {"BINESH_PG_HOST": "db.internal", "BINESH_PG_PORT": "6543", "BINESH_PG_PASSWORD": "p w'"}
    )
    assert "p w" not in describe_dsn(dsn)
    assert describe_dsn(dsn).startswith("db.internal:6543 ")


def test_an_unreachable_server_says_where_and_what_to_set():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = postgres_dsn_from_env({"BINESH_PG_HOST": "127.0.0.1", "BINESH_PG_PORT": str(port)})
    with pytest.raises(PostgresUnavailable) as raised:
        connect(dsn, connect_timeout=2)
    message = str(raised.value)
    assert f"127.0.0.1:{port}" in message
    assert "BINESH_PG_HOST" in message and "BINESH_PG_PORT" in message
    assert "password" not in message.split(":", 2)[0]


def test_a_missing_warehouse_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="binesh run"):
        sync_raw_to_postgres(tmp_path / "nowhere.duckdb", "host=127.0.0.1 port=1")


def test_python_outputs_are_the_dbt_sources_outside_raw():
    tables = dbt_python_output_tables()
    assert ("identity", "clusters") in tables
    assert all(schema != "raw" for schema, _ in tables)


def test_raw_audit_and_python_outputs_are_selected_in_that_order(tmp_path: Path):
    project = tmp_path / "dbt"
    (project / "models").mkdir(parents=True)
    (project / "models" / "_sources.yml").write_text(
        "sources:\n"
        "  - name: raw\n    tables: [{name: shop__orders}]\n"
        "  - name: intermediate\n    schema: intermediate\n"
        "    tables: [{name: clusters}, {name: not_built_yet}]\n"
    )
    con = duckdb.connect()
    for schema in ("raw", "audit", "intermediate", "staging"):
        con.execute(f"create schema {schema}")
    con.execute("create table raw.shop__orders (order_id varchar, amount double)")
    con.execute('create table raw.crm__leads (lead_id varchar, "lead score" varchar)')
    con.execute("create table audit.load_log (load_id varchar)")
    con.execute("create table intermediate.clusters (record_id varchar, size bigint)")
    con.execute("create table staging.stg_shop__orders (order_id varchar)")
    selected = tables_to_copy(con, True, True, project)
    assert [t.qualified_name for t in selected] == [
        "raw.crm__leads",
        "raw.shop__orders",
        "audit.load_log",
        "intermediate.clusters",
    ]
    assert [c.name for c in selected[0].columns] == ["lead_id", "lead score"]
    assert [t.qualified_name for t in tables_to_copy(con, False, False, project)] == [
        "raw.crm__leads",
        "raw.shop__orders",
    ]


def test_a_warehouse_without_raw_tables_is_refused():
    con = duckdb.connect()
    with pytest.raises(PostgresSyncError, match="no raw tables"):
        tables_to_copy(con, True, False, Path("."))


def test_names_postgres_would_truncate_are_refused():
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(f'create table raw.t ("{"x" * 64}" varchar)')
    with pytest.raises(PostgresSyncError, match="longer than PostgreSQL's 63 bytes"):
        tables_to_copy(con, False, False, Path("."))
