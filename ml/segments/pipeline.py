"""Segments: RFM named segments and behavioural clusters of every customer who has bought, as
of the scoring cutoff, from the feature marts to ml.customer_segments.

Clustering learns no labels, so it is fitted on the customers it segments; the artifact keeps
the fitted pipeline, cluster names and profiles so the same clusters can be applied later.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.clv import summarise_orders
from ml.pipeline import plots
from ml.pipeline.artifacts import ModelArtifact, not_enough_data, skipped
from ml.pipeline.frames import FeatureFrames, data_hash
from ml.segments.behaviour import CLUSTER_BASIS, DESCRIPTIVE_TRAITS, behaviour_features
from ml.segments.clustering import Clustering, cluster_customers
from ml.segments.rfm import score_rfm

# The artifact's folder and training asset ml/<NAME>_model (asset keys are public: it stays).
NAME = "segmentation"
MIN_CUSTOMERS = 20  # quintiles and clusters of fewer buyers describe individuals, not segments
# Per-customer counts as of the cutoff (customer_features) that behaviour_features
# turns into rates and shares; sources a business lacks give constant columns, set aside.
CUSTOMER_COUNTS = (
    "orders",
    "revenue",
    "orders_with_coupon",
    "store_orders",
    "app_orders",
    "sessions",
    "product_views",
    "add_to_carts",
    "days_since_first_seen",
    "days_since_last_order",
)


def buyer_features(frames: FeatureFrames) -> pd.DataFrame:
    """BEHAVIOUR_FEATURES of every customer with a sale up to as_of."""
    customers = frames.features_at("scoring")
    buyers = customers.loc[customers["orders"] > 0, list(CUSTOMER_COUNTS)]
    events = frames.product_events
    lines = events.loc[events["event_type"] == "purchase", ["customer_id", "order_id", "weight"]]
    return behaviour_features(buyers, frames.orders, lines).astype(np.float64)


def split_features(features: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the cluster basis, the descriptive traits) of buyer_features."""
    return features[list(CLUSTER_BASIS)], features[list(DESCRIPTIVE_TRAITS)]


def purchase_summary(frames: FeatureFrames) -> pd.DataFrame:
    return summarise_orders(frames.orders[["customer_id", "ordered_at", "amount"]], frames.as_of)


def train_segments(frames: FeatureFrames) -> ModelArtifact:
    features = buyer_features(frames)
    hash_ = data_hash(features.reset_index())
    if len(features) < MIN_CUSTOMERS:
        reason = not_enough_data(
            f"{MIN_CUSTOMERS} customers with a sale (ecommerce/orders) up to {frames.as_of}",
            len(features),
        )
        return skipped(
            NAME,
            frames.as_of,
            hash_,
            reason,
            training_window={"features_until": frames.as_of.isoformat()},
        )
    basis, descriptors = split_features(features)
    clustering = cluster_customers(basis, descriptors=descriptors)
    profile = clustering.profile
    return ModelArtifact(
        name=NAME,
        as_of=frames.as_of,
        data_hash=hash_,
        model=clustering,
        metadata={
            "method": "rfm_grid_and_kmeans",
            "training_window": {"features_until": frames.as_of.isoformat()},
            "features": clustering.features,
            "set_aside": clustering.set_aside,
            "customers": len(features),
            "k": clustering.k,
            "silhouettes": {str(k): value for k, value in clustering.silhouettes.items()},
            "clusters": {str(k): name for k, name in clustering.names.items()},
            "actions": {str(k): action for k, action in clustering.actions.items()},
            "profile": profile.reset_index().to_dict(orient="records"),
        },
        plots={
            "segment_profiles": plots.profile_plot(
                clustering.traits.set_axis(profile["name"], axis=0),
                "cluster profiles (standardised means)",
            )
        },
    )


def score_segments(artifact: ModelArtifact, frames: FeatureFrames) -> pd.DataFrame:
    """ml.customer_segments rows: every customer with a sale up to as_of."""
    clustering: Clustering = artifact.model
    rfm = score_rfm(purchase_summary(frames))
    basis, _ = split_features(buyer_features(frames).reindex(rfm.index))
    clusters = clustering.predict(basis)
    return pd.DataFrame(
        {
            "customer_id": rfm.index.astype(str),
            "segment": rfm["segment"].astype(object).to_numpy(),
            "recency_score": rfm["recency_score"].astype(np.int64).to_numpy(),
            "frequency_score": rfm["frequency_score"].astype(np.int64).to_numpy(),
            "monetary_score": rfm["monetary_score"].astype(np.int64).to_numpy(),
            "cluster": clusters.astype(np.int64).to_numpy(),
            "cluster_profile": clusters.map(clustering.names).astype(object).to_numpy(),
            "cluster_action": clusters.map(clustering.actions).astype(object).to_numpy(),
            "as_of": pd.Timestamp(frames.as_of),
            "model_version": artifact.version,
        }
    )
