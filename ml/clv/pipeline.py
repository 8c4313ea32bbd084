"""CLV: BG/NBD + Gamma-Gamma fitted on every sale up to as_of, scored over the horizon.

The backtest fits the same models on the sales up to an earlier cutoff and compares their
predictions with what customers bought in the window after it (ml.clv.evaluation.evaluate_holdout),
beside the naive historical-rate baseline. Its window is clv_horizon_days when the history
allows, else half the history, so that a young business still gets a measured model.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml.clv.evaluation import evaluate_holdout
from ml.clv.model import fit_clv
from ml.clv.summary import summarise_orders
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from ml.pipeline.frames import FeatureFrames, data_hash

# The artifact's folder and training asset ml/<NAME>_model (asset keys are public: it stays).
NAME = "clv"
MIN_BACKTEST_DAYS = 28  # a shorter window says little about a year's value
MIN_CUSTOMERS = 20  # BG/NBD's four parameters need a few customers with repeat purchases


def backtest_window(frames: FeatureFrames) -> tuple[dt.date, int] | None:
    """(calibration cutoff, horizon days) of the backtest, or None when the history is too short."""
    first_sale = pd.Timestamp(frames.orders["ordered_at"].min()).date()
    history_days = (frames.as_of - first_sale).days
    horizon = min(frames.cutoffs["clv_holdout"].horizon_days, history_days // 2)
    if horizon < MIN_BACKTEST_DAYS:
        return None
    return frames.as_of - dt.timedelta(days=horizon), horizon


def shortfall(frames: FeatureFrames) -> str | None:
    """Why the sales up to as_of cannot fit BG/NBD and Gamma-Gamma, or None."""
    buyers = frames.orders["customer_id"].nunique()
    if buyers < MIN_CUSTOMERS:
        return not_enough_data(
            f"sales (ecommerce/orders) of {MIN_CUSTOMERS} customers up to {frames.as_of}", buyers
        )
    return None


def train_clv(frames: FeatureFrames) -> ModelArtifact:
    orders = frames.orders[["customer_id", "ordered_at", "amount"]]
    horizon = frames.cutoffs["clv_holdout"].horizon_days
    hash_ = data_hash(orders, parameters={"horizon_days": horizon})
    reason = shortfall(frames)
    if reason:
        return skipped(NAME, frames.as_of, hash_, reason, horizon_days=horizon)
    summary = summarise_orders(orders, frames.as_of)
    model = fit_clv(summary)
    metadata = {
        "method": "bg_nbd_gamma_gamma",
        "horizon_days": horizon,
        "training_window": {"orders_until": frames.as_of.isoformat()},
        "features": ["frequency", "recency", "T", "monetary_value"],
        "customers": len(summary),
        "parameters": model.to_dict(),
    }
    window = backtest_window(frames)
    if window is None:
        metadata["backtest"] = "history too short for a backtest window"
        metadata["beats_baseline"] = None
    else:
        cutoff, days = window
        backtest = evaluate_holdout(orders, cutoff, days)
        metrics = backtest.metrics
        metadata["backtest"] = {"cutoff": cutoff.isoformat(), **metrics}
        metadata["beats_baseline"] = bool(
            metrics["mae_value"] < metrics["mae_value_baseline"]
            and metrics["mae_purchases"] < metrics["mae_purchases_baseline"]
        )
    return ModelArtifact(
        name=NAME,
        as_of=frames.as_of,
        data_hash=hash_,
        model=model,
        metadata=metadata,
    )


def score_clv(artifact: ModelArtifact, frames: FeatureFrames) -> pd.DataFrame:
    """ml.clv_predictions rows: every customer with a sale up to as_of."""
    summary = summarise_orders(frames.orders[["customer_id", "ordered_at", "amount"]], frames.as_of)
    horizon = artifact.metadata["horizon_days"]
    scores = artifact.model.score(summary, horizon)
    return pd.DataFrame(
        {
            "customer_id": scores.index.astype(str),
            "p_alive": scores["p_alive"].to_numpy(np.float64),
            "expected_purchases": scores["expected_purchases"].to_numpy(np.float64),
            "expected_order_value": scores["expected_order_value"].to_numpy(np.float64),
            "expected_value": scores["expected_value"].to_numpy(np.float64),
            "horizon_days": np.full(len(scores), horizon, dtype=np.int64),
            "as_of": pd.Timestamp(frames.as_of),
            "model_version": artifact.version,
        }
    )
