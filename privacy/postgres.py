"""The PostgreSQL copy of the warehouse (`make postgres`: `binesh sync-postgres`, then dbt's
`postgres` target): erasure reaches it and the proof scan reads it when BINESH_PG_HOST names a
server.

Erasing there repeats `make postgres` from the warehouse the erasure has just cleaned:
1. the sync replaces raw, audit and the Python assets' tables (the suppression list and its salt
   stay in DuckDB: they are never copied);
2. `dbt build --target postgres --full-refresh` rebuilds every model, aggregates included;
3. a sweep deletes the rows that point at a suppressed person from every table neither of those
   replaced: dbt snapshots, which keep history, and tables made there by hand.

There is one way a row is matched (privacy/keys.py, privacy/verify.py), in DuckDB: each
PostgreSQL table is streamed out with COPY into a CSV file that the warehouse's DuckDB reads as
text, so the sweep and the scan judge PostgreSQL's rows exactly as they judge DuckDB's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from privacy.keys import row_points_at_suppressed_sql
from privacy.suppression import UNPUBLISHED, active_salt
from privacy.verify import Traces, scan_relation
from sources.readers import quote_ident, quote_literal
from targets.postgres.connection import connect, describe_dsn
from targets.postgres.sync import DBT_PROJECT_DIR, sync_raw_to_postgres

SERVER_VARIABLE = "BINESH_PG_HOST"
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")
ROW_ID = "_pg_ctid"  # the physical row id, carried into DuckDB so a matched row can be deleted
OUTPUT_TAIL = 3000  # characters of dbt's output kept when its build fails


@dataclass
class PostgresErasure:
    """What erasure did to the PostgreSQL copy."""

    server: str
    copy_found: bool = False
    tables_synced: int = 0
    rebuilt: bool = False
    build_output: str = ""
    swept: dict[str, int] = field(default_factory=dict)

    def as_receipt(self) -> dict:
        return {
            "copy_found": self.copy_found,
            "tables_synced": self.tables_synced,
            "rebuilt": self.rebuilt,
            "swept": self.swept,
        }


def configured() -> bool:
    """Whether a PostgreSQL copy is to be kept erased and scanned (BINESH_PG_HOST is set)."""
    return bool(os.environ.get(SERVER_VARIABLE))


def erase_postgres_copy(warehouse: Path) -> PostgresErasure:
    """Replace the copy at BINESH_PG_* from the erased `warehouse`; nothing if there is none."""
    with closing(connect()) as pg:
        outcome = PostgresErasure(server=describe_dsn(pg.dsn))
        outcome.copy_found = bool(base_tables(pg, schema="raw"))
    if not outcome.copy_found:
        return outcome
    synced = sync_raw_to_postgres(warehouse)
    outcome.tables_synced = len(synced)
    outcome.rebuilt, outcome.build_output = dbt_build_postgres()
    with duckdb.connect(str(warehouse), read_only=True) as con, closing(connect()) as pg:
        outcome.swept = sweep_postgres(con, pg, skip=set(synced))
    return outcome


def dbt_build_postgres() -> tuple[bool, str]:
    """`dbt build --target postgres --full-refresh`, as `make postgres` runs it; whether it
    succeeded, and the end of its output. Its target and logs go to a temporary folder, so the
    manifest Dagster reads is not touched."""
    with tempfile.TemporaryDirectory(prefix="binesh-dbt-postgres-") as scratch:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("dbt")),
                "build",
                "--target",
                "postgres",
                "--full-refresh",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(Path(scratch) / "target"),
                "--log-path",
                str(Path(scratch) / "logs"),
            ],
            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            capture_output=True,
            text=True,
        )
    return done.returncode == 0, (done.stdout + done.stderr)[-OUTPUT_TAIL:]


def sweep_postgres(
    con: duckdb.DuckDBPyConnection, pg, skip: set[str] = frozenset()
) -> dict[str, int]:
    """Delete every row that points at a suppressed person from every PostgreSQL table but those
    in `skip` (`schema.table`), in one transaction; rows deleted per table."""
    salt = active_salt(con)
    if not salt:
        return {}
    deleted = {}
    try:
        with pg.cursor() as cur:
            for schema, table, columns in base_tables(pg):
                test = row_points_at_suppressed_sql(schema, table, columns, salt)
                if f"{schema}.{table}" in skip or not test:
                    continue
                name = f"{quote_ident(schema)}.{quote_ident(table)}"
                cur.execute(f"lock table {name} in share row exclusive mode")  # ctids hold still
                with table_as_csv(pg, schema, table, with_row_id=True) as relation:
                    rows = [
                        row_id
                        for (row_id,) in con.execute(
                            f"select {ROW_ID} from {relation} where {test}"
                        ).fetchall()
                    ]
                if rows:
                    cur.execute(f"delete from {name} where ctid = any(%s::tid[])", [rows])
                    deleted[f"{schema}.{table}"] = cur.rowcount
        pg.commit()
    except BaseException:
        pg.rollback()
        raise
    return deleted


def scan_postgres(con: duckdb.DuckDBPyConnection, traces: Traces) -> None:
    """Scan every table of every schema of the PostgreSQL database at BINESH_PG_* (views are
    read from these tables), as verify scans the warehouse; places are `postgresql:schema.table`."""
    salt = active_salt(con)
    with closing(connect()) as pg:
        pg.set_session(readonly=True)
        for schema, table, columns in base_tables(pg):
            key_test = row_points_at_suppressed_sql(schema, table, columns, salt) if salt else None
            with table_as_csv(pg, schema, table) as relation:
                scan_relation(
                    con,
                    relation,
                    [(column, "VARCHAR") for column in columns],
                    traces,
                    f"postgresql:{schema}.{table}",
                    key_test,
                )
        pg.rollback()


def base_tables(pg, schema: str | None = None) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns) of the database's tables, in `schema` or in all but the
    system's; the suppression list and its salt, should anyone copy them, are not looked at."""
    with pg.cursor() as cur:
        cur.execute(
            "select n.nspname, c.relname, array_agg(a.attname::text order by a.attnum) "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped "
            "where c.relkind in ('r', 'p') and n.nspname <> all(%s) "
            "and n.nspname not like 'pg_temp%%' and (%s::text is null or n.nspname = %s) "
            "group by 1, 2 order by 1, 2",
            [list(SYSTEM_SCHEMAS), schema, schema],
        )
        found = cur.fetchall()
    return [
        (schema_, table, list(columns))
        for schema_, table, columns in found
        if not (schema_ == "audit" and table in UNPUBLISHED)
    ]


@contextmanager
def table_as_csv(pg, schema: str, table: str, with_row_id: bool = False) -> Iterator[str]:
    """The table streamed out of PostgreSQL into a temporary CSV file; yields the DuckDB relation
    that reads it, every column as text (and the row's ctid as `_pg_ctid` if asked)."""
    row_id = f"ctid::text as {ROW_ID}, " if with_row_id else ""
    query = f"select {row_id}* from {quote_ident(schema)}.{quote_ident(table)}"
    with tempfile.TemporaryDirectory(prefix="binesh-pg-") as scratch:
        path = Path(scratch) / "table.csv"
        with pg.cursor() as cur, path.open("wb") as out:
            cur.copy_expert(f"copy ({query}) to stdout with (format csv, header)", out)
        yield (
            f"read_csv({quote_literal(str(path))}, header = true, all_varchar = true, "
            "delim = ',', quote = '\"', escape = '\"', max_line_size = 268435456)"
        )
