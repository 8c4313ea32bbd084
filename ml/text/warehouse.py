"""The text insights table in the warehouse: read the texts, analyse only what is new, write.

Each distinct text is analysed once; results of an earlier run with the same ANALYSIS_VERSION are
reused by text hash, so a nightly run only analyses new or changed texts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from ml.text.analysis import ANALYSIS_VERSION
from ml.text.records import (
    CACHE_COLUMNS,
    TEXT_INSIGHTS_COLUMNS,
    TEXT_SOURCES,
    build_text_insights,
    text_records_query,
)

# Declared for dbt in dbt_project/models/_python__sources.yml.
SCHEMA, TABLE = "text", "insights"


@dataclass(frozen=True)
class TextInsightsUpdate:
    """What one update wrote, for the asset's metadata."""

    rows: int
    texts_analysed: int
    texts_reused: int
    analysis_seconds: float
    rows_by_source_table: dict[str, int]
    sentiment_distribution: dict[str, int]
    top_themes: list[tuple[str, int]]
    requested_features: int


def update_text_insights(con: duckdb.DuckDBPyConnection) -> TextInsightsUpdate:
    """Rebuild `text.insights` from the staging text tables that exist."""
    tables = {
        f"{schema}.{name}"
        for schema, name in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "union all select schema_name, view_name from duckdb_views()"
        ).fetchall()
    }
    sources = [source for source in TEXT_SOURCES if source.relation in tables]
    records = con.sql(text_records_query(sources)).to_arrow_table()
    previous = None
    existing_columns = {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [SCHEMA, TABLE],
        ).fetchall()
    }
    if set(CACHE_COLUMNS) | {"analysis_version"} <= existing_columns:
        previous = con.sql(
            f"select distinct on (text_hash) {', '.join(CACHE_COLUMNS)} "
            f"from {SCHEMA}.{TABLE} where analysis_version = ? and text_hash is not null",
            params=[ANALYSIS_VERSION],
        ).to_arrow_table()
    started = time.perf_counter()
    insights, texts_analysed = build_text_insights(records, previous)
    seconds = time.perf_counter() - started
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in TEXT_INSIGHTS_COLUMNS)
    con.execute(f"create schema if not exists {SCHEMA}")
    con.register("text_insights_batch", insights)
    con.execute("begin transaction")  # readers never see the table empty or half written
    try:
        con.execute(f"create or replace table {SCHEMA}.{TABLE} ({columns})")
        con.execute(f"insert into {SCHEMA}.{TABLE} select * from text_insights_batch")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.unregister("text_insights_batch")
    by_source = con.execute(
        f"select source_table, count(*) from {SCHEMA}.{TABLE} group by 1 order by 1"
    ).fetchall()
    by_label = con.execute(
        f"select sentiment_label, count(*) from {SCHEMA}.{TABLE} group by 1 order by 1"
    ).fetchall()
    top_themes = con.execute(
        f"select theme, count(*) from (select unnest(string_split(themes, ';')) as theme "
        f"from {SCHEMA}.{TABLE}) group by 1 order by 2 desc, 1 limit 10"
    ).fetchall()
    requests = con.execute(f"select count(requested_feature) from {SCHEMA}.{TABLE}").fetchone()[0]
    return TextInsightsUpdate(
        rows=insights.num_rows,
        texts_analysed=texts_analysed,
        texts_reused=len(previous) if previous is not None else 0,
        analysis_seconds=seconds,
        rows_by_source_table=dict(by_source),
        sentiment_distribution=dict(by_label),
        top_themes=top_themes,
        requested_features=requests,
    )
