"""Time-based validation of the propensity classifier (ml.pipeline.classifier), and its metrics.

Validation (validate_over_time) fits on the earliest rows and measures the latest ones: ROC AUC,
PR AUC, Brier score, log loss, lift in the top decile and a calibration table by decile, beside
two baselines: the training prevalence for everyone, and the best single column (the
"one rule": the training conversion rate of each of its levels or deciles, the column chosen by
training AUC).

    validation = validate_over_time(X, y, created_at)   # earlier period -> later period
    validation.beats_baselines()                        # better ranking and calibration
    metrics = measure(y, probability)                   # AUC, PR AUC, Brier, log loss, lift
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from ml.pipeline.classifier import (
    MISSING_LEVEL,
    ColumnPlan,
    build_model,
    checked_probability,
    plan_columns,
    prepare_columns,
)

BASELINE_PSEUDO_ROWS = 20  # one-rule level rates shrink toward the prevalence by this many rows


@dataclass(frozen=True)
class Metrics:
    rows: int
    positives: int
    prevalence: float
    roc_auc: float
    pr_auc: float
    brier: float
    log_loss: float
    lift_top_decile: float


@dataclass(frozen=True)
class Validation:
    """A time-based validation: fitted on rows before `cutoff`, measured on the rest."""

    cutoff: object
    train_rows: int
    test_rows: int
    model: Metrics
    prevalence_baseline: Metrics
    single_column_baseline: Metrics
    single_column: str
    calibration: pd.DataFrame  # decile, rows, mean_predicted, observed_rate
    plan: ColumnPlan
    fitted: Pipeline  # the model fitted on the earlier period
    test_probability: np.ndarray
    test_outcome: np.ndarray

    def beats_baselines(self) -> bool:
        """Better ranking than the best single column, better calibrated than the prevalence."""
        return (
            self.model.roc_auc > self.single_column_baseline.roc_auc
            and self.model.brier < self.prevalence_baseline.brier
        )


def validate_over_time(
    X: pd.DataFrame,
    y: np.ndarray | pd.Series,
    time: np.ndarray | pd.Series,
    test_share: float = 0.25,
) -> Validation:
    """Fit build_model on the rows before the (1 - test_share) quantile of `time`, measure after.

    `time` orders the rows (a timestamp, a date or a sequence number), aligned with X and y.
    Rows at the cutoff go to the test period.
    """
    y = _checked_outcome(y, len(X))
    time = pd.Series(np.asarray(time), index=X.index)
    if len(time) != len(X) or time.isna().any():
        raise ValueError("time must give every row of X a value")
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be between 0 and 1, got {test_share}")
    cutoff = time.sort_values().iloc[int(len(time) * (1 - test_share))]
    is_train = (time < cutoff).to_numpy()
    X_train, X_test = X[is_train], X[~is_train]
    y_train, y_test = y[is_train], y[~is_train]
    for period, outcome in (("training", y_train), ("test", y_test)):
        if len(np.unique(outcome)) < 2:
            raise ValueError(f"the {period} period needs both outcomes (cutoff {cutoff})")
    fitted = build_model(X_train).fit(X_train, y_train)
    probability = fitted.predict_proba(X_test)[:, 1]
    single_column, single_column_probability = _one_rule(X_train, y_train, X_test)
    return Validation(
        cutoff=cutoff,
        train_rows=len(X_train),
        test_rows=len(X_test),
        model=measure(y_test, probability),
        prevalence_baseline=measure(y_test, np.full(len(y_test), y_train.mean())),
        single_column_baseline=measure(y_test, single_column_probability),
        single_column=single_column,
        calibration=calibration_table(y_test, probability),
        plan=plan_columns(X_train),
        fitted=fitted,
        test_probability=probability,
        test_outcome=y_test,
    )


def measure(y: np.ndarray, probability: np.ndarray) -> Metrics:
    """Ranking, calibration and lift metrics of predicted probabilities against outcomes."""
    y = _checked_outcome(y, len(probability))
    probability = checked_probability(probability)
    if len(np.unique(y)) < 2:
        raise ValueError("metrics need both outcomes among the rows")
    return Metrics(
        rows=len(y),
        positives=int(y.sum()),
        prevalence=float(y.mean()),
        roc_auc=float(roc_auc_score(y, probability)),
        pr_auc=float(average_precision_score(y, probability)),
        brier=float(brier_score_loss(y, probability)),
        log_loss=float(log_loss(y, np.clip(probability, 1e-6, 1 - 1e-6), labels=[0, 1])),
        lift_top_decile=lift_at(y, probability, 0.1),
    )


def lift_at(y: np.ndarray, probability: np.ndarray, share: float) -> float:
    """Outcome rate among the `share` highest probabilities over the overall rate.

    Ties at the boundary count in proportion, so a constant prediction has lift 1.
    """
    y = np.asarray(y, dtype=float)
    probability = np.asarray(probability, dtype=float)
    take = share * len(y)
    threshold = np.sort(probability)[::-1][max(int(np.ceil(take)) - 1, 0)]
    above = probability > threshold
    at = probability == threshold
    weight = above + at * (take - above.sum()) / at.sum()
    return float((weight * y).sum() / take / y.mean())


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, per quantile bin of predictions."""
    frame = pd.DataFrame({"outcome": np.asarray(y, dtype=float), "predicted": probability})
    ranks = frame["predicted"].rank(method="first")
    frame["decile"] = pd.qcut(ranks, min(bins, len(frame)), labels=False) + 1
    return (
        frame.groupby("decile")
        .agg(
            rows=("outcome", "size"),
            mean_predicted=("predicted", "mean"),
            observed_rate=("outcome", "mean"),
        )
        .reset_index()
    )


def _checked_outcome(y, rows: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != rows:
        raise ValueError(f"outcome must be 1-d with one value per row ({rows}), got {y.shape}")
    if pd.isna(y).any() or not np.isin(y, [0, 1, True, False]).all():
        raise ValueError("outcome must be 0/1 (or boolean) without missing values")
    return y.astype(np.int64)


def _one_rule(X_train: pd.DataFrame, y_train: np.ndarray, X_test: pd.DataFrame):
    """The single column whose per-level training rates rank the training rows best."""
    plan = plan_columns(X_train)
    train = prepare_columns(X_train, plan.numeric, plan.categorical)
    test = prepare_columns(X_test, plan.numeric, plan.categorical)
    prevalence = y_train.mean()
    best_column, best_auc, best_test = None, -1.0, None
    for column in plan.used:
        train_levels, test_levels = _levels(train[column], test[column])
        outcome = pd.Series(y_train, index=train_levels.index)
        counts = outcome.groupby(train_levels).agg(["sum", "size"])
        rate = (counts["sum"] + BASELINE_PSEUDO_ROWS * prevalence) / (
            counts["size"] + BASELINE_PSEUDO_ROWS
        )
        auc = roc_auc_score(y_train, train_levels.map(rate).to_numpy(dtype=float))
        if auc > best_auc:
            best_column, best_auc = column, auc
            best_test = test_levels.map(rate).fillna(prevalence).to_numpy(dtype=float)
    return best_column, best_test


def _levels(train: pd.Series, test: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Levels of a column for the one-rule: categories as they are, numbers by training decile."""
    if train.dtype == object:
        return train.fillna(MISSING_LEVEL), test.fillna(MISSING_LEVEL)
    edges = np.unique(np.nanquantile(train, np.linspace(0, 1, 11)))
    inner = edges[1:-1]

    def bin_of(values: pd.Series) -> pd.Series:
        bins = pd.Series(np.searchsorted(inner, values, side="right"), index=values.index)
        return bins.where(values.notna(), -1)

    return bin_of(train), bin_of(test)
