"""BG/NBD: repeat purchases and P(alive) (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

While alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after
each purchase they drop out for good with probability p ~ Beta(a, b). Inputs per customer are
frequency x (repeat purchases), recency t_x (time of the last purchase since the first) and age
T (time since the first purchase), all in one time unit (days here, see summary.py); alpha
carries that unit, r, a and b do not.

Fitted by maximum likelihood: the closed-form individual log-likelihood (paper, eq. 6), summed
over distinct (x, t_x, T) rows weighted by how many customers share them, maximised by L-BFGS-B
over log-parameters (which keeps them positive and the problem well scaled).

Scoring is closed form and vectorised: P(alive) (the paper's eq. 11 in its online note) and the
conditional expectation E[Y(t) | x, t_x, T] (eq. 10). Its Gaussian hypergeometric function is
evaluated after Euler's transformation, 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z),
which removes x from two of its parameters and keeps it finite and fast for heavy buyers.
When the data show almost no dropout, the fit runs a and b up to the tens of thousands along a
flat ridge of a / (a + b), and SciPy's 2F1 overflows there; those rows are integrated instead:
given alive, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x), and a customer with
(lambda, p) makes (1 - exp(-lambda p t)) / p purchases in t, so E[Y(t)] = P(alive)
E_p[(1 - ((alpha + T) / (alpha + T + p t))^(r + x)) / p], by Gauss-Legendre quadrature over
the quantiles of p (agrees with the closed form to 2e-4 where both are finite).
A new customer's expectation E[X(t)] is the same formula at x = t_x = T = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaincinv, expit, hyp2f1

from ml.clv.inputs import ArrayLike, collapse, purchase_history
from ml.clv.optimise import fit_log_parameters

# Gauss-Legendre nodes and weights on (0, 1) for the expectation over p's quantiles.
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
QUANTILES, QUANTILE_WEIGHTS = (_NODES + 1) / 2, _WEIGHTS / 2


def _sums_below(x: np.ndarray, terms: np.ndarray) -> np.ndarray:
    """sum(terms[k] for k < x) for each integer x, from one cumulative sum over 0..max(x)."""
    return np.concatenate([[0.0], np.cumsum(terms)])[x.astype(np.intp)]


def _log_likelihood(params: np.ndarray, x, t_x, age) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's log-likelihood (paper, eq. 6) and its gradient in (r, alpha, a, b).

    The gamma and beta function ratios of integer steps x are finite products,
    Gamma(r + x) / Gamma(r) = r (r + 1) ... (r + x - 1), and digamma differences finite sums,
    so no special function is evaluated per customer: a table over 0..max(x) is indexed.
    """
    r, alpha, a, b = params
    k = np.arange(x.max())
    repeat = x > 0
    still_alive = -(r + x) * np.log(alpha + age)
    # Dropped out right after the last purchase: only possible after a repeat purchase.
    dropped = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x)
    tail = np.where(repeat, np.logaddexp(still_alive, dropped), still_alive)
    alive_share = np.exp(still_alive - tail)
    dropped_share = np.where(repeat, np.exp(dropped - tail), 0.0)
    log_likelihood = (
        _sums_below(x, np.log(r + k))  # log Gamma(r + x) / Gamma(r)
        + r * np.log(alpha)
        + _sums_below(x, np.log(b + k) - np.log(a + b + k))  # log B(a, b + x) / B(a, b)
        + tail
    )
    gradient = np.stack(
        [
            _sums_below(x, 1 / (r + k))  # digamma(r + x) - digamma(r)
            + np.log(alpha)
            - alive_share * np.log(alpha + age)
            - dropped_share * np.log(alpha + t_x),
            r / alpha - (r + x) * (alive_share / (alpha + age) + dropped_share / (alpha + t_x)),
            -_sums_below(x, 1 / (a + b + k)) + dropped_share / a,
            _sums_below(x, 1 / (b + k) - 1 / (a + b + k))
            - dropped_share / (b + np.maximum(x, 1) - 1),
        ]
    )
    return log_likelihood, gradient


@dataclass(frozen=True)
class BgNbdModel:
    """Fitted BG/NBD parameters; time in days unless the data given to the fit said otherwise."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float  # at the optimum, summed over all customers
    customers: int  # customers the model was fitted on

    @property
    def params(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def log_likelihoods(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        return _log_likelihood(self.params, *purchase_history(frequency, recency, T))[0]

    def p_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Probability that each customer has not dropped out by T (1 without repeat purchases)."""
        return _p_alive(self.params, *purchase_history(frequency, recency, T))

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected repeat purchases of each customer in the next t time units (after T)."""
        if not t >= 0:
            raise ValueError(f"t must be non-negative, got {t}")
        return _expected_purchases(self.params, t, *purchase_history(frequency, recency, T))


def _expected_purchases(params: np.ndarray, t: float, x, t_x, age) -> np.ndarray:
    r, alpha, a, b = params
    z = t / (alpha + age + t)
    with np.errstate(invalid="ignore", over="ignore"):
        transformed = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(
            a + b - 1 - r, a - 1, a + b + x - 1, z
        )
        expected = (a + b + x - 1) / (a - 1) * (1 - transformed)
    overflowed = ~np.isfinite(expected)
    if overflowed.any():
        expected[overflowed] = _expected_purchases_if_alive_by_quadrature(
            params, t, x[overflowed], age[overflowed]
        )
    return expected * _p_alive(params, x, t_x, age)


def _expected_purchases_if_alive_by_quadrature(params: np.ndarray, t: float, x, age) -> np.ndarray:
    """E[Y(t) | alive at T] as an expectation over p ~ Beta(a, b + x) (see the docstring)."""
    r, alpha, a, b = params
    distinct_x, of_customer = np.unique(x, return_inverse=True)
    p = betaincinv(a, b + distinct_x[:, None], QUANTILES[None, :])[of_customer]
    log_ratio = -np.log1p(p * t / (alpha + age[:, None]))  # log((alpha+T) / (alpha+T+p t))
    with np.errstate(divide="ignore", invalid="ignore"):
        purchases = -np.expm1((r + x[:, None]) * log_ratio) / p
    # p -> 0 (never dropping out): the limit is the Poisson mean (r + x) t / (alpha + T)
    never_drop = ((r + x) * t / (alpha + age))[:, None]
    return np.where(p > 0, purchases, never_drop) @ QUANTILE_WEIGHTS


def _p_alive(params: np.ndarray, x, t_x, age) -> np.ndarray:
    r, alpha, a, b = params
    log_odds_dead = (
        np.log(a)
        - np.log(b + np.maximum(x, 1) - 1)
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
    )
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> BgNbdModel:
    """Maximum-likelihood BG/NBD parameters for these customers (see the module docstring).

    Raises ValueError on bad input (see ml.clv.inputs.purchase_history) or when nobody has a
    repeat purchase (the dropout process is then not identified), RuntimeError if the optimiser
    does not converge.
    """
    x, t_x, age = purchase_history(frequency, recency, T)
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs some repeat purchases to fit; every frequency is 0")
    (x, t_x, age), weights = collapse([x, t_x, age])
    total = weights.sum()

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood and its gradient in the log-parameters."""
        params = np.exp(log_params)
        log_likelihood, gradient = _log_likelihood(params, x, t_x, age)
        return -(weights @ log_likelihood) / total, -(gradient @ weights) * params / total

    # Start at r = a = b = 1 and alpha = the mean age, which sets the time unit's scale.
    start = np.log([1.0, max(float(weights @ age / total), 1.0), 1.0, 1.0])
    log_params = fit_log_parameters(objective, start, "BG/NBD")
    r, alpha, a, b = np.exp(log_params)
    return BgNbdModel(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=float(-objective(log_params)[0] * total),
        customers=int(total),
    )
