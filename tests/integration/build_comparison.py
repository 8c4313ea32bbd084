"""How the warehouse of test_crash_recovery.py's killed deployment compares with its clean build,
both attached to one DuckDB connection as `clean` and `killed`: the tables compared are every
table of COMPARED_SCHEMAS and COMPARED_AUDIT_TABLES, row for row, all columns but those in
WALL_CLOCK_COLUMNS, doubles rounded to DOUBLE_DECIMALS.
"""

from __future__ import annotations

import duckdb

from reports.status import LAYER_ORDER

# The ml tables too, row for row: training and scoring use fixed seeds, and two clean builds of
# the same landing zone give identical ml.* tables (model versions included; checked).
COMPARED_SCHEMAS = tuple(schema for schema in LAYER_ORDER if schema != "audit")
# The loader's own audit rows (the other audit tables are per run, or dbt's test failures).
COMPARED_AUDIT_TABLES = ("audit.quarantine", "audit.set_aside_values")

# Columns that hold when something ran or a per-run identity, not data: two clean builds of the
# same landing zone differ in them (found by diffing two clean builds), so they are left out of
# the comparison; every other column, keys and lineage columns (_source_file, _source_row,
# _load_id) included, must be equal.
WALL_CLOCK_COLUMNS = {
    "_loaded_at",  # raw and staging: when the loader loaded the row's file
    "loaded_at",  # int_journeys__touchpoints: its rows' _loaded_at (the incremental watermark)
    "events_loaded_at",  # int_web__sessions: the same for a session's events
    "analysed_at",  # text.insights: when the text of the row was analysed
    "quarantined_at",  # audit.quarantine: when the row was quarantined
    "set_aside_at",  # audit.set_aside_values: when the value was set aside
    # snapshots.customer_status_snapshot (strategy: check): the time of the snapshot run, and
    # dbt_scd_id, a hash of the key and that time; dbt_valid_to is compared (null or not)
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_scd_id",
    # identity.linked_records: a digest of the trained Splink model (and of the
    # record), and the model's settings carry Splink's random linker_uid, new on every training
    "link_fingerprint",
}
DOUBLE_DECIMALS = 6  # sums and averages rebuilt from the same rows differ in their last bits


def compared_tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            f"select schema_name, table_name from duckdb_tables() "
            f"where database_name = '{database}' and schema_name in ({schemas})"
        ).fetchall()
    }


def columns_of(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple]:
    schema, name = table.split(".")
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, name],
    ).fetchall()


def table_differences(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """How `table` differs between the attached databases clean and killed, or None."""
    columns = columns_of(con, "clean", table)
    if columns != columns_of(con, "killed", table):
        return f"{table}: columns {columns} != {columns_of(con, 'killed', table)}"
    selected = ", ".join(
        f'round("{name}", {DOUBLE_DECIMALS}) as "{name}"' if kind == "DOUBLE" else f'"{name}"'
        for name, kind in columns
        if name not in WALL_CLOCK_COLUMNS
    )
    differences = []
    for left, right in (("clean", "killed"), ("killed", "clean")):
        rows = con.execute(
            f"select {selected} from {left}.{table} except all "
            f"select {selected} from {right}.{table}"
        ).fetchall()
        if rows:
            differences.append(f"{len(rows)} rows only in the {left} build, e.g. {rows[:2]}")
    if not differences:
        return None
    counts = [
        con.execute(f"select count(*) from {database}.{table}").fetchone()[0]
        for database in ("clean", "killed")
    ]
    return f"{table} ({counts[0]} rows clean, {counts[1]} killed): " + "; ".join(differences)
