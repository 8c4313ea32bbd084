"""The point-in-time feature marts (dbt_project/models/features), read as pandas frames.

Every frame holds only events on or before the scoring cutoff (as_of); the training frames are
taken at earlier cutoffs with labels from the window after them, all built by dbt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

FEATURE_SCHEMA = "features"
FEATURE_TABLES = (
    "feature_cutoffs",
    "customer_features",
    "customer_labels",
    "customer_orders",
    "customer_product_events",
    "offer_campaigns",
    "lead_features",
)


@dataclass(frozen=True)
class Cutoff:
    name: str
    date: dt.date
    horizon_days: int | None


@dataclass(frozen=True)
class FeatureFrames:
    cutoffs: dict[str, Cutoff]
    customer_features: pd.DataFrame  # cutoff_name, cutoff_date, customer_id, features...
    customer_labels: pd.DataFrame  # cutoff_name, customer_id, is_churned, ...
    orders: pd.DataFrame  # order_id, customer_id, ordered_at, amount, ...
    product_events: pd.DataFrame  # customer_id, occurred_at, event_type, product_id, ...
    campaigns: pd.DataFrame  # campaign_id, offer, coupon_code, is_running, ...
    leads: pd.DataFrame  # lead_id, created_at, attributes..., is_converted_in_window, is_open

    @property
    def as_of(self) -> dt.date:
        return self.cutoffs["scoring"].date

    def features_at(self, cutoff_name: str) -> pd.DataFrame:
        """Customer features at one cutoff, indexed by customer_id."""
        frame = self.customer_features
        return frame[frame["cutoff_name"] == cutoff_name].set_index("customer_id").sort_index()

    def labels_at(self, cutoff_name: str) -> pd.DataFrame:
        frame = self.customer_labels
        return frame[frame["cutoff_name"] == cutoff_name].set_index("customer_id").sort_index()


def read_feature_frames(con: duckdb.DuckDBPyConnection) -> FeatureFrames:
    """Every feature mart; a clear error when dbt has not built them."""
    present = {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [FEATURE_SCHEMA]
        ).fetchall()
    }
    missing = [table for table in FEATURE_TABLES if table not in present]
    if missing:
        raise RuntimeError(
            f"feature marts {', '.join(missing)} are missing from schema {FEATURE_SCHEMA}: "
            "build them first (dbt build --select path:models/features)"
        )

    def read(table: str, order: str) -> pd.DataFrame:
        return con.execute(f"select * from {FEATURE_SCHEMA}.{table} order by {order}").df()

    cutoffs = {
        row.cutoff_name: Cutoff(
            row.cutoff_name,
            pd.Timestamp(row.cutoff_date).date(),
            None if pd.isna(row.horizon_days) else int(row.horizon_days),
        )
        for row in read("feature_cutoffs", "cutoff_name").itertuples()
    }
    if "scoring" not in cutoffs:
        raise RuntimeError(f"{FEATURE_SCHEMA}.feature_cutoffs has no scoring cutoff")
    return FeatureFrames(
        cutoffs=cutoffs,
        customer_features=read("customer_features", "cutoff_name, customer_id"),
        customer_labels=read("customer_labels", "cutoff_name, customer_id"),
        orders=read("customer_orders", "ordered_at, order_id"),
        product_events=read(
            "customer_product_events", "occurred_at, customer_id, event_type, product_id"
        ),
        campaigns=read("offer_campaigns", "started_at, campaign_id"),
        leads=read("lead_features", "created_at, lead_id"),
    )


# Significant digits a float keeps in a data hash: DuckDB adds a column in parallel, in whatever
# order its threads finish, so two builds of the same data can differ in a sum's last bits.
HASHED_DIGITS = 12


def significant(values: np.ndarray, digits: int = HASHED_DIGITS) -> np.ndarray:
    """Floats rounded to `digits` significant digits (zeros, NaN and infinities as they are)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.abs(values)))
        scale = np.power(10.0, digits - 1 - np.where(np.isfinite(exponent), exponent, 0))
        return np.where(
            np.isfinite(values) & (values != 0), np.round(values * scale) / scale, values
        )


def data_hash(*frames: pd.DataFrame, parameters: dict | None = None) -> str:
    """sha256 of the frames' contents (and parameters): the same inputs give the same hash,
    floats compared to HASHED_DIGITS significant digits."""
    digest = hashlib.sha256()
    for frame in frames:
        digest.update(",".join(map(str, frame.columns)).encode())
        floats = frame.select_dtypes("floating").columns
        if len(floats):
            frame = frame.copy()
            frame[floats] = significant(frame[floats].to_numpy(dtype=float))
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    digest.update(repr(sorted((parameters or {}).items())).encode())
    return digest.hexdigest()
