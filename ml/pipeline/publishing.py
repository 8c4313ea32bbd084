"""Publishing a model's scores: replace ml.<table> with its rows, describe what was written, and
judge whether the scores drifted from the ones they replace.

    publication = publish_scores(con, "churn_predictions", "churn_probability", artifact,
                                 lambda frames: score_churn(artifact, clv_artifact, frames))
    publication.metadata   # row count, model_version, as_of, table, score summary
    publication.drift      # CheckVerdict of score_distribution_stable

No Dagster here: orchestration/defs/ml.py shows the metadata (Markdown values rendered) and
turns the verdict into the asset check result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import pandas as pd

from ml.pipeline.artifacts import ModelArtifact
from ml.pipeline.checks import CheckVerdict, score_drift
from ml.pipeline.frames import FeatureFrames, read_feature_frames
from ml.pipeline.tables import SCHEMA, no_rows, read_ml_table, write_ml_table


class Markdown(str):
    """Metadata text to be rendered as markdown (a table), not shown as plain text."""


@dataclass(frozen=True)
class Publication:
    metadata: dict[str, object]  # what the materialization reports of the written table
    drift: CheckVerdict  # the new scores against the previous ones


def publish_scores(
    con: duckdb.DuckDBPyConnection,
    table: str,
    score_column: str,
    artifact: ModelArtifact,
    score: Callable[[FeatureFrames], pd.DataFrame],
) -> Publication:
    """Score the feature marts (`score(frames)` -> rows of ml.<table>) and replace ml.<table>.

    When `artifact` was skipped (its inputs too few), ml.<table> is written empty, so that
    customer_360 and the reports still build, and the reason goes into the metadata.
    """
    rows = no_rows(table) if artifact.why_skipped else score(read_feature_frames(con))
    previous = read_ml_table(con, table)
    write_ml_table(con, table, rows)
    metadata = score_summary(table, rows, score_column)
    if artifact.why_skipped:
        metadata["why_no_model"] = artifact.why_skipped
    return Publication(metadata, score_drift(previous, rows, score_column))


def score_summary(table: str, rows: pd.DataFrame, score_column: str) -> dict[str, object]:
    """Row count, model version, as_of and table name; the mean and 10th and 90th percentiles
    of a numeric score, or the rows per value of any other (a markdown table)."""
    summary: dict[str, object] = {
        "dagster/row_count": len(rows),
        "model_version": rows["model_version"].iloc[0] if len(rows) else "none",
        "as_of": str(rows["as_of"].iloc[0].date()) if len(rows) else "none",
        "dagster/table_name": f"{SCHEMA}.{table}",
    }
    scores = rows[score_column]
    if len(rows) and scores.dtype.kind == "f":
        summary |= {
            f"{score_column}_mean": float(scores.mean()),
            f"{score_column}_p10": float(scores.quantile(0.1)),
            f"{score_column}_p90": float(scores.quantile(0.9)),
        }
    elif len(rows):
        counts = scores.value_counts()
        summary[f"{score_column}_counts"] = Markdown(
            f"| {score_column} | rows |\n|---|---|\n"
            + "".join(f"| {value} | {count} |\n" for value, count in counts.items())
        )
    return summary
