"""The point-in-time feature marts (dbt_project/models/features), read as pandas frames.

Every frame holds only events on or before the scoring cutoff (as_of); the training frames are
taken at earlier cutoffs with labels from the window after them, all built by dbt.
"""

from __future__ import annotations

import datetime as dt
import functools
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


class FeatureFrames:
    """The feature marts as pandas frames, each read from the warehouse when a model first asks
    for it: a model reads only what it uses (at a million customers the product events alone are
    tens of millions of rows), and while `con` is open."""

    def __init__(self, con: duckdb.DuckDBPyConnection, cutoffs: dict[str, Cutoff]):
        self._con = con
        self.cutoffs = cutoffs

    def _read(self, table: str, order: str) -> pd.DataFrame:
        return self._con.execute(f"select * from {FEATURE_SCHEMA}.{table} order by {order}").df()

    @functools.cached_property
    def customer_features(self) -> pd.DataFrame:
        """cutoff_name, cutoff_date, customer_id, features..."""
        return self._read("customer_features", "cutoff_name, customer_id")

    @functools.cached_property
    def customer_labels(self) -> pd.DataFrame:
        """cutoff_name, customer_id, is_churned, ..."""
        return self._read("customer_labels", "cutoff_name, customer_id")

    @functools.cached_property
    def orders(self) -> pd.DataFrame:
        """order_id, customer_id, ordered_at, amount, ..."""
        return self._read("customer_orders", "ordered_at, order_id")

    @functools.cached_property
    def product_events(self) -> pd.DataFrame:
        """customer_id, occurred_at, event_type, product_id, ..."""
        return self._read(
            "customer_product_events", "occurred_at, customer_id, event_type, product_id"
        )

    @functools.cached_property
    def campaigns(self) -> pd.DataFrame:
        """campaign_id, offer, coupon_code, is_running, ..."""
        return self._read("offer_campaigns", "started_at, campaign_id")

    @functools.cached_property
    def leads(self) -> pd.DataFrame:
        """lead_id, created_at, attributes..., is_converted_in_window, is_open"""
        return self._read("lead_features", "created_at, lead_id")

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
    """The feature marts, read on use while `con` is open; a clear error when dbt has not
    built them."""
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
    cutoffs = {
        name: Cutoff(name, pd.Timestamp(day).date(), None if pd.isna(horizon) else int(horizon))
        for name, day, horizon in con.execute(
            f"select cutoff_name, cutoff_date, horizon_days from {FEATURE_SCHEMA}.feature_cutoffs "
            "order by cutoff_name"
        ).fetchall()
    }
    if "scoring" not in cutoffs:
        raise RuntimeError(f"{FEATURE_SCHEMA}.feature_cutoffs has no scoring cutoff")
    return FeatureFrames(con, cutoffs)


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
