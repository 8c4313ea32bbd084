"""Maximum likelihood over log-parameters, shared by the BG/NBD and Gamma-Gamma fits."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

# Log-parameters stay within e^-20 .. e^20: wide enough for any unit, finite in the line search.
LOG_BOUND = 20.0
# gtol bounds the mean log-likelihood's gradient: about 5 significant figures in the parameters;
# much tighter only ends in line-search noise.
GRADIENT_TOLERANCE = 1e-6
# L-BFGS-B also stops "ABNORMAL" when its line search can make no more progress, which happens
# on a flat ridge of the likelihood: data with almost no dropout, or spend that hardly varies
# within a customer, send a parameter towards infinity with a ratio fixed. A point whose
# gradient is this small is a maximum for every practical purpose, and it is accepted.
RIDGE_GRADIENT_TOLERANCE = 1e-4


def fit_log_parameters(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray, model: str
) -> np.ndarray:
    """The log-parameters minimising `objective` (mean negative log-likelihood and its gradient
    in the log-parameters); RuntimeError naming `model` when the optimiser fails."""
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-LOG_BOUND, LOG_BOUND)] * len(start),
        options={"ftol": 1e-12, "gtol": GRADIENT_TOLERANCE, "maxiter": 1000},
    )
    on_ridge = np.all(np.isfinite(result.jac)) and np.abs(result.jac).max() < (
        RIDGE_GRADIENT_TOLERANCE
    )
    if not (result.success or on_ridge):
        raise RuntimeError(f"{model} fit did not converge: {result.message}")
    return result.x
