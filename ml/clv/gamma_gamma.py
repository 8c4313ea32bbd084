"""Gamma-Gamma model of average spend per purchase (Fader, Hardie & Lee 2005, "RFM and CLV:
Using Iso-Value Curves for Customer Base Analysis", JMR 42(4); Fader & Hardie's 2013 note "The
Gamma-Gamma Model of Monetary Value").

A customer's purchase amounts are Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers, so
their mean spend is E[Z] = p * gamma / (q - 1) in the population. Only repeat purchases are
modelled (the first purchase is often unrepresentative): the inputs are x, the number of repeat
purchases, and m_x, their mean amount (see summary.py).

Assumption to check on each business: spend per purchase is independent of purchase frequency
(the model multiplies the two). Fitted by maximum likelihood on the distribution of m_x given x
(the note's eq. 1), over log-parameters with L-BFGS-B; distinct (x, m_x) rows are weighted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from ml.clv.inputs import ArrayLike, collapse, float_array
from ml.clv.optimise import fit_log_parameters


def _log_likelihood(params: np.ndarray, x, m_x) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's log-likelihood of m_x given x and its gradient in (p, q, gamma).

    The gamma and digamma terms depend on the integer x only: evaluated once per x in
    1..max(x) and indexed, not once per customer.
    """
    p, q, gamma = params
    levels = np.arange(1, x.max() + 1)
    row = x.astype(np.intp) - 1
    log_ratio = (gammaln(p * levels + q) - gammaln(p * levels))[row]
    digamma_total, digamma_shape = digamma(p * levels + q)[row], digamma(p * levels)[row]
    shape = p * x
    log_total = np.log(gamma + x * m_x)
    log_likelihood = (
        log_ratio
        - gammaln(q)
        + q * np.log(gamma)
        + (shape - 1) * np.log(m_x)
        + shape * np.log(x)
        - (shape + q) * log_total
    )
    gradient = np.stack(
        [
            x * (digamma_total - digamma_shape + np.log(m_x) + np.log(x) - log_total),
            digamma_total - digamma(q) + np.log(gamma) - log_total,
            q / gamma - (shape + q) / (gamma + x * m_x),
        ]
    )
    return log_likelihood, gradient


def _spend_history(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[np.ndarray, ...]:
    x = float_array("frequency", frequency)
    m_x = float_array("monetary_value", monetary_value)
    if x.size != m_x.size:
        raise ValueError(f"frequency and monetary_value differ in length ({x.size}, {m_x.size})")
    return x, m_x


@dataclass(frozen=True)
class GammaGammaModel:
    """Fitted Gamma-Gamma parameters (gamma is in the currency of the amounts)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float  # at the optimum, summed over the customers fitted
    customers: int  # customers fitted: frequency > 0 and monetary_value > 0

    @property
    def mean_spend(self) -> float:
        """Population mean amount per purchase, p * gamma / (q - 1); infinite when q <= 1."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else float("inf")

    def expected_order_value(self, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
        """E[Z | x, m_x]: each customer's expected amount per future purchase.

        A weighted mean of the population mean and the customer's own m_x, with more weight on
        m_x the more repeat purchases back it: p (gamma + x m_x) / (p x + q - 1). Customers
        without repeat purchases get the population mean.
        """
        x, m_x = _spend_history(frequency, monetary_value)
        if self.q <= 1 and np.any(x == 0):
            raise ValueError(
                f"q = {self.q:.3g} <= 1: the population mean spend is infinite, so customers "
                "without repeat purchases have no expected order value"
            )
        return self.p * (self.gamma + x * m_x) / (self.p * x + self.q - 1)


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike) -> GammaGammaModel:
    """Maximum-likelihood Gamma-Gamma parameters from every customer's (x, m_x).

    Only customers with repeat purchases and a positive mean repeat amount inform the fit (a
    zero mean has zero likelihood under a gamma); their count is the model's `customers`.
    Raises ValueError on bad input or fewer than two such customers, RuntimeError if the
    optimiser does not converge.
    """
    x, m_x = _spend_history(frequency, monetary_value)
    informative = (x > 0) & (m_x > 0)
    if informative.sum() < 2:
        raise ValueError(
            "Gamma-Gamma needs at least two customers with repeat purchases and positive spend"
        )
    (x, m_x), weights = collapse([x[informative], m_x[informative]])
    total = weights.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood and its gradient in the log-parameters."""
        params = np.exp(log_params)
        log_likelihood, gradient = _log_likelihood(params, x, m_x)
        return -(weights @ log_likelihood) / total, -(gradient @ weights) * params / total

    # Start at p = q = 1 and gamma = the mean spend, which sets the currency's scale.
    start = np.log([1.0, 1.0, float(weights @ m_x / total)])
    log_params = fit_log_parameters(objective, start, "Gamma-Gamma")
    p, q, gamma = np.exp(log_params)
    return GammaGammaModel(
        p=float(p),
        q=float(q),
        gamma=float(gamma),
        log_likelihood=float(-objective(log_params)[0] * total),
        customers=int(total),
    )
