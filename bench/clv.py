"""CLV model speed: fit and score synthetic customers drawn from a known BG/NBD/Gamma-Gamma world.

    python -m bench.clv                        # 1,000,000 customers
    python -m bench.clv --customers 100000 --repeat 3

Customers come from the models' own generative story, in days (ages up to two years, whole-day
recency and age, as ml.clv.summarise_orders produces them), so the fit should land near the
true parameters (day rounding shifts them slightly). Printed: seconds to fit each model and to
score every customer over a year, best of --repeat runs, and the recovered parameters.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from ml.clv import fit_bgnbd, fit_clv, fit_gamma_gamma

TRUE = {"r": 0.5, "alpha": 40.0, "a": 0.8, "b": 2.5, "p": 3.0, "q": 4.0, "gamma": 60.0}
MAX_AGE_DAYS = 730


def synthetic_summary(customers: int, seed: int = 0) -> pd.DataFrame:
    """frequency, recency, T (days) and monetary_value per customer, drawn from TRUE."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], customers)
    dropout = rng.beta(TRUE["a"], TRUE["b"], customers)
    age = rng.integers(0, MAX_AGE_DAYS + 1, customers).astype(np.float64)
    # Repeat purchases while alive: Poisson arrivals, a dropout chance after each one.
    arrivals = rng.poisson(rate * age)
    frequency = np.minimum(arrivals, rng.geometric(dropout))
    # The x-th of n uniform arrival times on [0, T] is T * Beta(x, n - x + 1).
    last = age * rng.beta(np.maximum(frequency, 1), np.maximum(arrivals - frequency + 1, 1))
    recency = np.where(frequency > 0, np.floor(last), 0.0)
    # Mean of x amounts ~ Gamma(p, nu) is Gamma(p x, nu x); nu ~ Gamma(q, gamma).
    nu = rng.gamma(TRUE["q"], 1 / TRUE["gamma"], customers)
    repeats = np.maximum(frequency, 1)
    spend = rng.gamma(TRUE["p"] * repeats, 1 / (nu * repeats))
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "T": age,
            "monetary_value": np.where(frequency > 0, spend, 0.0),
        }
    )


def best_seconds(action, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per step; the best is shown")
    args = parser.parse_args()

    summary = synthetic_summary(args.customers)
    history = (summary["frequency"], summary["recency"], summary["T"])
    bgnbd_seconds, purchases = best_seconds(lambda: fit_bgnbd(*history), args.repeat)
    gamma_gamma_seconds, spend = best_seconds(
        lambda: fit_gamma_gamma(summary["frequency"], summary["monetary_value"]), args.repeat
    )
    model = fit_clv(summary)
    score_seconds, scores = best_seconds(lambda: model.score(summary, 365), args.repeat)

    print(f"{args.customers:,} customers, best of {args.repeat}:")
    print(f"  fit BG/NBD       {bgnbd_seconds:6.2f} s")
    print(f"  fit Gamma-Gamma  {gamma_gamma_seconds:6.2f} s  ({spend.customers:,} repeat buyers)")
    print(f"  score 365 days   {score_seconds:6.2f} s  (p_alive, purchases, order value, value)")
    fitted = {"r": purchases.r, "alpha": purchases.alpha, "a": purchases.a, "b": purchases.b}
    fitted |= {"p": spend.p, "q": spend.q, "gamma": spend.gamma}
    print(
        "  parameters (true -> fitted): "
        + ", ".join(f"{k} {TRUE[k]:g}->{v:.3g}" for k, v in fitted.items())
    )
    print(f"  mean expected value over 365 days: {scores['expected_value'].mean():.2f}")


if __name__ == "__main__":
    main()
