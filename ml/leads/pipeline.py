"""Lead scoring: the probability that an open lead converts within lead_conversion_days.

Trained on every lead whose window had passed by as_of (lead_features.is_converted_in_window
known), from what was known when it was created: channel, campaign, weekday and hour, the CRM's
custom attributes and the person's earlier activity. Time-based validation
(ml.pipeline.classifier_validation.validate_over_time): fitted on the earliest 75% of those
leads, measured on the latest 25%, beside the prevalence and best-single-column baselines.
The scoring model is then fitted on all of them and scores the open leads (created within
their window, not converted by as_of).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.pipeline import plots
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from ml.pipeline.classifier import build_model, explain, to_grade, to_score
from ml.pipeline.classifier_validation import validate_over_time
from ml.pipeline.frames import FeatureFrames, data_hash

# The artifact's folder and training asset ml/<NAME>_model (asset keys are public: it stays).
NAME = "lead_scoring"
CLASSIFIER = "logistic_regression"
MIN_ROWS = 60
MIN_PER_OUTCOME = 10  # converted and not converted leads in each period of the time split
NOT_FEATURES = ("lead_id", "customer_id", "created_at", "is_converted_in_window", "is_open")
TEST_SHARE = 0.25


def lead_attributes(leads: pd.DataFrame) -> pd.DataFrame:
    return leads.set_index("lead_id").drop(columns=[c for c in NOT_FEATURES if c != "lead_id"])


def shortfall(labelled: pd.DataFrame) -> str | None:
    """Why the labelled leads cannot train and validate a classifier over time, or None."""
    if len(labelled) < MIN_ROWS:
        return not_enough_data(f"{MIN_ROWS} leads (crm/leads) with a known outcome", len(labelled))
    # the split of validate_over_time: rows from the (1 - TEST_SHARE) quantile of time are test
    times = labelled["created_at"].sort_values()
    is_test = labelled["created_at"] >= times.iloc[int(len(times) * (1 - TEST_SHARE))]
    for period, rows in (("earlier", labelled[~is_test]), ("later", labelled[is_test])):
        converted = int(rows["is_converted_in_window"].sum())
        if min(converted, len(rows) - converted) < MIN_PER_OUTCOME:
            return not_enough_data(
                f"{MIN_PER_OUTCOME} converted and {MIN_PER_OUTCOME} unconverted leads in the "
                f"{period} period of the time split",
                f"{converted} converted of {len(rows)}",
            )
    return None


def train_lead_model(frames: FeatureFrames) -> ModelArtifact:
    leads = frames.leads
    labelled = leads[leads["is_converted_in_window"].notna()]
    window = frames.cutoffs["lead_training"]
    metadata = {
        "horizon_days": window.horizon_days,
        "training_window": {
            "leads_created_until": window.date.isoformat(),
            "outcomes_until": frames.as_of.isoformat(),
        },
        "training_rows": len(labelled),
    }
    hash_ = data_hash(leads, parameters={"horizon_days": window.horizon_days})
    reason = shortfall(labelled)
    if reason:
        return skipped(NAME, frames.as_of, hash_, reason, **metadata)
    X = lead_attributes(labelled)
    y = labelled["is_converted_in_window"].astype(int).to_numpy()
    validation = validate_over_time(X, y, labelled["created_at"], TEST_SHARE)
    model = build_model(X).fit(X, y)
    test_y, test_p = validation.test_outcome, validation.test_probability
    metadata |= {
        "method": CLASSIFIER,
        "conversion_rate": float(y.mean()),
        "features": validation.plan.used,
        "dropped_columns": validation.plan.dropped,
        "validation": {
            "split_at": str(validation.cutoff),
            "train_rows": validation.train_rows,
            "test_rows": validation.test_rows,
            "model": vars(validation.model),
            "prevalence_baseline": vars(validation.prevalence_baseline),
            "single_column_baseline": vars(validation.single_column_baseline),
            "single_column": validation.single_column,
        },
        "beats_baseline": bool(validation.beats_baselines()),
        "calibration": validation.calibration.to_dict(orient="records"),
    }
    earlier = (labelled["created_at"] < validation.cutoff).to_numpy()
    prevalence = np.full(len(test_y), y[earlier].mean())
    return ModelArtifact(
        NAME,
        frames.as_of,
        hash_,
        model,
        metadata,
        plots={
            "roc": plots.roc_plot(test_y, test_p, prevalence, "lead scoring ROC (time split)"),
            "calibration": plots.calibration_plot(validation.calibration, "lead calibration"),
            "lift": plots.lift_plot(test_y, test_p, "lead lift"),
        },
    )


def score_leads(artifact: ModelArtifact, frames: FeatureFrames) -> pd.DataFrame:
    """ml.lead_scores rows: every open lead."""
    open_leads = frames.leads[frames.leads["is_open"]]
    X = lead_attributes(open_leads)
    if len(X):
        probability = artifact.model.predict_proba(X)[:, 1]
        reasons = explain(artifact.model, X).to_numpy()
    else:
        probability, reasons = np.empty(0), np.empty(0, dtype=object)
    return pd.DataFrame(
        {
            "lead_id": open_leads["lead_id"].astype(str).to_numpy(),
            "customer_id": open_leads["customer_id"].astype(object).to_numpy(),
            "conversion_probability": probability.astype(np.float64),
            "score": to_score(probability) if len(X) else np.empty(0, np.int64),
            "grade": to_grade(probability) if len(X) else np.empty(0, object),
            "top_reasons": reasons,
            "as_of": pd.Series(pd.Timestamp(frames.as_of), index=range(len(X))),
            "model_version": pd.Series(artifact.version, index=range(len(X)), dtype=object),
        }
    )
