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
# on a flat ridge of the likelihood: customers who all buy at much the same rate (r and alpha
# run off together), data with almost no dropout (a and b), spend that hardly varies within a
# customer (p and gamma), or a history too short to tell (a and b both to 0). A derivative-free
# Nelder-Mead polish from where L-BFGS-B stopped then decides: the point it converges to is the
# fit; if it does not converge, the stop is accepted when the polish gained less than this in
# the mean log-likelihood per customer (any point on a flat ridge is a maximum in practice).
RIDGE_TOLERANCE = 1e-6
POLISH_ROUNDS = 3


def fit_log_parameters(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], start: np.ndarray, model: str
) -> np.ndarray:
    """The log-parameters minimising `objective` (mean negative log-likelihood and its gradient
    in the log-parameters); RuntimeError naming `model` when the optimiser fails."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)

    def gradient_search(from_params: np.ndarray):
        return minimize(
            objective,
            from_params,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"ftol": 1e-12, "gtol": GRADIENT_TOLERANCE, "maxiter": 1000},
        )

    result = gradient_search(start)
    if result.success:
        return result.x
    x, fun = result.x, result.fun
    # A polish that is still gaining when it runs out of evaluations has left the ridge: the
    # gradient search restarts from there, and the polish after it (a few rounds at most).
    for _ in range(POLISH_ROUNDS):
        polished = minimize(
            lambda log_params: objective(log_params)[0],
            x,
            method="Nelder-Mead",
            bounds=bounds,
            options={"maxfev": 4000, "xatol": 1e-8, "fatol": 1e-12},
        )
        if polished.success and np.isfinite(polished.fun) and polished.fun <= fun:
            return polished.x
        if np.isfinite(fun) and not fun - polished.fun > RIDGE_TOLERANCE:
            return x
        restarted = gradient_search(polished.x)
        if restarted.success:
            return restarted.x
        x, fun = (
            (restarted.x, restarted.fun)
            if restarted.fun < polished.fun
            else (polished.x, polished.fun)
        )
    raise RuntimeError(f"{model} fit did not converge: {result.message}")
