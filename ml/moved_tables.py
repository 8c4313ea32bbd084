"""Tables that moved to a schema of their own (issue 15), carried over from an older warehouse.

Identity resolution and text analytics used to write into `intermediate` (identity_clusters,
text_insights, ...), and the ML feature marts lived in `marts` (ml_*). Identity's tables carry the
anchors that keep customer ids stable and text's the analyses reused by text hash, so the first
run on an older warehouse moves them rather than starting again; the old feature marts are dropped
(dbt builds them again in `features`, from the data).
"""

from __future__ import annotations

import duckdb

from ml.identity.warehouse import OUTPUT_TABLES as IDENTITY_TABLES
from ml.identity.warehouse import SCHEMA as IDENTITY_SCHEMA
from ml.pipeline.frames import FEATURE_TABLES
from ml.text.warehouse import SCHEMA as TEXT_SCHEMA
from ml.text.warehouse import TABLE as TEXT_TABLE

MOVED = {
    **{
        ("intermediate", f"identity_{table}"): (IDENTITY_SCHEMA, table) for table in IDENTITY_TABLES
    },
    ("intermediate", "text_insights"): (TEXT_SCHEMA, TEXT_TABLE),
}
DROPPED = [("marts", f"ml_{table}") for table in FEATURE_TABLES]


def move_tables_of_older_warehouses(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Move the old tables to their new place (unless that place is taken) and drop the old
    feature marts, in one transaction; returns what was done, empty when nothing is old."""
    present = set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() where not internal"
        ).fetchall()
    )
    done = []
    con.execute("begin transaction")
    try:
        for (schema, table), (new_schema, new_table) in MOVED.items():
            if (schema, table) not in present:
                continue
            if (new_schema, new_table) not in present:
                con.execute(f"create schema if not exists {new_schema}")
                con.execute(
                    f"create table {new_schema}.{new_table} as select * from {schema}.{table}"
                )
                done.append(f"moved {schema}.{table} to {new_schema}.{new_table}")
            con.execute(f"drop table {schema}.{table}")
        for schema, table in DROPPED:
            if (schema, table) in present:
                con.execute(f"drop table {schema}.{table}")
                done.append(f"dropped {schema}.{table} (now features.{table[3:]})")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return done
