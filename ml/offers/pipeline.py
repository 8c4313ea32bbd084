"""Next best offer: the recommender's co-purchase / co-view / interest / popularity scores
(ml.offers.recommender), with the campaign or coupon running at as_of for each offered category.

The recommender is memory-based: its "training" fixes its parameters and measures them on a
time split (offers made at as_of - horizon against what customers bought in the horizon after,
hit-rate@k beside the k most popular products); scoring recomputes the patterns from every
event up to as_of.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml.offers.campaigns import attach_campaigns
from ml.offers.evaluation import evaluate_offers
from ml.offers.recommender import HALF_LIFE_DAYS, WEIGHTS, recommend
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from ml.pipeline.frames import FeatureFrames, data_hash

# The artifact's folder and training asset ml/<NAME>_model (asset keys are public: it stays).
NAME = "next_best_offer"
OFFERS_PER_CUSTOMER = 3  # rows per customer in ml.next_best_offers
EVALUATION_K = 10
EVALUATION_HORIZON_DAYS = 90
MIN_TRAINING_DAYS = 30  # purchase history before the evaluation cutoff
MIN_PURCHASES = 20  # products bought: fewer make neither co-purchases nor a popularity ranking


def day_after(date: dt.date) -> pd.Timestamp:
    """The recommender uses events strictly before its as_of: the midnight after the cutoff day."""
    return pd.Timestamp(date) + pd.Timedelta(days=1)


def recommender_inputs(frames: FeatureFrames) -> dict[str, pd.DataFrame]:
    events = frames.product_events
    purchases = events[events["event_type"] == "purchase"]
    views = events[events["event_type"] != "purchase"]
    features = frames.features_at("scoring")
    interests = (
        features["interests"].dropna().str.split(";").explode().str.strip().rename("interest")
    )
    return {
        "orders": purchases[["customer_id", "order_id", "occurred_at", "product_id", "category"]]
        .rename(columns={"occurred_at": "ordered_at"})
        .reset_index(drop=True),
        "views": views[["customer_id", "occurred_at", "product_id"]]
        .rename(columns={"occurred_at": "viewed_at"})
        .reset_index(drop=True),
        "interests": interests[interests != ""].reset_index(),
    }


def train_offer_model(frames: FeatureFrames) -> ModelArtifact:
    inputs = recommender_inputs(frames)
    parameters = {
        "k": OFFERS_PER_CUSTOMER,
        "weights": dict(WEIGHTS),
        "half_life_days": HALF_LIFE_DAYS,
    }
    metadata = {
        "method": "co_occurrence_interests_popularity",
        "parameters": parameters,
        "features": ["purchases", "views and carts", "declared interests", "popularity"],
        "training_window": {"events_until": frames.as_of.isoformat()},
    }
    orders = inputs["orders"]
    hash_ = data_hash(*inputs.values(), parameters={"k": OFFERS_PER_CUSTOMER})
    if len(orders) < MIN_PURCHASES:
        reason = not_enough_data(
            f"{MIN_PURCHASES} products bought (ecommerce/order_items of orders) up to "
            f"{frames.as_of}",
            len(orders),
        )
        return skipped(NAME, frames.as_of, hash_, reason, **metadata)
    cutoff = frames.as_of - dt.timedelta(days=EVALUATION_HORIZON_DAYS)
    first_purchase = pd.Timestamp(orders["ordered_at"].min()).date()
    if (cutoff - first_purchase).days < MIN_TRAINING_DAYS:
        metadata |= {
            "evaluation": f"history too short for a {EVALUATION_HORIZON_DAYS}-day time split",
            "beats_baseline": None,
        }
    else:
        evaluation = evaluate_offers(
            orders,
            day_after(cutoff),
            horizon_days=EVALUATION_HORIZON_DAYS,
            k=EVALUATION_K,
            views=inputs["views"],
            interests=inputs["interests"],
        )
        metadata |= {
            "evaluation": {
                key: (str(value) if isinstance(value, pd.Timestamp) else value)
                for key, value in vars(evaluation).items()
            },
            "beats_baseline": bool(evaluation.hit_rate > evaluation.baseline_hit_rate),
        }
    return ModelArtifact(
        name=NAME,
        as_of=frames.as_of,
        data_hash=hash_,
        model=parameters,
        metadata=metadata,
    )


def score_offers(artifact: ModelArtifact, frames: FeatureFrames) -> pd.DataFrame:
    """ml.next_best_offers rows: the top offers of every customer seen up to as_of."""
    inputs = recommender_inputs(frames)
    offers = recommend(
        inputs["orders"],
        day_after(frames.as_of),
        k=artifact.model["k"],
        views=inputs["views"],
        interests=inputs["interests"],
        weights=artifact.model["weights"],
    )
    campaigns = frames.campaigns.rename(columns={"campaign_name": "name"})
    offers = attach_campaigns(offers, campaigns, day_after(frames.as_of))
    return pd.DataFrame(
        {
            "customer_id": offers["customer_id"].astype(str),
            "offer_rank": offers["rank"].astype(np.int64),
            "product_id": offers["product_id"].astype(str),
            "category": offers["category"].astype(object),
            "score": offers["score"].astype(np.float64),
            "source": offers["source"].astype(object),
            "campaign_id": offers["campaign_id"].astype(object),
            "coupon_code": offers["coupon_code"].astype(object),
            "offer": offers["offer"].astype(object),
            "as_of": pd.Timestamp(frames.as_of),
            "model_version": artifact.version,
        }
    )
