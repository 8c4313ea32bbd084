"""Which warehouse texts are analysed, and the shape of `text.insights`.

TEXT_SOURCES names, for each staging table with customer text, its key and text columns; the
query built from them gives one row per record whose text is not empty, with a hash of the text.
`build_text_insights` adds the analysis to those rows, reusing earlier results for texts it has
seen (same hash, same ANALYSIS_VERSION), so a nightly run only analyses new and changed texts.
Reading and writing the warehouse is left to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ml.text.analysis import ANALYSIS_VERSION, RESULT_SCHEMA, analyse_texts


@dataclass(frozen=True)
class TextSource:
    source: str  # landing source, as in customer_identity_map.source
    source_table: str  # landing table, as in customer_identity_map.source_table
    relation: str  # staging table holding the text
    key: str  # the record key (customer_identity_map.source_key)
    text: str
    occurred_at: str
    customer_key: str | None = None  # the source system's own customer key, if it has one
    product_id: str | None = None
    order_id: str | None = None


TEXT_SOURCES = (
    TextSource(
        "feedback", "reviews", "staging.stg_feedback__reviews", "review_id", "review_text",
        "posted_at", customer_key="customer_id", product_id="product_id",
    ),
    TextSource(
        "surveys", "responses", "staging.stg_surveys__responses", "response_id",
        "response_comment", "submitted_at", customer_key="customer_id", order_id="order_id",
    ),
    TextSource(
        "support", "tickets", "staging.stg_support__tickets", "ticket_id", "ticket_text",
        "created_at", customer_key="customer_id", product_id="product_id",
    ),
)  # fmt: skip

# Columns of text.insights: (name, DuckDB type). The dbt source YAML
# (models/_python__sources.yml) documents the same columns; a test keeps them in
# step.
TEXT_INSIGHTS_COLUMNS = (
    ("source", "varchar"),
    ("source_table", "varchar"),
    ("source_key", "varchar"),
    ("source_customer_key", "varchar"),
    ("product_id", "varchar"),
    ("order_id", "varchar"),
    ("occurred_at", "timestamp"),
    ("sentiment_score", "double"),
    ("sentiment_label", "varchar"),
    ("primary_theme", "varchar"),
    ("themes", "varchar"),
    ("keyphrases", "varchar"),
    ("requested_feature", "varchar"),
    ("analysis_version", "varchar"),
    ("analysed_at", "timestamp"),
    ("text_hash", "varchar"),
)

# What can be reused from an earlier run: the analysis of a text, keyed by the text's hash.
CACHE_COLUMNS = ("text_hash", *RESULT_SCHEMA.names, "analysed_at")

RECORD_COLUMNS = (
    "source",
    "source_table",
    "source_key",
    "source_customer_key",
    "product_id",
    "order_id",
    "occurred_at",
    "text",
    "text_hash",
)


def _column(name: str | None, alias: str, sql_type: str = "varchar") -> str:
    return f"cast({name if name else 'null'} as {sql_type}) as {alias}"


def text_records_query(sources: Iterable[TextSource]) -> str:
    """One row per record with text (RECORD_COLUMNS), from each of `sources`, as one query."""
    selects = [
        "select "
        + ", ".join(
            [
                f"'{source.source}' as source",
                f"'{source.source_table}' as source_table",
                _column(source.key, "source_key"),
                _column(source.customer_key, "source_customer_key"),
                _column(source.product_id, "product_id"),
                _column(source.order_id, "order_id"),
                _column(source.occurred_at, "occurred_at", "timestamp"),
                _column(source.text, "text"),
                f"md5(trim({source.text})) as text_hash",
            ]
        )
        + f" from {source.relation} where nullif(trim({source.text}), '') is not null"
        for source in sources
    ]
    if not selects:
        columns = ", ".join(
            _column(None, name, "timestamp" if name == "occurred_at" else "varchar")
            for name in RECORD_COLUMNS
        )
        return f"select {columns} where false"
    return "\nunion all\n".join(selects)


def build_text_insights(
    records: pa.Table, previous: pa.Table | None = None, analysed_at: datetime | None = None
) -> tuple[pa.Table, int]:
    """`records` (RECORD_COLUMNS) with the analysis: the columns of TEXT_INSIGHTS_COLUMNS.

    `previous` (CACHE_COLUMNS, one row per text_hash) holds earlier results of the same
    ANALYSIS_VERSION; texts found there are not analysed again. Returns the table and the number
    of distinct texts that were analysed now.
    """
    analysed_at = analysed_at or datetime.now(UTC).replace(tzinfo=None)
    if previous is None:
        previous = pa.table(
            {name: pa.array([], RESULT_SCHEMA.field(name).type) for name in RESULT_SCHEMA.names}
        )
        previous = previous.add_column(0, "text_hash", pa.array([], pa.string()))
        previous = previous.append_column("analysed_at", pa.array([], pa.timestamp("us")))
    previous = previous.select(list(CACHE_COLUMNS))
    position = pc.index_in(records.column("text_hash"), value_set=previous.column("text_hash"))
    is_new = pc.is_null(position).to_numpy(zero_copy_only=False)
    new_records = records.filter(pa.array(is_new))
    fresh = analyse_texts(new_records.column("text"))
    fresh = fresh.add_column(0, "text_hash", new_records.column("text_hash"))
    fresh = fresh.append_column(
        "analysed_at", pa.array([analysed_at] * fresh.num_rows, pa.timestamp("us"))
    )
    results = pa.concat_tables([previous, fresh.cast(previous.schema)])
    # row i takes its earlier result, or the next fresh one (fresh rows follow `previous`)
    reused_at = pc.fill_null(position, -1).to_numpy(zero_copy_only=False)
    fresh_at = previous.num_rows + np.cumsum(is_new) - 1
    analysis = results.take(pa.array(np.where(is_new, fresh_at, reused_at), pa.int64()))
    columns = {name: records.column(name) for name in RECORD_COLUMNS if name != "text"}
    columns |= {name: analysis.column(name) for name in (*RESULT_SCHEMA.names, "analysed_at")}
    columns["analysis_version"] = pa.array([ANALYSIS_VERSION] * records.num_rows, pa.string())
    table = pa.table({name: columns[name] for name, _type in TEXT_INSIGHTS_COLUMNS})
    texts_analysed = len(pc.unique(new_records.column("text_hash")).drop_null())
    return table, texts_analysed
