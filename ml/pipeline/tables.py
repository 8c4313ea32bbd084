"""The ml.* tables of the warehouse contract: their columns, and the one way they are written.

Every row carries as_of (the scoring cutoff, a date) and model_version (the artifact's version).
A table is replaced in one transaction, so readers never see it empty or half written.
"""

from __future__ import annotations

import duckdb
import pandas as pd

SCHEMA = "ml"

# Column order of each table (the contract; docs/ml_pipeline.md describes each column).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_segments": (
        "customer_id", "segment", "recency_score", "frequency_score", "monetary_score",
        "cluster", "cluster_profile", "as_of", "model_version",
    ),
    "lead_scores": (
        "lead_id", "customer_id", "conversion_probability", "score", "grade", "top_reasons",
        "as_of", "model_version",
    ),
    "churn_predictions": (
        "customer_id", "churn_probability", "risk_band", "top_drivers", "method",
        "horizon_days", "as_of", "model_version",
    ),
    "clv_predictions": (
        "customer_id", "p_alive", "expected_purchases", "expected_order_value", "expected_value",
        "horizon_days", "as_of", "model_version",
    ),
    "next_best_offers": (
        "customer_id", "offer_rank", "product_id", "category", "score", "source", "campaign_id",
        "coupon_code", "offer", "as_of", "model_version",
    ),
}  # fmt: skip


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
        con.execute(
            f"create or replace table {SCHEMA}.{table} as "
            f"select * replace (cast(as_of as date) as as_of) from {view}"
        )
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
