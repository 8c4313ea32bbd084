"""The campaign or coupon to go with each offer: the best one running for its category."""

from __future__ import annotations

import pandas as pd

from ml.offers.recommender import as_utc, checked_frame, utc_timestamp

CAMPAIGN_COLUMNS = ["campaign_id", "coupon_code", "offer"]


def attach_campaigns(
    offers: pd.DataFrame,
    campaigns: pd.DataFrame,
    as_of: pd.Timestamp | str,
    categories: pd.Index | None = None,
) -> pd.DataFrame:
    """Add campaign_id, coupon_code and offer: the best campaign running at `as_of` for each
    offer's category.

    Running: started_at <= as_of and (ended_at missing or >= as_of), with an offer text or a
    coupon code. A campaign is for a category when the category's name appears in its offer or
    name (case aside); it is store-wide when it names none of `categories` (the catalogue's;
    by default those of the offers: pass them all, or "15% off Beauty" reads as store-wide when
    no offer is for Beauty). Per category: a campaign for the category beats a
    store-wide one; then one with a coupon code; then the deeper "NN%" discount in the offer
    text; then the latest start; then the smallest campaign_id. A/B tests offer their variant A
    only (or no variant): the test itself decides who sees B. Offers with no matching campaign
    keep missing values.
    """
    as_of = utc_timestamp(as_of)
    clashing = [column for column in CAMPAIGN_COLUMNS if column in offers.columns]
    if clashing:
        raise ValueError(f"offers already have the columns {clashing}")
    campaigns = checked_frame(
        campaigns,
        "campaigns",
        ["campaign_id", "name", "started_at", "ended_at", "offer", "coupon_code", "variant"],
    )
    started, ended = as_utc(campaigns["started_at"]), as_utc(campaigns["ended_at"])
    variant = campaigns["variant"].astype(object)
    running = campaigns[
        (started <= as_of)
        & (ended.isna() | (ended >= as_of))
        & (campaigns["offer"].notna() | campaigns["coupon_code"].notna())
        & (variant.isna() | (variant.astype(str).str.upper() == "A"))
    ].copy()
    running["started"] = as_utc(running["started_at"])
    text = (running["offer"].fillna("") + " " + running["name"].fillna("")).str.lower()
    running["discount"] = text.str.extract(r"(\d+(?:\.\d+)?)\s*%", expand=False).astype(float)
    running["has_coupon"] = running["coupon_code"].notna()

    if categories is None:
        categories = pd.Index(offers["category"].dropna().unique())
    names_a_category = pd.Series(False, index=text.index)
    for category in categories:
        names_a_category |= text.str.contains(str(category).lower(), regex=False)

    chosen = {}
    for category in pd.unique(offers["category"].dropna()):
        for_category = text.str.contains(str(category).lower(), regex=False)
        candidates = running.assign(for_category=for_category)
        candidates = candidates[for_category | ~names_a_category]
        if candidates.empty:
            continue
        best = candidates.sort_values(
            ["for_category", "has_coupon", "discount", "started", "campaign_id"],
            ascending=[False, False, False, False, True],
            na_position="last",
        ).iloc[0]
        chosen[category] = (best["campaign_id"], best["coupon_code"], best["offer"])
    attached = pd.DataFrame.from_dict(chosen, orient="index", columns=CAMPAIGN_COLUMNS)
    return offers.merge(attached, how="left", left_on="category", right_index=True)
