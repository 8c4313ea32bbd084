"""The retention list: whom to contact first to keep them.

A churn score alone ranks the long gone first (a customer whose last order was a year ago is
certain not to buy next quarter, and no call will change it). The list instead keeps customers
who are still within reach and ranks them by the value at risk:

  reachable      some activity (an order, a visit or an email opened or clicked) within the
                 churn horizon before the scoring day, and consent to be contacted by email or
                 SMS; the rest are counted, not listed (`lapsed`, `without_consent`)
  value at risk  churn probability × expected value over the CLV horizon (ml.clv_predictions)
  why            the churn model's top drivers, the days since the last order and the channel
                 to use

It reads ml.churn_predictions, ml.clv_predictions and marts.customer_360.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pandas as pd

INPUTS = ("ml.churn_predictions", "ml.clv_predictions", "marts.customer_360")


@dataclass(frozen=True)
class RetentionList:
    customers: pd.DataFrame  # reachable customers at risk, largest value at risk first
    scored: int  # customers with a churn score and an expected value
    lapsed: int  # left out: no activity within the horizon
    without_consent: int  # left out: active, but no consent to email or SMS

    @property
    def value_at_risk(self) -> float:
        return float(self.customers["value_at_risk"].sum())


def retention_list(con: duckdb.DuckDBPyConnection) -> RetentionList:
    frame = con.execute(
        """
        with scored as (
            select churn.customer_id, churn.churn_probability, churn.top_drivers,
                churn.horizon_days, clv.expected_value,
                churn.churn_probability * clv.expected_value as value_at_risk,
                date_diff('day', profiles.last_order_at::date, churn.as_of::date)
                    as days_since_last_order,
                date_diff('day', greatest(profiles.last_order_at, profiles.last_seen_at,
                    profiles.last_email_engaged_at)::date, churn.as_of::date)
                    as days_since_last_activity,
                coalesce(profiles.has_email_consent, false) as email,
                coalesce(profiles.has_sms_consent, false) as sms
            from ml.churn_predictions as churn
            inner join ml.clv_predictions as clv using (customer_id)
            inner join marts.customer_360 as profiles using (customer_id)
            where clv.expected_value is not null
        )
        select *, days_since_last_activity <= horizon_days as is_active,
            email or sms as has_consent
        from scored
        order by value_at_risk desc, customer_id
        """
    ).df()
    active = frame[frame["is_active"].fillna(False)]
    reachable = active[active["has_consent"]].copy()
    reachable["channel"] = [
        "email" if email else "SMS" for email in reachable["email"].to_numpy(dtype=bool)
    ]
    reachable["why"] = [why(row) for row in reachable.itertuples()]
    return RetentionList(
        customers=reachable.drop(columns=["is_active", "has_consent", "email", "sms"]).reset_index(
            drop=True
        ),
        scored=len(frame),
        lapsed=len(frame) - len(active),
        without_consent=len(active) - len(reachable),
    )


def why(row) -> str:
    order = (
        f"last order {row.days_since_last_order} days ago"
        if pd.notna(row.days_since_last_order)
        else "no order yet"
    )
    drivers = f"; {readable_drivers(row.top_drivers)}" if row.top_drivers else ""
    return f"{order}, active {row.days_since_last_activity} days ago{drivers}"


def readable_drivers(drivers: str) -> str:
    """The churn model's "days_since_last_order = 191 (+); searches = 15 (-)" for people:
    "days since last order 191 (raises the risk); searches 15 (lowers it)"."""
    text = re.sub(r"(\w+) = ", lambda match: match.group(1).replace("_", " ") + " ", drivers)
    text = re.sub(
        r"(\w+) missing", lambda match: match.group(1).replace("_", " ") + " unknown", text
    )
    return text.replace("(+)", "(raises the risk)").replace("(-)", "(lowers it)")
