"""Customer lifetime value: BG/NBD purchases and P(alive), Gamma-Gamma spend; time in days.

    from ml.clv import summarise_orders, fit_clv
    summary = summarise_orders(orders, as_of="2025-06-30")  # customer_id, ordered_at, amount
    model = fit_clv(summary)                                 # maximum likelihood, both models
    scores = model.score(summary, horizon_days=365)          # p_alive, expected_purchases, ...

Pure numpy/scipy/pandas, no Dagster. Each module's docstring states its model, conventions and
assumptions; docs/ml.md ("CLV") has the measured figures.
"""

from ml.clv.bgnbd import BgNbdModel, fit_bgnbd
from ml.clv.evaluation import HoldoutEvaluation, evaluate_holdout
from ml.clv.gamma_gamma import GammaGammaModel, fit_gamma_gamma
from ml.clv.model import SCORE_COLUMNS, ClvModel, fit_clv
from ml.clv.summary import (
    ORDER_COLUMNS,
    SUMMARY_COLUMNS,
    count_purchases_after,
    summarise_orders,
)

__all__ = [
    "ORDER_COLUMNS",
    "SCORE_COLUMNS",
    "SUMMARY_COLUMNS",
    "BgNbdModel",
    "ClvModel",
    "GammaGammaModel",
    "HoldoutEvaluation",
    "count_purchases_after",
    "evaluate_holdout",
    "fit_bgnbd",
    "fit_clv",
    "fit_gamma_gamma",
    "summarise_orders",
]
