"""Text analytics: sentiment, themes and requested features of reviews, survey comments and
support tickets (ml/text), written to `intermediate.text_insights` for the dbt marts."""

import time

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.text.analysis import ANALYSIS_VERSION
from ml.text.records import (
    CACHE_COLUMNS,
    TEXT_INSIGHTS_COLUMNS,
    TEXT_SOURCES,
    build_text_insights,
    text_records_query,
)
from orchestration.defs.raw import WAREHOUSE_POOL

SCHEMA, TABLE = "intermediate", "text_insights"


@dg.asset(
    key=[SCHEMA, TABLE],
    group_name="intermediate",
    kinds={"python", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[["staging", source.relation.split(".")[1]] for source in TEXT_SOURCES],
    description=(
        "Sentiment (VADER compound score and label), themes (yake keyphrases mapped to "
        "readable themes) and requested features of every review, survey comment and support "
        "ticket with text: one row per source record (source, source_table, source_key). "
        "Texts already analysed by the same rules in an earlier run are reused."
    ),
    metadata={"dagster/table_name": f"{SCHEMA}.{TABLE}"},
)
def text_insights(warehouse: DuckDBResource) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
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
        try:
            con.execute("begin transaction")
            con.execute(f"create or replace table {SCHEMA}.{TABLE} ({columns})")
            con.execute(f"insert into {SCHEMA}.{TABLE} select * from text_insights_batch")
            con.execute("commit")
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
        requests = con.execute(f"select count(requested_feature) from {SCHEMA}.{TABLE}").fetchone()[
            0
        ]
    rows = insights.num_rows
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "rows_by_source_table": dict(by_source),
            "sentiment_distribution": dict(by_label),
            "top_themes": dg.MetadataValue.md(
                "| theme | texts |\n|---|---|\n"
                + "".join(f"| {theme} | {count} |\n" for theme, count in top_themes)
            ),
            "requested_features": requests,
            "texts_analysed": texts_analysed,
            "texts_reused": len(previous) if previous is not None else 0,
            "analysis_seconds": round(seconds, 3),
            "rows_per_second": round(rows / seconds) if seconds > 0 else rows,
            "analysis_version": ANALYSIS_VERSION,
        }
    )


defs = dg.Definitions(assets=[text_insights])
