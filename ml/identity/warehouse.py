"""Reading identity inputs from the warehouse and writing the resolution back."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ml.identity.normalise import LINK_COLUMNS
from ml.identity.probabilistic import PreviousLinkage
from ml.identity.resolve import (
    IDENTIFIER_COLUMNS,
    RECORD_COLUMNS,
    IdentityResolution,
    PreviousResolution,
)

RECORDS_TABLE = "intermediate.int_identity__records"
IDENTIFIERS_TABLE = "intermediate.int_identity__identifiers"

# The output tables, in schema `identity`, one per IdentityResolution field and named after it
# (declared for dbt in dbt_project/models/_python__sources.yml).
SCHEMA = "identity"
OUTPUT_TABLES = ("clusters", "links", "oversized_clusters", "shared_identifiers", "linked_records")


def read_identity_inputs(
    con: duckdb.DuckDBPyConnection,
    records_table: str = RECORDS_TABLE,
    identifiers_table: str = IDENTIFIERS_TABLE,
) -> tuple[pa.Table, pa.Table]:
    """The records (with their comparison columns) and identifiers dbt prepared."""
    records = con.sql(
        f"select {', '.join(RECORD_COLUMNS + LINK_COLUMNS)} from {records_table}"
    ).to_arrow_table()
    identifiers = con.sql(
        f"select {', '.join(IDENTIFIER_COLUMNS)} from {identifiers_table}"
    ).to_arrow_table()
    return records, identifiers


def read_previous_resolution(
    con: duckdb.DuckDBPyConnection, schema: str = SCHEMA
) -> PreviousResolution | None:
    """The anchors and the linkage `write_resolution` left in `schema`; None before the first."""
    written = {
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    }
    if "clusters" not in written:
        return None
    tables = {table: f"{schema}.{table}" for table in OUTPUT_TABLES}
    anchors = con.sql(
        f"select record_id from {tables['clusters']} where is_anchor order by record_id"
    ).to_arrow_table()["record_id"]
    linkage = None
    if set(OUTPUT_TABLES) <= written:
        linkage = PreviousLinkage(
            fingerprints=con.sql(f"select * from {tables['linked_records']}").to_arrow_table(),
            edges=con.sql(
                f"select record_id_left, record_id_right, match_confidence as match_probability "
                f"from {tables['links']} where match_rule = 'probabilistic'"
            ).to_arrow_table(),
        )
    return PreviousResolution(anchors.combine_chunks(), linkage)


def write_resolution(
    con: duckdb.DuckDBPyConnection, resolution: IdentityResolution, schema: str = SCHEMA
) -> dict[str, str]:
    """Replace the output tables in `schema` in one transaction; returns table -> schema.table."""
    written = {}
    con.execute(f"create schema if not exists {schema}")
    con.execute("begin transaction")
    try:
        for table in OUTPUT_TABLES:
            view = f"identity_output_{table}"
            con.register(view, getattr(resolution, table))
            con.execute(f"create or replace table {schema}.{table} as select * from {view}")
            con.unregister(view)
            written[table] = f"{schema}.{table}"
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return written
