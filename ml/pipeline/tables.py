"""The ml.* tables of the warehouse contract: their columns, and the one way they are written.

Every row carries as_of (the scoring cutoff, a date) and model_version (the artifact's version).
A table is replaced in one transaction, so readers never see it empty or half written.
"""

from __future__ import annotations

import duckdb
import pandas as pd

SCHEMA = "ml"

# Columns and types of each table (the contract; docs/ml_pipeline.md describes each column).
# Written with these types, so a table a skipped model leaves empty still has them.
TABLE_SCHEMAS: dict[str, dict[str, str]] = {
    "customer_segments": {
        "customer_id": "varchar", "segment": "varchar", "recency_score": "bigint",
        "frequency_score": "bigint", "monetary_score": "bigint", "cluster": "bigint",
        "cluster_profile": "varchar", "cluster_action": "varchar", "as_of": "date",
        "model_version": "varchar",
    },
    "lead_scores": {
        "lead_id": "varchar", "customer_id": "varchar", "conversion_probability": "double",
        "score": "bigint", "grade": "varchar", "top_reasons": "varchar", "as_of": "date",
        "model_version": "varchar",
    },
    "churn_predictions": {
        "customer_id": "varchar", "churn_probability": "double", "risk_band": "varchar",
        "top_drivers": "varchar", "method": "varchar", "horizon_days": "bigint",
        "as_of": "date", "model_version": "varchar",
    },
    "clv_predictions": {
        "customer_id": "varchar", "p_alive": "double", "expected_purchases": "double",
        "expected_order_value": "double", "expected_value": "double",
        "horizon_days": "bigint", "as_of": "date", "model_version": "varchar",
    },
    "next_best_offers": {
        "customer_id": "varchar", "offer_rank": "bigint", "product_id": "varchar",
        "category": "varchar", "score": "double", "source": "varchar", "campaign_id": "varchar",
        "coupon_code": "varchar", "offer": "varchar", "as_of": "date", "model_version": "varchar",
    },
}  # fmt: skip
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(schema) for table, schema in TABLE_SCHEMAS.items()
}


def no_rows(table: str) -> pd.DataFrame:
    """ml.<table>'s columns and no row: what a skipped model writes."""
    return pd.DataFrame({column: pd.Series(dtype=object) for column in TABLE_COLUMNS[table]})


def write_ml_table(con: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame) -> int:
    """Replace ml.<table> with `rows` (exactly the table's columns); returns the row count."""
    columns = TABLE_COLUMNS[table]
    if tuple(rows.columns) != columns:
        raise ValueError(f"ml.{table} takes columns {list(columns)}, got {list(rows.columns)}")
    view = f"ml_{table}_rows"
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register(view, rows)
    con.execute("begin transaction")
    try:
        typed = ", ".join(
            f'cast("{column}" as {type_}) as "{column}"'
            for column, type_ in TABLE_SCHEMAS[table].items()
        )
        con.execute(f"create or replace table {SCHEMA}.{table} as select {typed} from {view}")
        con.execute("commit")
    except duckdb.Error:
        con.execute("rollback")
        raise
    finally:
        con.unregister(view)
    return len(rows)


def read_ml_table(con: duckdb.DuckDBPyConnection, table: str) -> pd.DataFrame | None:
    """The current ml.<table>, or None before its first write."""
    exists = con.execute(
        "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchone()[0]
    return con.execute(f"select * from {SCHEMA}.{table}").df() if exists else None
