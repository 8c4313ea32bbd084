"""`binesh evaluate ml`: every model measured on time-based holdouts of the warehouse's own
history, and against the simulator's ground truth (<landing>/_truth) where it has one.

- segments: adjusted Rand index of the behavioural clusters and of the RFM segments against
  the true personas (each customer_id takes the person behind most of its records);
- leads: AUC, PR-AUC, Brier score and top-decile lift on the later leads of the time split,
  beside the prevalence and best-single-column baselines;
- churn: the same one horizon back (trained at churn_backtest, measured at churn_training),
  beside the recency and churn-rate baselines; and the AUC of today's churn_probability
  against the simulator's true churn (a person churned by as_of);
- CLV: predicted against realised repeat purchases and value after the backtest cutoff, beside
  the naive historical-rate baseline;
- next best offer: hit-rate@10 on the time split against the ten most popular products.

Everything is recomputed from the feature marts with the same training functions the assets
use (deterministic), so the figures are those of the models in the warehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from ml.churn import pipeline as churn
from ml.churn.retention_list import INPUTS as RETENTION_INPUTS
from ml.churn.retention_list import retention_list
from ml.clv import pipeline as clv
from ml.leads import pipeline as leads
from ml.offers import pipeline as offers
from ml.pipeline.artifacts import ModelArtifact
from ml.pipeline.frames import read_feature_frames
from ml.segments import adjusted_rand_index
from ml.segments import pipeline as segments
from sources.readers import table_exists


@dataclass
class MLEvaluation:
    as_of: str
    figures: dict[str, dict[str, object]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"as_of": self.as_of, **self.figures}

    def format(self) -> str:
        lines = [f"ML evaluation as of {self.as_of} (time-based holdouts; truth from _truth/)"]
        for model, figures in self.figures.items():
            lines.append(f"\n{model}")
            for name, value in figures.items():
                shown = f"{value:.3f}" if isinstance(value, float) else str(value)
                lines.append(f"  {name:<38} {shown}")
        return "\n".join(lines)


def customer_personas(
    con: duckdb.DuckDBPyConnection, truth_dir: Path
) -> tuple[pd.Series, pd.Series]:
    """The true persona and person of each customer_id: the person behind most of its records."""
    identity = pd.read_csv(truth_dir / "identity.csv", dtype=str)
    persons = pd.read_csv(truth_dir / "persons.csv", dtype=str, usecols=["person_id", "persona"])
    con.register("truth_identity", identity)
    try:
        majority = con.execute(
            """
            select map.customer_id, mode(truth.person_id) as person_id
            from marts.customer_identity_map as map
            join truth_identity as truth using (source, source_table, source_key)
            where map.customer_id is not null
            group by 1
            """
        ).df()
    finally:
        con.unregister("truth_identity")
    personas = majority.merge(persons, on="person_id").set_index("customer_id")
    return personas["persona"], personas["person_id"]


def validation_figures(artifact: ModelArtifact, baselines: tuple[str, ...]) -> dict:
    validation = artifact.metadata.get("validation")
    if validation is None:
        return {
            "status": artifact.metadata.get("why_no_classifier")
            or artifact.metadata.get("why_no_model")
        }
    figures = {}
    for metric in ("roc_auc", "pr_auc", "brier", "lift_top_decile"):
        figures[f"{metric}"] = validation["model"][metric]
        for baseline in baselines:
            figures[f"{metric} ({baseline.replace('_baseline', '')} baseline)"] = validation[
                baseline
            ][metric]
    figures["test rows"] = validation["model"]["rows"]
    figures["beats baseline"] = artifact.metadata["beats_baseline"]
    return figures


def evaluate_ml(con: duckdb.DuckDBPyConnection, truth_dir: Path) -> MLEvaluation:
    frames = read_feature_frames(con)
    evaluation = MLEvaluation(as_of=frames.as_of.isoformat())
    personas, person_ids = customer_personas(con, truth_dir)

    segmentation_artifact = segments.train_segments(frames)
    if segmentation_artifact.why_skipped:
        evaluation.figures["segments"] = {"status": segmentation_artifact.why_skipped}
    else:
        segment_rows = segments.score_segments(segmentation_artifact, frames)
        segment_rows = segment_rows.set_index("customer_id")
        known = segment_rows.index.intersection(personas.index)
        evaluation.figures["segments"] = {
            "customers": len(known),
            "clusters (k)": segmentation_artifact.metadata["k"],
            "ARI clusters vs personas": adjusted_rand_index(
                segment_rows.loc[known, "cluster"], personas.loc[known]
            ),
            "ARI RFM segments vs personas": adjusted_rand_index(
                segment_rows.loc[known, "segment"], personas.loc[known]
            ),
        }

    evaluation.figures["lead scoring"] = validation_figures(
        leads.train_lead_model(frames), ("prevalence_baseline", "single_column_baseline")
    )

    clv_artifact = clv.train_clv(frames)
    churn_artifact = churn.train_churn(frames)
    churn_figures = validation_figures(churn_artifact, ("prevalence_baseline", "recency_baseline"))
    if not churn_artifact.why_skipped:
        predictions = churn.score_churn(churn_artifact, clv_artifact, frames)
        truly_churned = true_churn(truth_dir, person_ids, frames.as_of)
        scored = predictions.set_index("customer_id").join(truly_churned, how="inner")
        if scored["has_churned"].nunique() == 2:
            churn_figures["AUC vs true churn by as_of"] = float(
                roc_auc_score(scored["has_churned"], scored["churn_probability"])
            )
    evaluation.figures["churn"] = churn_figures
    evaluation.figures["retention list"] = retention_figures(con, truth_dir, person_ids, frames)

    backtest = clv_artifact.why_skipped or clv_artifact.metadata["backtest"]
    if isinstance(backtest, str):
        evaluation.figures["clv"] = {"status": backtest}
    else:
        evaluation.figures["clv"] = {
            key: backtest[key]
            for key in (
                "cutoff", "horizon_days", "customers", "actual_purchases", "expected_purchases",
                "baseline_purchases", "mae_purchases", "mae_purchases_baseline", "actual_value",
                "expected_value", "baseline_value", "mae_value", "mae_value_baseline",
                "correlation_value", "correlation_value_baseline",
            )
        } | {"beats baseline": clv_artifact.metadata["beats_baseline"]}  # fmt: skip

    offer_evaluation = offers.train_offer_model(frames).metadata
    offer_status = offer_evaluation.get("why_no_model") or offer_evaluation["evaluation"]
    if isinstance(offer_status, str):
        evaluation.figures["next best offer"] = {"status": offer_status}
    else:
        figures = offer_evaluation["evaluation"]
        evaluation.figures["next best offer"] = {
            "customers": figures["customers"],
            f"hit_rate@{figures['k']}": figures["hit_rate"],
            f"hit_rate@{figures['k']} (popularity baseline)": figures["baseline_hit_rate"],
            f"recall@{figures['k']}": figures["recall"],
            f"recall@{figures['k']} (popularity baseline)": figures["baseline_recall"],
            "beats baseline": offer_evaluation["beats_baseline"],
        }
    return evaluation


def retention_figures(con, truth_dir: Path, person_ids: pd.Series, frames) -> dict:
    """The warehouse's retention list (what the insight report shows): its size and value at
    risk, who was left out, and how many of those listed and left out as lapsed had truly
    stopped buying by as_of (the list should hold customers still there to keep)."""
    if not all(table_exists(con, *table.split(".")) for table in RETENTION_INPUTS):
        return {"status": "no churn, CLV or customer 360 tables in the warehouse"}
    listed = retention_list(con)
    figures = {
        "customers listed": len(listed.customers),
        "value at risk": round(listed.value_at_risk, 2),
        "left out: lapsed": listed.lapsed,
        "left out: no consent": listed.without_consent,
    }
    churned = true_churn(truth_dir, person_ids, frames.as_of)
    on_list = churned.reindex(listed.customers["customer_id"]).dropna()
    if len(on_list):
        figures["listed who had truly churned"] = float(on_list.mean())
    return figures


def true_churn(truth_dir: Path, person_ids: pd.Series, as_of) -> pd.Series:
    """has_churned per customer_id: the simulator's person had churned on or before as_of."""
    persons = pd.read_csv(truth_dir / "persons.csv", usecols=["person_id", "churned_at"])
    churned_at = pd.to_datetime(persons.set_index("person_id")["churned_at"])
    has_churned = churned_at.le(pd.Timestamp(as_of)).fillna(False)
    return person_ids.map(has_churned).dropna().astype(int).rename("has_churned")


def to_json(evaluation: MLEvaluation) -> str:
    return json.dumps(evaluation.as_dict(), indent=2, default=_plain)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else str(value)
