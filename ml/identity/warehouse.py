"""Reading identity inputs from the warehouse and writing the resolution back."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ml.identity.probabilistic import LINK_COLUMNS
from ml.identity.resolve import IDENTIFIER_COLUMNS, RECORD_COLUMNS, IdentityResolution

RECORDS_TABLE = "intermediate.int_identity__records"
IDENTIFIERS_TABLE = "intermediate.int_identity__identifiers"

# Output table names (schema intermediate), one per IdentityResolution field.
OUTPUT_TABLES = {
    "clusters": "identity_clusters",
    "links": "identity_links",
    "oversized_clusters": "identity_oversized_clusters",
    "shared_identifiers": "identity_shared_identifiers",
}


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


def write_resolution(
    con: duckdb.DuckDBPyConnection, resolution: IdentityResolution, schema: str = "intermediate"
) -> dict[str, str]:
    """Replace the output tables in `schema` in one transaction; returns field -> table name."""
    written = {}
    con.execute(f"create schema if not exists {schema}")
    con.execute("begin transaction")
    try:
        for field, table in OUTPUT_TABLES.items():
            view = f"identity_output_{field}"
            con.register(view, getattr(resolution, field))
            con.execute(f"create or replace table {schema}.{table} as select * from {view}")
            con.unregister(view)
            written[field] = f"{schema}.{table}"
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return written
