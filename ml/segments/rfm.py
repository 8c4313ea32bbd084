"""RFM: recency, frequency and monetary scores with a named segment per customer.

`score_rfm` reads a purchase summary (ml.clv.summarise_orders: days_since_last_purchase,
orders, revenue, one row per customer with at least one order) and gives each customer:

  recency_score, frequency_score, monetary_score   1..5, 5 best (most recent, most orders, most
      revenue). Score = 1 + floor(5 x (average rank - 0.5) / customers): quintiles of the
      mid-rank percentile, so equal values always share a score (the one at the middle of their
      tie group) and row order never matters; with heavy ties (many customers ordered once) some
      scores go unused rather than equal customers being split at random.
  fm_score   (frequency_score + monetary_score) / 2, rounded half up.
  rfm_code   e.g. "545".
  segment    from the R x FM grid below: the widely used R x F map (champions '5[4-5]', loyal
      '[3-4][4-5]', potential loyalists '[4-5][2-3]', new '51', promising '41', need attention
      '33', about to sleep '3[1-2]', at risk '[1-2][3-4]', can't lose '[1-2]5', hibernating
      '[1-2][1-2]') read with FM in place of F, and its hibernating corner split by recency into
      hibernating (R = 2) and lost (R = 1).

      R \\ FM  1               2                    3                    4          5
      5       new             potential_loyalists  potential_loyalists  champions  champions
      4       promising       potential_loyalists  potential_loyalists  loyal      loyal
      3       about_to_sleep  about_to_sleep       need_attention       loyal      loyal
      2       hibernating     hibernating          at_risk              at_risk    cant_lose
      1       lost            lost                 at_risk              at_risk    cant_lose
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
# Recency score -> segment for FM scores 1..5 (the grid in the module docstring).
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
}
RFM_INPUTS = ("days_since_last_purchase", "orders", "revenue")


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1..5 per value, 5 best: 1 + floor(5 x mid-rank percentile). Ties share a score."""
    if values.empty:
        raise ValueError(f"{values.name or 'values'} is empty")
    if values.isna().any():
        raise ValueError(f"{values.name or 'values'} has {int(values.isna().sum())} missing values")
    better = values if higher_is_better else -values
    percentile = (better.rank(method="average") - 0.5) / len(values)  # strictly inside (0, 1)
    return (1 + np.floor(5 * percentile)).astype(np.int64)


def score_rfm(summary: pd.DataFrame) -> pd.DataFrame:
    """R, F, M and FM scores, rfm_code and segment per customer (see the module docstring)."""
    missing = [column for column in RFM_INPUTS if column not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks column(s) {missing}; use ml.clv.summarise_orders")
    recency = quintile_scores(summary["days_since_last_purchase"], higher_is_better=False)
    frequency = quintile_scores(summary["orders"])
    monetary = quintile_scores(summary["revenue"])
    fm = (frequency + monetary + 1) // 2
    grid = np.array([SEGMENT_GRID[r] for r in range(1, 6)], dtype=object)
    return pd.DataFrame(
        {
            "recency_score": recency,
            "frequency_score": frequency,
            "monetary_score": monetary,
            "fm_score": fm,
            "rfm_code": recency.astype(str) + frequency.astype(str) + monetary.astype(str),
            "segment": grid[recency.to_numpy() - 1, fm.to_numpy() - 1],
        },
        index=summary.index,
    )
