"""Calibration/holdout check of the CLV model against what customers really did next.

Fit on the orders up to `as_of` (calibration), predict each of those customers' repeat purchase
days and value in (as_of, as_of + horizon_days], and compare with the holdout's actual purchase
days and revenue. Customers first seen in the holdout are not scored (the model says nothing of
them). The baseline is the naive historical rate: a customer's repeat purchase days per day of
age so far (frequency / T, 0 when T = 0), projected linearly over the horizon, times their mean
repeat amount for value. Nothing in the holdout is used to fit anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.clv.model import ClvModel, fit_clv
from ml.clv.summary import count_purchases_after, summarise_orders


@dataclass(frozen=True)
class HoldoutEvaluation:
    model: ClvModel  # fitted on the calibration period only
    customers: pd.DataFrame  # per calibration customer: predicted, baseline and actual figures
    metrics: dict[str, float]


def _compare(predicted: pd.Series, baseline: pd.Series, actual: pd.Series, name: str) -> dict:
    return {
        f"actual_{name}": float(actual.sum()),
        f"expected_{name}": float(predicted.sum()),
        f"baseline_{name}": float(baseline.sum()),
        f"mae_{name}": float((predicted - actual).abs().mean()),
        f"mae_{name}_baseline": float((baseline - actual).abs().mean()),
        f"correlation_{name}": float(np.corrcoef(predicted, actual)[0, 1]),
        f"correlation_{name}_baseline": float(np.corrcoef(baseline, actual)[0, 1]),
    }


def evaluate_holdout(
    orders: pd.DataFrame, as_of: dt.date | str | pd.Timestamp, horizon_days: int
) -> HoldoutEvaluation:
    """Fit on orders up to `as_of`, compare predictions for the next `horizon_days` days with
    what happened. Metrics: totals, mean absolute error and Pearson correlation per customer,
    for purchases (repeat purchase days) and value, each beside the naive baseline's."""
    summary = summarise_orders(orders, as_of)
    model = fit_clv(summary)
    scores = model.score(summary, horizon_days)
    actual = count_purchases_after(orders, as_of, horizon_days).reindex(summary.index, fill_value=0)
    rate = (summary["frequency"] / summary["T"]).where(summary["T"] > 0, 0.0)
    customers = pd.DataFrame(
        {
            "expected_purchases": scores["expected_purchases"],
            "baseline_purchases": rate * horizon_days,
            "actual_purchases": actual["purchases"].astype(np.float64),
            "expected_value": scores["expected_value"],
            "baseline_value": rate * horizon_days * summary["monetary_value"],
            "actual_value": actual["revenue"],
        }
    )
    metrics = {"customers": float(len(customers)), "horizon_days": float(horizon_days)}
    for name in ("purchases", "value"):
        metrics |= _compare(
            customers[f"expected_{name}"],
            customers[f"baseline_{name}"],
            customers[f"actual_{name}"],
            name,
        )
    return HoldoutEvaluation(model=model, customers=customers, metrics=metrics)
