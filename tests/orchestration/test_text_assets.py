"""The text-insights asset, materialized by Dagster against a warehouse in tmp_path."""

from pathlib import Path

import dagster as dg
import duckdb
import yaml
from dagster_duckdb import DuckDBResource

from ml.text.records import TEXT_INSIGHTS_COLUMNS
from orchestration.defs.text import text_insights

SOURCES_YAML = Path(__file__).resolve().parents[2] / "dbt_project/models/_python__sources.yml"


def make_staging(warehouse: Path, with_tickets: bool = True) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema staging")
        con.execute(
            "create table staging.stg_feedback__reviews as select * from (values "
            "('R1', timestamp '2025-03-01 10:00', 1, 'Arrived late and the box was crushed.', "
            "'P1', '2001'), "
            "('R2', timestamp '2025-03-02 11:00', 5, 'Brilliant quality. I wish it had pockets.', "
            "'P2', null), "
            "('R3', timestamp '2025-03-03 12:00', 4, '   ', 'P2', null)) "
            "as reviews(review_id, posted_at, rating, review_text, product_id, customer_id)"
        )
        con.execute(
            "create table staging.stg_surveys__responses as select * from (values "
            "('S1', timestamp '2025-03-04 09:00', 'Too expensive for what you get.', "
            "null, 'ORD-1')) "
            "as responses(response_id, submitted_at, response_comment, customer_id, order_id)"
        )
        if with_tickets:
            con.execute(
                "create table staging.stg_support__tickets as select * from (values "
                "('T1', timestamp '2025-03-05 08:00', 'I was charged twice.', '2001', null)) "
                "as tickets(ticket_id, created_at, ticket_text, customer_id, product_id)"
            )


def materialize(warehouse: Path) -> dict:
    result = dg.materialize(
        [text_insights], resources={"warehouse": DuckDBResource(database=str(warehouse))}
    )
    [materialization] = result.asset_materializations_for_node(text_insights.op.name)
    return {key: value.value for key, value in materialization.metadata.items()}


def test_text_insights_are_written_with_counts_and_reused_on_the_next_run(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    make_staging(warehouse)

    metadata = materialize(warehouse)

    assert metadata["dagster/row_count"] == 4  # the blank review is not a text
    assert metadata["rows_by_source_table"] == {"responses": 1, "reviews": 2, "tickets": 1}
    assert metadata["texts_analysed"] == 4 and metadata["texts_reused"] == 0
    assert metadata["requested_features"] == 1
    assert sum(metadata["sentiment_distribution"].values()) == 4
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = [row[0] for row in con.execute("describe text.insights").fetchall()]
        rows = con.execute(
            "select source_key, source_customer_key, sentiment_label, primary_theme, "
            "requested_feature from text.insights order by source_key"
        ).fetchall()
    assert columns == [name for name, _type in TEXT_INSIGHTS_COLUMNS]
    assert rows == [
        ("R1", "2001", "negative", "delivery", None),
        ("R2", None, "positive", "quality", "pockets"),
        ("S1", None, "negative", "price", None),
        ("T1", "2001", "negative", "billing", None),
    ]

    again = materialize(warehouse)
    assert again["texts_analysed"] == 0 and again["texts_reused"] == 4
    assert again["dagster/row_count"] == 4


def test_a_missing_staging_table_is_skipped_not_an_error(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    make_staging(warehouse, with_tickets=False)
    metadata = materialize(warehouse)
    assert metadata["rows_by_source_table"] == {"responses": 1, "reviews": 2}


def test_the_dbt_source_documents_every_column_the_asset_writes():
    sources = yaml.safe_load(SOURCES_YAML.read_text())["sources"]
    [source] = [source for source in sources if source["name"] == "text"]
    [table] = [t for t in source["tables"] if t["name"] == "insights"]
    assert source["schema"] == "text"
    assert [c["name"] for c in table["columns"]] == [n for n, _type in TEXT_INSIGHTS_COLUMNS]
