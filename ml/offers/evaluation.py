"""Offers measured on a time split: made at a cutoff, against what customers bought after it,
beside the most popular products (hit rate, precision and recall at k)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.offers.recommender import (
    ORDER_COLUMNS,
    as_utc,
    checked_frame,
    popular_products,
    popularity_scores,
    recommend,
    utc_timestamp,
)


@dataclass(frozen=True)
class OfferEvaluation:
    """Offers made at `cutoff` against what customers bought in the following `horizon_days`."""

    cutoff: pd.Timestamp
    horizon_days: int
    k: int
    customers: int  # customers with a purchase before the cutoff and one in the horizon
    hit_rate: float  # share of those customers who bought at least one offered product
    precision: float  # mean share of the k offers bought
    recall: float  # mean share of the customer's distinct purchased products that were offered
    baseline_hit_rate: float  # the same for the k most popular products (popular_products)
    baseline_precision: float
    baseline_recall: float


def evaluate_offers(
    orders: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    *,
    horizon_days: int = 90,
    k: int = 10,
    views: pd.DataFrame | None = None,
    interests: pd.DataFrame | None = None,
    exclude_purchased: bool = False,
    weights: dict[str, float] | None = None,
) -> OfferEvaluation:
    """Hit rate, precision and recall at k of recommend(as_of=cutoff) and of the popularity
    baseline, over the customers who had bought before the cutoff and buy in the horizon.
    A hit is any product bought in the horizon, bought before or not; exclude_purchased applies
    to the offers of both the model and the baseline (then the most popular products not yet
    bought), so the two policies can be compared on the same purchases."""
    cutoff = utc_timestamp(cutoff)
    orders = checked_frame(orders, "orders", ORDER_COLUMNS)
    ordered_at = as_utc(orders["ordered_at"])
    before = orders[ordered_at < cutoff]
    after = orders[(ordered_at >= cutoff) & (ordered_at < cutoff + pd.Timedelta(days=horizon_days))]
    known = set(before["customer_id"].astype(str))
    actual = (
        after.assign(customer_id=after["customer_id"].astype(str))
        .loc[lambda frame: frame["customer_id"].isin(known), ["customer_id", "product_id"]]
        .astype(str)
        .drop_duplicates()
    )
    if actual.empty:
        raise ValueError(f"no returning customer buys within {horizon_days} days of {cutoff}")
    evaluated = pd.Index(actual["customer_id"].unique())

    offers = recommend(
        orders,
        cutoff,
        k=k,
        views=views,
        interests=interests,
        exclude_purchased=exclude_purchased,
        weights=weights,
    )
    offers = offers[offers["customer_id"].isin(evaluated)][["customer_id", "product_id"]]
    if exclude_purchased:
        baseline = _popular_not_bought(before, cutoff, evaluated, k)
    else:
        popular = popular_products(orders, cutoff, k=k)["product_id"].to_numpy()
        baseline = pd.DataFrame(
            {
                "customer_id": np.repeat(evaluated.to_numpy(), len(popular)),
                "product_id": np.tile(popular, len(evaluated)),
            }
        )
    model = _ranking_metrics(offers, actual, evaluated, k)
    reference = _ranking_metrics(baseline, actual, evaluated, k)
    return OfferEvaluation(
        cutoff=cutoff,
        horizon_days=horizon_days,
        k=k,
        customers=len(evaluated),
        hit_rate=model[0],
        precision=model[1],
        recall=model[2],
        baseline_hit_rate=reference[0],
        baseline_precision=reference[1],
        baseline_recall=reference[2],
    )


def _popular_not_bought(before, cutoff, evaluated, k) -> pd.DataFrame:
    """The baseline when bought products are excluded: the most popular ones not yet bought."""
    products = pd.Index(pd.unique(before["product_id"].astype(str)))
    ranked = products[np.argsort(-popularity_scores(before, products, cutoff), kind="stable")]
    earlier = before.assign(
        customer_id=before["customer_id"].astype(str), product_id=before["product_id"].astype(str)
    ).groupby("customer_id")["product_id"]
    bought = {customer: set(items) for customer, items in earlier}
    rows = []
    for customer in evaluated:
        own = bought.get(customer, set())
        picked = [product for product in ranked[: k + len(own)] if product not in own][:k]
        rows += [(customer, product) for product in picked]
    return pd.DataFrame(rows, columns=["customer_id", "product_id"])


def _ranking_metrics(offers, actual, evaluated, k) -> tuple[float, float, float]:
    hits = offers.merge(actual, on=["customer_id", "product_id"]).groupby("customer_id").size()
    hits = hits.reindex(evaluated).fillna(0).to_numpy()
    wanted = actual.groupby("customer_id").size().reindex(evaluated).to_numpy()
    return float((hits > 0).mean()), float((hits / k).mean()), float((hits / wanted).mean())
