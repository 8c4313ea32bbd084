"""Customer segments: RFM scores with named segments, and behavioural clusters with profiles.

RFM (`score_rfm`) reads a purchase summary (ml.clv.summarise_orders: days_since_last_purchase,
orders, revenue, one row per customer with at least one order) and gives each customer:

  recency_score, frequency_score, monetary_score   1..5, 5 best (most recent, most orders, most
      revenue). Score = 1 + floor(5 x (average rank - 0.5) / customers): quintiles of the
      mid-rank percentile, so equal values always share a score (the one at the middle of their
      tie group) and row order never matters; with heavy ties (many customers ordered once) some
      scores go unused rather than equal customers being split at random.
  fm_score   (frequency_score + monetary_score) / 2, rounded half up.
  rfm_code   e.g. "545".
  segment    from the R x FM grid below: the widely used R x F map (champions '5[4-5]', loyal
      '[3-4][4-5]', potential loyalists '[4-5][2-3]', new '51', promising '41', need attention
      '33', about to sleep '3[1-2]', at risk '[1-2][3-4]', can't lose '[1-2]5', hibernating
      '[1-2][1-2]') read with FM in place of F, and its hibernating corner split by recency into
      hibernating (R = 2) and lost (R = 1).

      R \\ FM  1               2                    3                    4          5
      5       new             potential_loyalists  potential_loyalists  champions  champions
      4       promising       potential_loyalists  potential_loyalists  loyal      loyal
      3       about_to_sleep  about_to_sleep       need_attention       loyal      loyal
      2       hibernating     hibernating          at_risk              at_risk    cant_lose
      1       lost            lost                 at_risk              at_risk    cant_lose

Behavioural clusters (`cluster_customers`) take any numeric per-customer features (a customer_360
selection): columns that are empty or constant are set aside (listed in the result); heavy-tailed
non-negative columns (skewness > 1) are log1p-transformed; missing values take the column
median; everything is standardised; KMeans (fixed random_state, ten restarts) runs for k = 2..8
on a sample of 5,000, the k with the best silhouette is kept and its centres are refined on
everyone. Clusters are numbered by size (0 is the largest) and named after their most distinctive
standardised means ("high revenue, low days since last purchase"); the profile gives each
cluster's size and feature means in original units.
Everything is fitted on the customers being segmented: clustering has no labels to leak.

`adjusted_rand_index` compares any labelling with known groups (e.g. the simulator's personas).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

SEGMENTS = (
    "champions",
    "loyal",
    "potential_loyalists",
    "new",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
    "lost",
)
# Recency score -> segment for FM scores 1..5 (the grid in the module docstring).
SEGMENT_GRID: dict[int, tuple[str, str, str, str, str]] = {
    5: ("new", "potential_loyalists", "potential_loyalists", "champions", "champions"),
    4: ("promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"),
    1: ("lost", "lost", "at_risk", "at_risk", "cant_lose"),
}
RFM_INPUTS = ("days_since_last_purchase", "orders", "revenue")

SKEWNESS_FOR_LOG = 1.0
DISTINCTIVE_Z = 0.25  # a standardised cluster mean below this in size is "average"
NAME_TERMS = 2


def quintile_scores(values: pd.Series, *, higher_is_better: bool = True) -> pd.Series:
    """1..5 per value, 5 best: 1 + floor(5 x mid-rank percentile). Ties share a score."""
    if values.empty:
        raise ValueError(f"{values.name or 'values'} is empty")
    if values.isna().any():
        raise ValueError(f"{values.name or 'values'} has {int(values.isna().sum())} missing values")
    better = values if higher_is_better else -values
    percentile = (better.rank(method="average") - 0.5) / len(values)  # strictly inside (0, 1)
    return (1 + np.floor(5 * percentile)).astype(np.int64)


def score_rfm(summary: pd.DataFrame) -> pd.DataFrame:
    """R, F, M and FM scores, rfm_code and segment per customer (see the module docstring)."""
    missing = [column for column in RFM_INPUTS if column not in summary.columns]
    if missing:
        raise ValueError(f"summary lacks column(s) {missing}; use ml.clv.summarise_orders")
    recency = quintile_scores(summary["days_since_last_purchase"], higher_is_better=False)
    frequency = quintile_scores(summary["orders"])
    monetary = quintile_scores(summary["revenue"])
    fm = (frequency + monetary + 1) // 2
    grid = np.array([SEGMENT_GRID[r] for r in range(1, 6)], dtype=object)
    return pd.DataFrame(
        {
            "recency_score": recency,
            "frequency_score": frequency,
            "monetary_score": monetary,
            "fm_score": fm,
            "rfm_code": recency.astype(str) + frequency.astype(str) + monetary.astype(str),
            "segment": grid[recency.to_numpy() - 1, fm.to_numpy() - 1],
        },
        index=summary.index,
    )


@dataclass(frozen=True)
class Clustering:
    """Behavioural clusters of the customers in `labels.index`."""

    labels: pd.Series  # cluster per customer, 0 = the largest cluster
    names: dict[int, str]  # readable name per cluster
    profile: pd.DataFrame  # per cluster: name, customers, share, mean of each feature
    silhouettes: dict[int, float]  # k -> silhouette on the sample; the best k was kept
    features: list[str]  # columns used
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


def _cluster_names(centres: pd.DataFrame) -> dict[int, str]:
    """Name each cluster after its largest standardised means; add terms until names differ."""

    def name(row: pd.Series, terms: int) -> str:
        strongest = row.abs().sort_values(ascending=False, kind="stable")
        parts = [
            f"{'high' if row[column] > 0 else 'low'} {column.replace('_', ' ')}"
            for column in strongest.index[:terms]
            if abs(row[column]) >= DISTINCTIVE_Z
        ]
        return ", ".join(parts) or "average"

    terms = {cluster: NAME_TERMS for cluster in centres.index}
    names = {cluster: name(centres.loc[cluster], NAME_TERMS) for cluster in centres.index}
    while True:
        taken = pd.Series(names)
        clashing = [c for c in centres.index if (taken == names[c]).sum() > 1]
        growable = [c for c in clashing if terms[c] < centres.shape[1]]
        if not growable:
            break
        for cluster in growable:
            terms[cluster] += 1
            names[cluster] = name(centres.loc[cluster], terms[cluster])
    for cluster in centres.index:  # identical even with every term: number them
        twins = [c for c in centres.index if names[c] == names[cluster]]
        if len(twins) > 1:
            for number, twin in enumerate(twins, start=1):
                names[twin] = f"{names[twin]} ({number})"
    return names


def cluster_customers(
    features: pd.DataFrame,
    *,
    k_values: Iterable[int] = range(2, 9),
    sample_size: int = 5000,
    random_state: int = 0,
) -> Clustering:
    """Behavioural clusters of the customers in `features` (one row each, numeric columns).

    Raises ValueError on non-numeric columns, on fewer usable columns than one, or on fewer
    customers than the smallest k + 1.
    """
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"features must be numeric; not: {non_numeric}")
    values = features.astype(np.float64)
    set_aside = [c for c in values.columns if values[c].nunique(dropna=True) < 2]
    usable = [c for c in values.columns if c not in set_aside]
    if not usable:
        raise ValueError(f"no usable feature: every column is empty or constant ({set_aside})")
    candidates = [k for k in k_values if 2 <= k < len(values)]
    if not candidates:
        raise ValueError(f"{len(values)} customers are too few to cluster")
    skewness = values[usable].skew()
    log_features = [c for c in usable if values[c].min() >= 0 and skewness[c] > SKEWNESS_FOR_LOG]
    linear_features = [c for c in usable if c not in log_features]

    preprocessing = _preprocessing(log_features, linear_features)
    standardised = preprocessing.fit_transform(values[usable])
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(values), min(sample_size, len(values)), replace=False)
    silhouettes, sample_fits = {}, {}
    for k in candidates:
        sample_fits[k] = KMeans(k, n_init=10, random_state=random_state).fit(standardised[sample])
        if len(np.unique(sample_fits[k].labels_)) > 1:
            silhouettes[k] = float(silhouette_score(standardised[sample], sample_fits[k].labels_))
    if not silhouettes:
        raise ValueError("customers are too alike to cluster (every sample fit found one group)")
    best_k = max(silhouettes, key=lambda k: (silhouettes[k], -k))

    # Refine the sample's centres on everyone: one Lloyd run instead of ten restarts.
    kmeans = KMeans(best_k, init=sample_fits[best_k].cluster_centers_, n_init=1)
    model_labels = kmeans.fit_predict(standardised)
    sizes = np.bincount(model_labels, minlength=best_k)
    by_size = np.argsort(-sizes, kind="stable")
    cluster_of_model_label = np.empty(best_k, dtype=np.int64)
    cluster_of_model_label[by_size] = np.arange(best_k)
    labels = pd.Series(cluster_of_model_label[model_labels], index=features.index, name="cluster")

    centres = pd.DataFrame(  # the column transformer's output order
        standardised, columns=log_features + linear_features, index=features.index
    )
    centres = centres.groupby(labels).mean()
    names = _cluster_names(centres)
    means = values[usable].groupby(labels).mean()
    profile = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": pd.Series(names),
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
        profile=profile,
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
