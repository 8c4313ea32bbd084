"""Per-customer purchase summary as of a cutoff: the inputs of BG/NBD, Gamma-Gamma and RFM.

Time unit: the day. A purchase *period* is a calendar day (UTC): several orders on one day are
one purchase whose amount is their sum, as in the BG/NBD literature's repeat-purchase counting.
Orders up to and including the `as_of` day are used; later orders are ignored, so the summary is
point-in-time correct.

Columns (one row per customer with at least one purchase day up to `as_of`, index customer_id):

  frequency                 repeat purchase days: distinct purchase days minus one (the first
                            purchase is excluded, it only starts the customer's clock)
  recency                   days from the first to the last purchase day (0 when frequency = 0);
                            BG/NBD's t_x, not RFM's "days since last purchase"
  T                         days from the first purchase day to `as_of` (the customer's age)
  monetary_value            mean amount of the repeat purchase days (first day excluded, as the
                            Gamma-Gamma model expects); 0 when frequency = 0
  orders                    orders up to `as_of`, first included (RFM frequency)
  revenue                   total amount up to `as_of`, first order included (RFM monetary)
  days_since_last_purchase  T - recency (RFM recency)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

ORDER_COLUMNS = ("customer_id", "ordered_at", "amount")
SUMMARY_COLUMNS = (
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "orders",
    "revenue",
    "days_since_last_purchase",
)


def as_of_day(as_of: dt.date | str | pd.Timestamp) -> pd.Timestamp:
    """The cutoff as a midnight Timestamp; a cutoff with a time of day is refused (ambiguous)."""
    day = pd.Timestamp(as_of)
    if pd.isna(day):
        raise ValueError("as_of is missing")
    if day.tzinfo is not None:
        day = day.tz_convert("UTC").tz_localize(None)
    if day != day.normalize():
        raise ValueError(f"as_of must be a date (a whole day), got {as_of!r}")
    return day


def order_days(ordered_at: pd.Series) -> np.ndarray:
    """Whole days since 1970-01-01 (UTC) of each timestamp; naive timestamps are taken as UTC."""
    stamps = pd.to_datetime(ordered_at, utc=True)
    return stamps.dt.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)


def _day_number(day: pd.Timestamp) -> int:
    return int(np.datetime64(day.date(), "D").astype(np.int64))


def check_orders(orders: pd.DataFrame) -> None:
    """ValueError unless `orders` has the order columns, no missing values and amounts >= 0."""
    missing = [column for column in ORDER_COLUMNS if column not in orders.columns]
    if missing:
        raise ValueError(f"orders lack column(s) {missing}; expected {list(ORDER_COLUMNS)}")
    for column in ORDER_COLUMNS:
        nulls = int(orders[column].isna().sum())
        if nulls:
            raise ValueError(f"orders have {nulls} missing {column} value(s)")
    amounts = pd.to_numeric(orders["amount"], errors="raise")
    negative = int((amounts < 0).sum())
    if negative:
        raise ValueError(
            f"orders have {negative} negative amount(s); net refunds and cancellations out "
            "before summarising"
        )


def summarise_orders(orders: pd.DataFrame, as_of: dt.date | str | pd.Timestamp) -> pd.DataFrame:
    """One row per customer with SUMMARY_COLUMNS from orders (customer_id, ordered_at, amount).

    Orders after the `as_of` day are ignored. Raises ValueError on missing columns or values,
    negative amounts, or when no order falls on or before `as_of`.
    """
    check_orders(orders)
    cutoff = as_of_day(as_of)
    days = order_days(orders["ordered_at"])
    kept = days <= _day_number(cutoff)
    if not kept.any():
        raise ValueError(f"no orders on or before as_of {cutoff.date()}")
    daily = (
        pd.DataFrame(
            {
                "customer_id": orders["customer_id"].to_numpy()[kept],
                "day": days[kept],
                "amount": pd.to_numeric(orders["amount"]).to_numpy(dtype=np.float64)[kept],
            }
        )
        .groupby(["customer_id", "day"], sort=True)
        .agg(amount=("amount", "sum"), orders=("amount", "size"))
        .reset_index()
    )
    customers = daily.groupby("customer_id", sort=True).agg(
        first_day=("day", "min"),
        last_day=("day", "max"),
        purchase_days=("day", "size"),
        first_amount=("amount", "first"),  # days are sorted within a customer
        orders=("orders", "sum"),
        revenue=("amount", "sum"),
    )
    frequency = customers["purchase_days"] - 1
    repeat_revenue = customers["revenue"] - customers["first_amount"]
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": (customers["last_day"] - customers["first_day"]).astype(np.float64),
            "T": (_day_number(cutoff) - customers["first_day"]).astype(np.float64),
            "monetary_value": np.where(
                frequency > 0, repeat_revenue / frequency.clip(lower=1), 0.0
            ),
            "orders": customers["orders"].astype(np.int64),
            "revenue": customers["revenue"].astype(np.float64),
        },
        index=customers.index,
    )
    summary["days_since_last_purchase"] = summary["T"] - summary["recency"]
    return summary


def count_purchases_after(
    orders: pd.DataFrame, as_of: dt.date | str | pd.Timestamp, horizon_days: int
) -> pd.DataFrame:
    """Purchase days and revenue per customer in the window (as_of, as_of + horizon_days].

    What BG/NBD's expected purchases over `horizon_days` predict, counted the same way as the
    summary counts (distinct purchase days). Columns purchases, revenue; index customer_id; only
    customers with a purchase in the window appear.
    """
    check_orders(orders)
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    start = _day_number(as_of_day(as_of))
    days = order_days(orders["ordered_at"])
    inside = (days > start) & (days <= start + horizon_days)
    window = pd.DataFrame(
        {
            "customer_id": orders["customer_id"].to_numpy()[inside],
            "day": days[inside],
            "amount": pd.to_numeric(orders["amount"]).to_numpy(dtype=np.float64)[inside],
        }
    )
    return window.groupby("customer_id", sort=True).agg(
        purchases=("day", "nunique"), revenue=("amount", "sum")
    )
