"""Next best offers: what to offer each behavioural segment (ml.next_best_offers), and how much
more than buyers overall the segment already favours that category.

The uplift shown is observational: the share of the segment whose most bought category
(marts.customer_360.top_purchased_category) is the offered one, over that share among all
segmented buyers. A causal uplift needs the offer sent to a random half and withheld from the
other (the campaign A/B tests measure exactly that per campaign).
"""

from __future__ import annotations

import pandas as pd

from reports.formatting import label, number, percent
from reports.insight.page import MIN_SAMPLE, Section, Table, absent, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "offers", "Next best offers"
PER_SEGMENT = 3
PROFILES = "marts.customer_360"


def build(warehouse: Warehouse) -> Section:
    if not warehouse.has("ml.next_best_offers", "ml.customer_segments", PROFILES):
        return absent(
            ANCHOR,
            NAME,
            "No offers: ml.next_best_offers, ml.customer_segments or marts.customer_360 is absent.",
        )
    rows = warehouse.query(
        f"""
        with segments as (
            select customer_id, coalesce(cluster_profile, segment) as segment
            from ml.customer_segments
        ),
        sizes as (select segment, count(*) as customers from segments group by segment),
        favourite as (
            select segments.segment, profiles.top_purchased_category as category
            from segments inner join {PROFILES} as profiles using (customer_id)
            where profiles.top_purchased_category is not null
        ),
        segment_rate as (
            select favourite.segment, favourite.category,
                count(*) / any_value(sizes.customers) as rate
            from favourite inner join sizes using (segment)
            group by all
        ),
        overall_rate as (
            select category, count(*) / (select count(*) from segments) as rate
            from favourite group by category
        ),
        offered as (
            select segments.segment, offers.category, count(*) as offered
            from ml.next_best_offers as offers inner join segments using (customer_id)
            where offers.offer_rank = 1 and offers.category is not null
            group by all
        )
        select offered.segment, sizes.customers, offered.category, offered.offered,
            segment_rate.rate as segment_rate, overall_rate.rate as overall_rate,
            segment_rate.rate / nullif(overall_rate.rate, 0) - 1 as uplift
        from offered
        inner join sizes using (segment)
        left join segment_rate using (segment, category)
        left join overall_rate using (category)
        qualify row_number() over (
            partition by offered.segment order by offered.offered desc, offered.category
        ) <= {PER_SEGMENT}
        order by sizes.customers desc, offered.segment, offered.offered desc, offered.category
        """,
        "ml.next_best_offers",
    )
    if rows is None:
        return absent(ANCHOR, NAME, "No offers: ml.next_best_offers is empty.")
    sizeable = rows[rows["customers"] >= MIN_SAMPLE]
    if not len(sizeable):
        title = too_few(int(rows["customers"].max()), "buyers in any segment")
    else:
        top = sizeable.iloc[0]
        title = (
            f"Offer {top['category']} to {label(top['segment'])}: it is the first offer for "
            f"{percent(top['offered'] / top['customers'])} of them"
        )
    section = Section(ANCHOR, NAME, title=title)
    section.tables.append(
        Table(
            ["segment", "offer (category)", "first offer for", "favourite of", "uplift"],
            [
                [
                    f"{label(row.segment)} ({number(row.customers)})",
                    row.category,
                    f"{number(row.offered)} ({percent(row.offered / row.customers)})",
                    percent(row.segment_rate) if pd.notna(row.segment_rate) else "0%",
                    f"{row.uplift:+.0%} vs all buyers" if pd.notna(row.uplift) else "n/a",
                ]
                for row in rows.itertuples()
            ],
            f"The {PER_SEGMENT} categories most often offered first to each segment (largest "
            "segments first), with the share of the segment whose most bought category it is and "
            "how much more (+) or less (−) that is than among all buyers: an observed uplift, "
            "not a causal one.",
        )
    )
    return section
