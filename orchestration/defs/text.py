"""Text analytics: sentiment, themes and requested features of reviews, survey comments and
support tickets (ml/text), written to `text.insights` for the dbt marts."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from ml.moved_tables import move_tables_of_older_warehouses
from ml.text.analysis import ANALYSIS_VERSION
from ml.text.records import TEXT_SOURCES
from ml.text.warehouse import SCHEMA, TABLE, update_text_insights
from orchestration.dbt_translation import source_descriptions
from orchestration.metadata import rounded_metadata
from orchestration.project import code_version, python_files
from orchestration.resources import WAREHOUSE_POOL


@dg.asset(
    key=[SCHEMA, TABLE],
    group_name=SCHEMA,
    kinds={"python", "duckdb"},
    pool=WAREHOUSE_POOL,
    deps=[["staging", source.relation.split(".")[1]] for source in TEXT_SOURCES],
    description=source_descriptions(SCHEMA)[TABLE],
    metadata={"dagster/table_name": f"{SCHEMA}.{TABLE}"},
    code_version=code_version(python_files("ml/text")),
)
def text_insights(
    context: dg.AssetExecutionContext, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    with warehouse.get_connection() as con:
        for change in move_tables_of_older_warehouses(con):
            context.log.info(change)
        update = update_text_insights(con)
    seconds = update.analysis_seconds
    return dg.MaterializeResult(
        metadata=rounded_metadata(
            {
                "dagster/row_count": update.rows,
                "rows_by_source_table": update.rows_by_source_table,
                "sentiment_distribution": update.sentiment_distribution,
                "top_themes": dg.MetadataValue.md(
                    "| theme | texts |\n|---|---|\n"
                    + "".join(f"| {theme} | {count} |\n" for theme, count in update.top_themes)
                ),
                "requested_features": update.requested_features,
                "texts_analysed": update.texts_analysed,
                "texts_reused": update.texts_reused,
                "analysis_seconds": seconds,
                "rows_per_second": round(update.rows / seconds) if seconds > 0 else update.rows,
                "analysis_version": ANALYSIS_VERSION,
            }
        )
    )


defs = dg.Definitions(assets=[text_insights])
