"""Behaviour features: what a customer does, as rates and shares a clustering can compare.

`behaviour_features` turns a customer's counts as of the cutoff (customer_features), sales
and order lines into rates and shares: orders, sessions per month of known history; items per
order; product views per session and add-to-carts per view; average order value; and the
shares of orders in UK gift seasons (1-24 December, the week before Valentine's Day and
Mothering Sunday, five days before Father's Day), with a coupon, in store and in the app,
shrunk towards everyone's share by two orders so one order is not read as a habit.
The basis the clusters are fitted on (CLUSTER_BASIS) and the traits that only describe them
(DESCRIPTIVE_TRAITS) are both defined here; ml.segments.clustering fits and names the clusters.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SHARE_PRIOR_ORDERS = 2.0  # shares of orders shrink towards everyone's share by two orders
MIN_MONTHS = 1.0  # rates per month count at least one month of history

# The behaviour basis the clusters are fitted on (behaviour_features computes all of them):
# how often, how much per order, how much browsing, how deep, and how often a look ends in
# the cart. Monetary totals are left out: they are frequency x basket again, and would double
# the weight of the one "buys a lot" axis that drowns every other difference.
CLUSTER_BASIS = (
    "orders_per_month",
    "items_per_order",
    "sessions_per_month",
    "views_per_session",
    "carts_per_view",
)
# Traits that describe and name the clusters beside the basis (not fitted on: weaker or
# sparser signals that split customers on noise when clustered, but tell a marketer what to do).
DESCRIPTIVE_TRAITS = (
    "average_order_value",
    "gift_season_share",
    "coupon_share",
    "store_share",
    "app_share",
    "days_since_last_order",
)
BEHAVIOUR_FEATURES = CLUSTER_BASIS + DESCRIPTIVE_TRAITS

# Gifting occasions of a UK shop (days before and including the occasion).
GIFT_DAYS_BEFORE_CHRISTMAS = 24  # 1-24 December
GIFT_WINDOWS = {"valentines_day": 7, "mothering_sunday": 7, "fathers_day": 5}


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def gift_occasions(year: int) -> dict[str, dt.date]:
    """UK gifting occasions: Valentine's Day, Mothering Sunday (three weeks before Easter) and
    Father's Day (third Sunday of June)."""
    june_first = dt.date(year, 6, 1)
    first_sunday = june_first + dt.timedelta(days=(6 - june_first.weekday()) % 7)
    return {
        "valentines_day": dt.date(year, 2, 14),
        "mothering_sunday": easter_sunday(year) - dt.timedelta(days=21),
        "fathers_day": first_sunday + dt.timedelta(days=14),
    }


def is_gift_season(dates: pd.Series) -> pd.Series:
    """True on 1-24 December and in the week (five days for Father's Day) up to each occasion."""
    days = pd.to_datetime(dates).dt.normalize()
    season = (days.dt.month == 12) & (days.dt.day <= GIFT_DAYS_BEFORE_CHRISTMAS)
    for year in days.dt.year.dropna().unique():
        for occasion, day in gift_occasions(int(year)).items():
            until = pd.Timestamp(day)
            since = until - pd.Timedelta(days=GIFT_WINDOWS[occasion])
            season |= days.between(since, until)
    return season.fillna(False).astype(bool)


def behaviour_features(
    customers: pd.DataFrame, orders: pd.DataFrame, order_lines: pd.DataFrame | None = None
) -> pd.DataFrame:
    """BEHAVIOUR_FEATURES per customer (the rows of `customers`, indexed by customer_id).

    customers: customer_360-style counts as of the cutoff (customer_features): orders,
        revenue, orders_with_coupon, store_orders, app_orders, sessions, product_views,
        add_to_carts, days_since_first_seen, days_since_last_order.
    orders: one row per sale (customer_id, ordered_at), for the gift-season share.
    order_lines: one row per order line (customer_id, order_id, weight = quantity), for the
        basket size; without them items_per_order is empty (and set aside by the clustering).

    Rates are per month of known history (since first seen, at least MIN_MONTHS); shares of
    orders are shrunk towards everyone's share by SHARE_PRIOR_ORDERS orders, so that one order
    with a coupon does not make a customer a 100% coupon user; the browsing ratios add one to
    each count for the same reason.
    """
    frame = customers
    orders_count = frame["orders"].astype(np.float64)
    months = np.maximum((frame["days_since_first_seen"].astype(np.float64) + 1) / 30.44, MIN_MONTHS)

    def shrunk_share(counts: pd.Series) -> pd.Series:
        counts = counts.reindex(frame.index).fillna(0).astype(np.float64)
        overall = counts.sum() / orders_count.sum() if orders_count.sum() > 0 else 0.0
        return (counts + SHARE_PRIOR_ORDERS * overall) / (orders_count + SHARE_PRIOR_ORDERS)

    gift_orders = orders.loc[is_gift_season(orders["ordered_at"]).to_numpy(), "customer_id"]
    if order_lines is not None and len(order_lines):
        lines = order_lines.groupby("customer_id")
        items_per_order = lines["weight"].sum() / lines["order_id"].nunique()
    else:
        items_per_order = pd.Series(dtype=np.float64)
    sessions = frame["sessions"].astype(np.float64)
    views = frame["product_views"].astype(np.float64)
    features = pd.DataFrame(
        {
            "orders_per_month": orders_count / months,
            "items_per_order": items_per_order.reindex(frame.index).astype(np.float64),
            "sessions_per_month": sessions / months,
            "views_per_session": (views + 1) / (sessions + 1),
            "carts_per_view": (frame["add_to_carts"].astype(np.float64) + 1) / (views + 2),
            "average_order_value": frame["revenue"].astype(np.float64)
            / orders_count.where(orders_count > 0),
            "gift_season_share": shrunk_share(gift_orders.value_counts()),
            "coupon_share": shrunk_share(frame["orders_with_coupon"]),
            "store_share": shrunk_share(frame["store_orders"]),
            "app_share": shrunk_share(frame["app_orders"]),
            "days_since_last_order": frame["days_since_last_order"].astype(np.float64),
        },
        index=frame.index,
    )
    return features[list(BEHAVIOUR_FEATURES)]
