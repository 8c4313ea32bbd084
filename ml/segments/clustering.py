"""Behavioural clusters: segments a marketer can name and act on.

`cluster_customers` fits KMeans (fixed random_state, ten restarts, on a sample of 5,000, then
refined on everyone) on the basis CLUSTER_BASIS (frequency, basket size, browsing, depth,
intent: the traits that separate customers most; monetary totals would count frequency x
basket twice), after setting aside empty or constant columns, log1p for skewed non-negative
ones, median imputation and standardising. k is chosen for use (`choose_k`): among k = 2..8
whose smallest cluster holds at least 5% of the sample, the smallest k >= 4 whose silhouette is
at least 80% of the best silhouette; when no k >= 4 reaches that, the data have fewer groups and
the best k is kept (two clear groups stay two). Clusters are numbered by size (0 the largest).
Each cluster is named (`name_clusters`) after the ARCHETYPES ("Frequent big-basket buyers",
"Seasonal gift shoppers", "Browsers who rarely buy", "Discount hunters", ...) its standardised
trait means match best by cosine with the archetype's signature, one archetype per cluster
(Hungarian assignment), and gets that archetype's action; a cluster no archetype fits (cosine
< 0.3) is described by its two strongest traits ("Customers who buy often and visit rarely").
The descriptive traits (DESCRIPTIVE_TRAITS: gift season, coupon, store, app shares, average
order value, recency) name clusters without being fitted on: sparse signals that split
customers on noise when clustered. The profile gives each cluster's name, action, size and
feature means in original units; `traits` its standardised means.
Everything is fitted on the customers being segmented: clustering has no labels to leak.

`adjusted_rand_index` compares any labelling with known groups (e.g. the simulator's personas).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

SKEWNESS_FOR_LOG = 1.0

# Behavioural clusters: k is chosen for use, not only for separation (see the module docstring).
K_VALUES = range(2, 9)
MIN_K = 4  # a marketer acts on four or more segments; fewer only when the data truly have fewer
SILHOUETTE_SHARE = 0.8  # a k >= MIN_K is kept if its silhouette is >= 80% of the best k's
MIN_CLUSTER_SHARE = 0.05  # a k whose smallest cluster holds fewer customers is not used


@dataclass(frozen=True)
class Archetype:
    """A segment a marketer would name: its name, one suggested action, and its signature (the
    sign of each trait's standardised cluster mean that marks it; traits not named are free)."""

    name: str
    action: str
    signature: dict[str, float]


# The archetypes a cluster can be named after: each cluster takes the one its standardised
# trait means match best (cosine), no two clusters the same; a cluster no archetype fits gets
# a descriptive name (see _fallback_name).
ARCHETYPES = (
    Archetype(
        "Frequent big-basket buyers",
        "Reward them with early access and a VIP tier; protect them with priority service.",
        {"orders_per_month": 1, "items_per_order": 1, "average_order_value": 1,
         "sessions_per_month": 0.5, "views_per_session": 0.5},
    ),
    Archetype(
        "Loyal regulars",
        "Keep them close with loyalty points and reminders when they usually reorder.",
        {"orders_per_month": 1, "carts_per_view": 0.5, "days_since_last_order": -0.5,
         "store_share": 0.5},
    ),
    Archetype(
        "Seasonal gift shoppers",
        "Send gift guides before Christmas, Valentine's Day and Mother's Day.",
        {"gift_season_share": 1, "sessions_per_month": -0.5, "orders_per_month": -0.5},
    ),
    Archetype(
        "Browsers who rarely buy",
        "Turn browsing into orders with basket reminders and a first-repeat incentive.",
        {"sessions_per_month": 1, "views_per_session": 1, "carts_per_view": -1,
         "orders_per_month": -0.5},
    ),
    Archetype(
        "Discount hunters",
        "Reach them with coupons and sale alerts; keep discounts away from full-price buyers.",
        {"coupon_share": 1, "average_order_value": -0.5, "items_per_order": -0.5},
    ),
    Archetype(
        "Occasional small-basket buyers",
        "Nudge them with low-cost reminders and bundles that lift the basket.",
        {"orders_per_month": -1, "items_per_order": -1, "average_order_value": -0.5,
         "sessions_per_month": -0.5},
    ),
    Archetype(
        "Lapsed customers",
        "Win them back with a time-limited offer before they forget the shop.",
        {"days_since_last_order": 1, "orders_per_month": -0.5},
    ),
    Archetype(
        "Store-first shoppers",
        "Invite them to in-store events and link their store receipts to an online account.",
        {"store_share": 1, "app_share": -0.5},
    ),
    Archetype(
        "App-first shoppers",
        "Use app notifications and app-only offers; they answer there first.",
        {"app_share": 1, "store_share": -0.5},
    ),
    Archetype(
        "Quick decisive buyers",
        "Keep the path short: one-click reorder and restock alerts.",
        {"carts_per_view": 1, "views_per_session": -1},
    ),
)  # fmt: skip
MIN_ARCHETYPE_FIT = 0.3  # cosine below which a cluster is described instead of named
DISTINCTIVE_Z = 0.25  # a standardised cluster mean below this in size is "average"
TRAIT_WORDS = {  # trait -> (phrase when high, phrase when low), for descriptive names
    "orders_per_month": ("buy often", "buy rarely"),
    "items_per_order": ("fill big baskets", "buy one or two items"),
    "average_order_value": ("spend a lot per order", "spend little per order"),
    "sessions_per_month": ("visit often", "visit rarely"),
    "views_per_session": ("browse deeply", "browse briefly"),
    "carts_per_view": ("add to cart readily", "rarely add to cart"),
    "gift_season_share": ("buy in gift seasons", "avoid gift seasons"),
    "coupon_share": ("use coupons", "pay full price"),
    "store_share": ("shop in store", "shop online"),
    "app_share": ("shop in the app", "avoid the app"),
    "days_since_last_order": ("have not bought lately", "bought recently"),
}
FALLBACK_ACTION = "Test offers on a sample of them before a full campaign."


@dataclass(frozen=True)
class Clustering:
    """Behavioural clusters of the customers in `labels.index`."""

    labels: pd.Series  # cluster per customer, 0 = the largest cluster
    names: dict[int, str]  # marketer's name per cluster, unique, sentence case
    actions: dict[int, str]  # one suggested action per cluster
    profile: pd.DataFrame  # per cluster: name, action, customers, share, mean of each feature
    traits: pd.DataFrame  # per cluster: standardised mean of each trait (what names it)
    silhouettes: dict[int, float]  # k -> silhouette on the sample (k with clusters too small: none)
    features: list[str]  # columns the clusters are fitted on
    log_features: list[str]  # of those, log1p-transformed
    set_aside: list[str]  # columns given but unusable: empty or constant
    model: Pipeline = field(repr=False)  # preprocessing + KMeans, fitted on everyone
    cluster_of_model_label: np.ndarray = field(repr=False)  # KMeans label -> cluster number

    @property
    def k(self) -> int:
        return len(self.names)

    def predict(self, features: pd.DataFrame) -> pd.Series:
        """Clusters of other customers with the same feature columns (e.g. at a later date)."""
        labels = self.model.predict(features[self.features].astype(np.float64))
        return pd.Series(self.cluster_of_model_label[labels], index=features.index, name="cluster")


def _preprocessing(log_features: list[str], linear_features: list[str]) -> Pipeline:
    transform = ColumnTransformer(
        [
            ("log", make_pipeline(SimpleImputer(strategy="median"), FunctionTransformer(np.log1p)),
             log_features),
            ("linear", SimpleImputer(strategy="median"), linear_features),
        ]
    )  # fmt: skip
    return Pipeline([("transform", transform), ("scale", StandardScaler())])


def _usable(values: pd.DataFrame) -> tuple[list[str], list[str], list[str]]:
    """(usable, log-transformed, set aside) columns of `values`."""
    set_aside = [c for c in values.columns if values[c].nunique(dropna=True) < 2]
    usable = [c for c in values.columns if c not in set_aside]
    skewness = values[usable].skew()
    log_features = [c for c in usable if values[c].min() >= 0 and skewness[c] > SKEWNESS_FOR_LOG]
    return usable, log_features, set_aside


def standardised_traits(values: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """Per cluster, each usable column's mean on the standardised (log1p where skewed) scale."""
    usable, log_features, _ = _usable(values)
    scaled = values[usable].copy()
    scaled[log_features] = np.log1p(scaled[log_features])
    scaled = scaled.fillna(scaled.median())
    scaled = (scaled - scaled.mean()) / scaled.std(ddof=0)
    return scaled.groupby(labels).mean()


def choose_k(silhouettes: dict[int, float], min_k: int = MIN_K) -> int:
    """The smallest k >= min_k whose silhouette is at least SILHOUETTE_SHARE of the best one;
    without one, the best k (the data support fewer segments)."""
    best = max(silhouettes, key=lambda k: (silhouettes[k], -k))
    usable = [
        k
        for k in sorted(silhouettes)
        if k >= min_k and silhouettes[k] >= SILHOUETTE_SHARE * silhouettes[best]
    ]
    return usable[0] if usable else best


def _fallback_name(row: pd.Series) -> str:
    """A name from the two most distinctive traits: "Customers who buy often and ..."."""
    strongest = row.abs().sort_values(ascending=False, kind="stable")
    phrases = [
        TRAIT_WORDS[trait][0 if row[trait] > 0 else 1]
        if trait in TRAIT_WORDS
        else f"{'high' if row[trait] > 0 else 'low'} {trait.replace('_', ' ')}"
        for trait in strongest.index[:2]
        if abs(row[trait]) >= DISTINCTIVE_Z
    ]
    return f"Customers who {' and '.join(phrases)}" if phrases else "Typical customers"


def name_clusters(traits: pd.DataFrame) -> tuple[dict[int, str], dict[int, str]]:
    """(name, action) per cluster: the archetypes matched to clusters one to one by the cosine of
    their signature with the cluster's standardised trait means (Hungarian assignment); a
    cluster whose match is below MIN_ARCHETYPE_FIT is described by its traits instead."""
    columns = list(traits.columns)
    signatures = np.array(
        [[archetype.signature.get(c, 0.0) for c in columns] for archetype in ARCHETYPES]
    )
    centres = traits.to_numpy(dtype=np.float64)
    norms = np.linalg.norm(centres, axis=1, keepdims=True) * np.linalg.norm(signatures, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fit = np.where(norms > 0, centres @ signatures.T / norms, 0.0)
    rows, matched = linear_sum_assignment(-fit)
    names, actions = {}, {}
    for row, archetype in zip(rows, matched, strict=True):
        cluster = traits.index[row]
        if fit[row, archetype] >= MIN_ARCHETYPE_FIT:
            names[cluster] = ARCHETYPES[archetype].name
            actions[cluster] = ARCHETYPES[archetype].action
        else:
            names[cluster] = _fallback_name(traits.iloc[row])
            actions[cluster] = FALLBACK_ACTION
    for cluster in traits.index:  # more clusters than archetypes, or two alike descriptions
        if cluster not in names:
            names[cluster], actions[cluster] = _fallback_name(traits.loc[cluster]), FALLBACK_ACTION
    for cluster in traits.index:
        twins = [c for c in traits.index if names[c] == names[cluster]]
        if len(twins) > 1:
            for number, twin in enumerate(twins, start=1):
                names[twin] = f"{names[twin]} ({number})"
    return names, actions


def cluster_customers(
    features: pd.DataFrame,
    *,
    descriptors: pd.DataFrame | None = None,
    k_values: Iterable[int] = K_VALUES,
    min_k: int = MIN_K,
    sample_size: int = 5000,
    random_state: int = 0,
) -> Clustering:
    """Behavioural clusters of the customers in `features` (one row each, numeric columns),
    named after their traits: the feature columns and the `descriptors` (same rows, numeric;
    described, not fitted on).

    Raises ValueError on non-numeric columns, on fewer usable columns than one, or on fewer
    customers than the smallest k + 1.
    """
    descriptors = (
        pd.DataFrame(index=features.index)
        if descriptors is None
        else descriptors.drop(columns=[c for c in descriptors.columns if c in features.columns])
    )
    non_numeric = [
        c
        for frame in (features, descriptors)
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c])
    ]
    if non_numeric:
        raise ValueError(f"features must be numeric; not: {non_numeric}")
    values = features.astype(np.float64)
    usable, log_features, set_aside = _usable(values)
    if not usable:
        raise ValueError(f"no usable feature: every column is empty or constant ({set_aside})")
    candidates = [k for k in k_values if 2 <= k < len(values)]
    if not candidates:
        raise ValueError(f"{len(values)} customers are too few to cluster")
    linear_features = [c for c in usable if c not in log_features]

    preprocessing = _preprocessing(log_features, linear_features)
    standardised = preprocessing.fit_transform(values[usable])
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(values), min(sample_size, len(values)), replace=False)
    silhouettes, sample_fits = {}, {}
    for k in candidates:
        sample_fits[k] = KMeans(k, n_init=10, random_state=random_state).fit(standardised[sample])
        sizes = np.bincount(sample_fits[k].labels_, minlength=k)
        if sizes.min() >= max(MIN_CLUSTER_SHARE * len(sample), 1) and (sizes > 0).sum() > 1:
            silhouettes[k] = float(silhouette_score(standardised[sample], sample_fits[k].labels_))
    if not silhouettes:
        raise ValueError("customers are too alike to cluster (no k gave clusters of useful size)")
    best_k = choose_k(silhouettes, min_k)

    # Refine the sample's centres on everyone: one Lloyd run instead of ten restarts.
    kmeans = KMeans(best_k, init=sample_fits[best_k].cluster_centers_, n_init=1)
    model_labels = kmeans.fit_predict(standardised)
    sizes = np.bincount(model_labels, minlength=best_k)
    by_size = np.argsort(-sizes, kind="stable")
    cluster_of_model_label = np.empty(best_k, dtype=np.int64)
    cluster_of_model_label[by_size] = np.arange(best_k)
    labels = pd.Series(cluster_of_model_label[model_labels], index=features.index, name="cluster")

    described = pd.concat([values[usable], descriptors.astype(np.float64)], axis=1)
    traits = standardised_traits(described, labels)
    names, actions = name_clusters(traits)
    means = described.groupby(labels).mean()
    profile = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": pd.Series(names),
                    "action": pd.Series(actions),
                    "customers": labels.value_counts(),
                    "share": labels.value_counts(normalize=True),
                }
            ),
            means,
        ],
        axis=1,
    ).rename_axis("cluster")
    return Clustering(
        labels=labels,
        names=names,
        actions=actions,
        profile=profile,
        traits=traits,
        silhouettes=silhouettes,
        features=usable,
        log_features=log_features,
        set_aside=set_aside,
        model=Pipeline([("preprocess", preprocessing), ("kmeans", kmeans)]),
        cluster_of_model_label=cluster_of_model_label,
    )


def adjusted_rand_index(labels: pd.Series, truth: pd.Series) -> float:
    """Adjusted Rand index of a labelling against known groups (1 = identical, ~0 = chance).

    Both are Series over the same customers (same index values, any order, no missing labels):
    join them first, so that no customer is dropped without the caller deciding it.
    """
    if labels.index.has_duplicates or truth.index.has_duplicates:
        raise ValueError("labels and truth must have one row per customer")
    if len(labels) != len(truth) or not labels.index.isin(truth.index).all():
        raise ValueError("labels and truth must cover the same customers")
    if labels.isna().any() or truth.isna().any():
        raise ValueError("labels and truth must not have missing values")
    return float(adjusted_rand_score(truth.loc[labels.index], labels))
