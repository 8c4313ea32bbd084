"""Churn: the probability that a customer who has bought makes no purchase within the horizon.

Training is honest by construction (feature_cutoffs): the model that scores is fitted on the
features at churn_training (as_of - horizon) and the labels of the horizon after it, which ends
at as_of. Its time-based validation fits the same recipe one horizon earlier (churn_backtest)
and measures it on churn_training's customers and labels, beside two baselines: the training
churn rate for everyone (calibration) and recency alone (ranking; the RFM rule of thumb).

When the history is too short for that (too few labelled customers, or one outcome only), no
classifier is trained: churn_probability is 1 - P(alive) of the BG/NBD model (ml.clv), and
every row says so in `method`. With too few sales for BG/NBD as well, churn is skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.clv import pipeline as clv
from ml.pipeline import plots
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from ml.pipeline.classifier import build_model, explain, plan_columns, to_risk_band
from ml.pipeline.classifier_validation import calibration_table, measure
from ml.pipeline.frames import FeatureFrames, data_hash

# The artifact's folder and training asset ml/<NAME>_model (asset keys are public: it stays).
NAME = "churn"
CLASSIFIER = "logistic_regression"
FALLBACK = "bg_nbd_1_minus_p_alive"
MIN_ROWS = 100  # labelled customers at each cutoff
MIN_PER_OUTCOME = 20  # churned and retained customers at each cutoff
NOT_FEATURES = ("cutoff_name", "cutoff_date", "first_order_date", "last_order_date")


def labelled(frames: FeatureFrames, cutoff_name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Features (X) and churn outcomes (y) of the customers labelled at a cutoff."""
    labels = frames.labels_at(cutoff_name)
    features = frames.features_at(cutoff_name).drop(columns=list(NOT_FEATURES))
    X = features.loc[labels.index]
    return X, labels["is_churned"].astype(int).to_numpy()


CLASSIFIER_NEEDS = f"{MIN_ROWS} labelled customers with {MIN_PER_OUTCOME} of each outcome"


def shortfall(y: np.ndarray) -> str | None:
    """Why a cutoff's labels cannot train or test a classifier, or None."""
    churned = int(y.sum())
    if len(y) < MIN_ROWS or min(churned, len(y) - churned) < MIN_PER_OUTCOME:
        return not_enough_data(CLASSIFIER_NEEDS, f"{len(y)} ({churned} churned)")
    return None


def recency_baseline(X: pd.DataFrame) -> np.ndarray:
    """Recency as a score in [0, 1]: the longer since the last order, the likelier churn."""
    return X["days_since_last_order"].rank(pct=True).to_numpy()


def train_churn(frames: FeatureFrames) -> ModelArtifact:
    horizon = frames.cutoffs["churn_training"].horizon_days
    X_train, y_train = labelled(frames, "churn_training")
    X_backtest, y_backtest = labelled(frames, "churn_backtest")
    training_window = {
        "features_until": frames.cutoffs["churn_training"].date.isoformat(),
        "labels_until": frames.as_of.isoformat(),
        "backtest_features_until": frames.cutoffs["churn_backtest"].date.isoformat(),
    }
    hash_ = data_hash(
        X_train.reset_index(), X_backtest.reset_index(), pd.DataFrame({"y": y_train}),
        parameters={"horizon_days": horizon},
    )  # fmt: skip
    reason = shortfall(y_train) or shortfall(y_backtest)
    if reason and clv.shortfall(frames):  # no classifier, nor the BG/NBD model to fall back on
        buyers = frames.orders["customer_id"].nunique()
        both = not_enough_data(
            f"{CLASSIFIER_NEEDS} for a classifier, or sales (ecommerce/orders) of "
            f"{clv.MIN_CUSTOMERS} customers for the BG/NBD fallback",
            f"{len(y_train)} labelled ({int(y_train.sum())} churned) and {buyers} with sales",
        )
        return skipped(
            NAME, frames.as_of, hash_, both, horizon_days=horizon, training_window=training_window
        )
    if reason:
        return ModelArtifact(
            name=NAME,
            as_of=frames.as_of,
            data_hash=hash_,
            model=None,
            metadata={
                "method": FALLBACK,
                "why_no_classifier": reason,
                "horizon_days": horizon,
                "training_window": training_window,
                "beats_baseline": None,
            },
        )
    backtest_model = build_model(X_backtest).fit(X_backtest, y_backtest)
    probability = backtest_model.predict_proba(X_train)[:, 1]
    baseline = recency_baseline(X_train)
    metrics = measure(y_train, probability)
    prevalence = measure(y_train, np.full(len(y_train), y_backtest.mean()))
    recency = measure(y_train, baseline)
    calibration = calibration_table(y_train, probability)
    model = build_model(X_train).fit(X_train, y_train)
    return ModelArtifact(
        name=NAME,
        as_of=frames.as_of,
        data_hash=hash_,
        model=model,
        metadata={
            "method": CLASSIFIER,
            "horizon_days": horizon,
            "training_window": training_window,
            "training_rows": len(y_train),
            "churn_rate": float(y_train.mean()),
            "features": plan_columns(X_train).used,
            "validation": {
                "model": vars(metrics),
                "prevalence_baseline": vars(prevalence),
                "recency_baseline": vars(recency),
            },
            "beats_baseline": bool(
                metrics.roc_auc > recency.roc_auc and metrics.brier < prevalence.brier
            ),
            "calibration": calibration.to_dict(orient="records"),
        },
        plots={
            "roc": plots.roc_plot(y_train, probability, baseline, "churn ROC (time split)"),
            "calibration": plots.calibration_plot(calibration, "churn calibration"),
            "lift": plots.lift_plot(y_train, probability, "churn lift"),
        },
    )


def score_churn(
    artifact: ModelArtifact, clv_artifact: ModelArtifact, frames: FeatureFrames
) -> pd.DataFrame:
    """ml.churn_predictions rows: every customer with a sale up to as_of.

    clv_artifact: the CLV model, whose P(alive) the fallback scores with; unused by the
    classifier.
    """
    features = frames.features_at("scoring")
    buyers = features[features["orders"] > 0]
    if artifact.method == CLASSIFIER:
        X = buyers.drop(columns=list(NOT_FEATURES))
        probability = artifact.model.predict_proba(X)[:, 1]
        drivers = explain(artifact.model, X).to_numpy()
    else:
        clv_scores = clv.score_clv(clv_artifact, frames)
        p_alive = clv_scores.set_index("customer_id")["p_alive"].reindex(buyers.index)
        if p_alive.isna().any():
            raise ValueError(f"{int(p_alive.isna().sum())} buyers have no CLV score")
        probability = 1 - p_alive.to_numpy()
        drivers = (
            "no churn classifier yet (history too short); 1 - P(alive) from "
            + buyers["orders"].astype(str)
            + " orders, last "
            + buyers["days_since_last_order"].astype(str)
            + " days ago"
        ).to_numpy()
    return pd.DataFrame(
        {
            "customer_id": buyers.index.astype(str),
            "churn_probability": probability.astype(np.float64),
            "risk_band": to_risk_band(probability),
            "top_drivers": drivers,
            "method": artifact.method,
            "horizon_days": np.full(len(buyers), artifact.metadata["horizon_days"], np.int64),
            "as_of": pd.Timestamp(frames.as_of),
            "model_version": artifact.version,
        }
    )
