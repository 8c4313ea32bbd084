"""What the ML asset checks test: point-in-time correctness of the features, score drift, and
whether a trained model beats its baseline. Verdicts are plain data (CheckVerdict): the Dagster
wiring (orchestration/defs/ml.py) turns them into asset check results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from ml.pipeline.artifacts import ModelArtifact
from ml.pipeline.frames import FEATURE_SCHEMA

# (feature mart, the day each row's event happened): none may fall after the scoring cutoff
EVENT_DAYS = {
    "customer_orders": "ordered_date",
    "customer_product_events": "cast(occurred_at as date)",
    "lead_features": "cast(created_at as date)",
    "offer_campaigns": "cast(started_at as date)",
}
# features counting days since an event: negative means an event after the row's cutoff
DAYS_SINCE = (
    "days_since_first_order",
    "days_since_last_order",
    "days_since_last_session",
    "days_since_last_email_engagement",
    "days_since_first_seen",
)
DRIFT_LIMIT = 0.25  # population stability index above which a score distribution "shifted"
# Where an artifact explains its verdict against the baseline (or why it has none), in order.
BASELINE_REASON_KEYS = ("why_no_classifier", "why_no_model", "backtest", "evaluation")


@dataclass(frozen=True)
class CheckVerdict:
    """The outcome of one check: passed or not, why, and its figures. A failed check is an error
    unless is_warning (a verdict that could not be measured rather than a bad one)."""

    passed: bool
    description: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)
    is_warning: bool = False


def leakage_findings(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every way the feature marts break point-in-time correctness; empty when they hold.

    Besides bounds on event dates and label windows, the purchase features at each cutoff are
    recomputed from the sales up to that cutoff: a feature that counted a later sale differs.
    """
    schema = FEATURE_SCHEMA
    findings = []
    as_of = con.execute(
        f"select cutoff_date from {schema}.feature_cutoffs where cutoff_name = 'scoring'"
    ).fetchone()[0]
    for table, day in EVENT_DAYS.items():
        late = con.execute(
            f"select count(*) from {schema}.{table} where {day} > ?", [as_of]
        ).fetchone()[0]
        if late:
            findings.append(f"{table}: {late} rows dated after as_of {as_of}")
    open_windows = con.execute(
        f"select count(*) from {schema}.customer_labels "
        "where cutoff_date + horizon_days * interval 1 day > ?",
        [as_of],
    ).fetchone()[0]
    if open_windows:
        findings.append(f"customer_labels: {open_windows} label windows end after as_of")
    for column in DAYS_SINCE:
        negative = con.execute(
            f"select count(*) from {schema}.customer_features where {column} < 0"
        ).fetchone()[0]
        if negative:
            findings.append(f"customer_features.{column}: {negative} rows count a later event")
    mismatched = con.execute(
        f"""
        with recomputed as (
            select features.cutoff_name, features.customer_id,
                   count(orders.order_id) as orders, max(orders.ordered_date) as last_order_date
            from {schema}.customer_features as features
            left join {schema}.customer_orders as orders
                on orders.customer_id = features.customer_id
                and orders.ordered_date <= features.cutoff_date
            group by all
        )
        select count(*)
        from {schema}.customer_features as features
        join recomputed using (cutoff_name, customer_id)
        where features.orders <> recomputed.orders
            or features.last_order_date is distinct from recomputed.last_order_date
        """
    ).fetchone()[0]
    if mismatched:
        findings.append(
            f"customer_features: {mismatched} rows whose orders or last order date differ "
            "from the sales up to their cutoff"
        )
    return findings


def population_stability(previous: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """Population stability index of `current` against `previous` (0 = same distribution).

    Numbers are binned at the deciles of `previous`; text by value. Around 0.1 is a small
    shift, above 0.25 a large one.
    """
    previous, current = previous.dropna(), current.dropna()
    if previous.empty or current.empty:
        raise ValueError("population stability needs values on both sides")
    if pd.api.types.is_numeric_dtype(previous) and pd.api.types.is_numeric_dtype(current):
        edges = np.unique(np.quantile(previous.astype(float), np.linspace(0, 1, bins + 1)))
        edges[0], edges[-1] = -np.inf, np.inf
        before = np.histogram(previous.astype(float), edges)[0]
        after = np.histogram(current.astype(float), edges)[0]
    else:
        levels = sorted(set(previous.astype(str)) | set(current.astype(str)))
        before = previous.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
        after = current.astype(str).value_counts().reindex(levels, fill_value=0).to_numpy()
    share_before = np.maximum(before / before.sum(), 1e-4)
    share_after = np.maximum(after / after.sum(), 1e-4)
    return float(np.sum((share_after - share_before) * np.log(share_after / share_before)))


def score_drift(
    previous: pd.DataFrame | None, rows: pd.DataFrame, score_column: str
) -> CheckVerdict:
    """Whether the new scores (`rows`) are distributed like the `previous` ones (None before the
    first scoring): fails on missing scores or a population stability index over DRIFT_LIMIT."""
    scores = rows[score_column]
    missing = int(scores.isna().sum()) if len(rows) else 0
    if missing:
        return CheckVerdict(False, f"{missing} of {len(rows)} rows have no {score_column}")
    if not len(rows):
        return CheckVerdict(True, "no scores to compare")
    if previous is None or not previous[score_column].notna().any():
        return CheckVerdict(True, "no previous scores")
    stability = population_stability(previous[score_column], scores)
    return CheckVerdict(
        passed=stability <= DRIFT_LIMIT,
        metadata={
            "population_stability_index": stability,
            "limit": DRIFT_LIMIT,
            "previous_model_version": str(previous["model_version"].iloc[0]),
        },
    )


def baseline_verdict(artifact: ModelArtifact) -> CheckVerdict:
    """Whether the trained model beat its baseline in its time-based validation. Not measurable
    (too little history) is a warning; measured and worse is an error."""
    beats = artifact.metadata.get("beats_baseline")
    reason = next(
        (
            artifact.metadata[key]
            for key in BASELINE_REASON_KEYS
            if isinstance(artifact.metadata.get(key), str)
        ),
        None,
    )
    return CheckVerdict(
        passed=bool(beats),
        description=reason
        or ("better than its baseline" if beats else "no better than its baseline"),
        metadata={"model_version": artifact.version},
        is_warning=beats is None,
    )
