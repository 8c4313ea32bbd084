"""Customer segments: RFM scores with named segments, and named behavioural clusters.

    from ml.segments import score_rfm, behaviour_features, cluster_customers
    rfm = score_rfm(summary)                     # summary from ml.clv.summarise_orders
    clustering = cluster_customers(features)     # features from behaviour_features
    clustering.profile                           # name, action, size, means per cluster

Modules: rfm (the R x FM grid), behaviour (rates and shares per customer), clustering (KMeans,
k chosen for use, clusters named after archetypes), pipeline (train and score ml.customer_segments
from the feature marts). Pure Python, no Dagster.
"""

from ml.segments.behaviour import (
    BEHAVIOUR_FEATURES,
    CLUSTER_BASIS,
    DESCRIPTIVE_TRAITS,
    behaviour_features,
)
from ml.segments.clustering import Clustering, adjusted_rand_index, cluster_customers
from ml.segments.rfm import SEGMENTS, score_rfm

__all__ = [
    "BEHAVIOUR_FEATURES",
    "CLUSTER_BASIS",
    "DESCRIPTIVE_TRAITS",
    "SEGMENTS",
    "Clustering",
    "adjusted_rand_index",
    "behaviour_features",
    "cluster_customers",
    "score_rfm",
]
