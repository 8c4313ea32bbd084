"""Measure the propensity and next-best-offer models on the real datasets in ../shared/data.

    python -m bench.ml_models            # classifier comparison and timings (about 3 minutes)

1. The classifier choice behind ml/pipeline/classifier.py: its logistic pipeline against histogram
   gradient boosting on the same features (raw, and isotonic-calibrated on the training period)
   with the same time split on Leads and Bank Marketing: ROC AUC, Brier score, fit seconds.
2. Propensity at scale: Bank Marketing resampled to 1,000,000 rows: fit, predict, explain.
3. Next best offer at scale: Online Retail II with every customer copied 25 times (107k
   customers, 4k products): recommend() for all of them.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.pipeline import Pipeline

from ml.offers.recommender import recommend
from ml.pipeline.classifier import build_model, explain

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
LEAD_LEAKS = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
    "Last Notable Activity",
]


def leads() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(DATA / "leads" / "Leads.csv").replace("Select", np.nan)
    frame = frame.sort_values("Lead Number", kind="stable").reset_index(drop=True)
    return frame.drop(columns=[*LEAD_LEAKS, "Converted"]), frame["Converted"].to_numpy()


def bank() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(DATA / "bank_marketing" / "bank-additional-full.csv", sep=";")
    return frame.drop(columns=["duration", "y"]), (frame["y"] == "yes").to_numpy().astype(int)


def with_classifier(model: Pipeline, classifier) -> Pipeline:
    return Pipeline([*model.steps[:-1], ("classifier", classifier)])


def compare_classifiers() -> None:
    print("classifier comparison, time split (first 75 % of rows -> last 25 %)")
    print(f"{'data':6} {'classifier':28} {'ROC AUC':>8} {'Brier':>7} {'fit s':>6}")
    for name, (X, y) in {"leads": leads(), "bank": bank()}.items():
        cut = int(len(X) * 0.75)
        X_train, X_test, y_train, y_test = X[:cut], X[cut:], y[:cut], y[cut:]
        logistic = build_model(X_train)
        boosting = HistGradientBoostingClassifier(random_state=0)
        candidates = {
            "logistic (build_model)": logistic,
            "gradient boosting": with_classifier(logistic, boosting),
            "gradient boosting, isotonic": with_classifier(
                logistic, CalibratedClassifierCV(clone(boosting), method="isotonic", cv=3)
            ),
        }
        for label, model in candidates.items():
            started = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - started
            probability = model.predict_proba(X_test)[:, 1]
            auc = roc_auc_score(y_test, probability)
            brier = brier_score_loss(y_test, probability)
            print(f"{name:6} {label:28} {auc:8.4f} {brier:7.4f} {seconds:6.1f}")


def time_propensity(rows: int = 1_000_000) -> None:
    X, y = bank()
    pick = np.random.default_rng(0).integers(0, len(X), rows)
    X, y = X.iloc[pick].reset_index(drop=True), y[pick]
    started = time.perf_counter()
    model = build_model(X).fit(X, y)
    fitted = time.perf_counter()
    model.predict_proba(X)
    predicted = time.perf_counter()
    explain(model, X)
    explained = time.perf_counter()
    print(
        f"propensity on {rows:,} rows x {X.shape[1]} columns: fit {fitted - started:.1f} s, "
        f"predict {predicted - fitted:.1f} s, explain (top 3) {explained - predicted:.1f} s"
    )


def time_offers(copies: int = 25) -> None:
    path = DATA / "online_retail" / "online_retail_II_2009-2010.parquet"
    orders = duckdb.sql(
        f"""
        select
            cast(cast("Customer ID" as bigint) as varchar) || '-' || copy as customer_id,
            Invoice || '-' || copy as order_id,
            cast(InvoiceDate as timestamp) as ordered_at,
            StockCode as product_id,
            upper(regexp_extract(trim(Description), '([A-Za-z]+)$', 1)) as category
        from '{path}', range({copies}) as copies(copy)
        where "Customer ID" is not null and Invoice not like 'C%' and Quantity > 0
            and regexp_matches(StockCode, '^[0-9]{{5}}')
        """
    ).df()
    as_of = orders["ordered_at"].max() + pd.Timedelta(days=1)
    started = time.perf_counter()
    offers = recommend(orders, as_of, k=10)
    seconds = time.perf_counter() - started
    print(
        f"recommend for {offers['customer_id'].nunique():,} customers x "
        f"{orders['product_id'].nunique():,} products ({len(orders):,} order lines): "
        f"{seconds:.1f} s"
    )


def main() -> None:
    if not DATA.is_dir():
        raise SystemExit(f"real datasets not found at {DATA}")
    compare_classifiers()
    time_propensity()
    time_offers()


if __name__ == "__main__":
    main()
