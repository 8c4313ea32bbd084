"""Publishing scores into ml.<table>: a skipped model leaves the table empty but typed, and the
materialization metadata summarises numeric scores by quantiles and text scores by counts."""

import datetime as dt

import duckdb
import pandas as pd
import pytest

from ml.pipeline.artifacts import skipped
from ml.pipeline.checks import CheckVerdict
from ml.pipeline.publishing import Markdown, publish_scores, score_summary
from ml.pipeline.tables import TABLE_SCHEMAS

AS_OF = pd.Timestamp("2025-06-30")


def test_a_skipped_model_publishes_its_table_empty_with_every_column_and_the_reason():
    reason = "not enough data: needs sales (ecommerce/orders) of 20 customers, found 3"
    artifact = skipped("clv", AS_OF.date(), "0123456789abcdef", reason)
    with duckdb.connect() as con:
        publication = publish_scores(
            con,
            "clv_predictions",
            "expected_value",
            artifact,
            lambda frames: pytest.fail("a skipped model scores nothing"),
        )
        rows = con.execute("select count(*) from ml.clv_predictions").fetchone()[0]
        columns = con.execute(
            "select column_name, lower(data_type) from duckdb_columns() "
            "where schema_name = 'ml' and table_name = 'clv_predictions'"
        ).fetchall()
    assert rows == 0
    assert dict(columns) == TABLE_SCHEMAS["clv_predictions"]
    assert publication.metadata == {
        "dagster/row_count": 0,
        "model_version": "none",
        "as_of": "none",
        "dagster/table_name": "ml.clv_predictions",
        "why_no_model": reason,
    }
    assert publication.drift == CheckVerdict(True, "no scores to compare")


def test_numeric_scores_are_summarised_by_mean_and_deciles_text_scores_by_counts():
    probabilities = pd.DataFrame(
        {
            "churn_probability": [i / 100 for i in range(101)],
            "as_of": AS_OF,
            "model_version": "20250630-0123456789",
        }
    )
    summary = score_summary("churn_predictions", probabilities, "churn_probability")
    assert summary["dagster/row_count"] == 101
    assert summary["model_version"] == "20250630-0123456789"
    assert summary["as_of"] == str(dt.date(2025, 6, 30))
    assert summary["churn_probability_mean"] == pytest.approx(0.5)
    assert summary["churn_probability_p10"] == pytest.approx(0.1)
    assert summary["churn_probability_p90"] == pytest.approx(0.9)

    segments = pd.DataFrame(
        {"segment": ["lost", "champions", "lost"], "as_of": AS_OF, "model_version": "v"}
    )
    counts = score_summary("customer_segments", segments, "segment")["segment_counts"]
    assert isinstance(counts, Markdown)
    assert counts == "| segment | rows |\n|---|---|\n| lost | 2 |\n| champions | 1 |\n"
