"""CLV = BG/NBD expected purchases x Gamma-Gamma expected order value, over a horizon in days.

Expected value is undiscounted: expected repeat purchases in the next `horizon_days` days times
the expected amount per purchase, which assumes (as the Gamma-Gamma model does) that how much a
customer spends per purchase is independent of how often they buy. Value from the customer's
first purchase is history, not prediction, and is not included.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ml.clv.bgnbd import BgNbdModel, fit_bgnbd
from ml.clv.gamma_gamma import GammaGammaModel, fit_gamma_gamma

SCORE_COLUMNS = ("p_alive", "expected_purchases", "expected_order_value", "expected_value")


@dataclass(frozen=True)
class ClvModel:
    """A fitted BG/NBD (purchases) and Gamma-Gamma (spend) pair; time in days."""

    purchases: BgNbdModel
    spend: GammaGammaModel

    def to_dict(self) -> dict[str, dict[str, float]]:
        """Parameters and fit statistics, JSON-ready (for model artifacts and metadata)."""
        return asdict(self)

    def score(self, summary: pd.DataFrame, horizon_days: float) -> pd.DataFrame:
        """SCORE_COLUMNS for each row of a summary (see ml.clv.summary), on its index.

        p_alive: probability the customer is still active as of the summary's cutoff;
        expected_purchases: expected repeat purchase days in the next `horizon_days` days;
        expected_order_value: expected amount per future purchase;
        expected_value: their product, undiscounted.
        """
        history = (summary["frequency"], summary["recency"], summary["T"])
        purchases = self.purchases.expected_purchases(horizon_days, *history)
        order_value = self.spend.expected_order_value(
            summary["frequency"], summary["monetary_value"]
        )
        return pd.DataFrame(
            {
                "p_alive": self.purchases.p_alive(*history),
                "expected_purchases": purchases,
                "expected_order_value": order_value,
                "expected_value": purchases * order_value,
            },
            index=summary.index,
        )


def fit_clv(summary: pd.DataFrame) -> ClvModel:
    """Fit both models on a summary from ml.clv.summary.summarise_orders (one row per customer)."""
    missing = {"frequency", "recency", "T", "monetary_value"} - set(summary.columns)
    if missing:
        raise ValueError(f"summary lacks column(s) {sorted(missing)}; use summarise_orders")
    return ClvModel(
        purchases=fit_bgnbd(summary["frequency"], summary["recency"], summary["T"]),
        spend=fit_gamma_gamma(summary["frequency"], summary["monetary_value"]),
    )
