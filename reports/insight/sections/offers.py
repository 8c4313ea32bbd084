"""Next best offers: what to offer each behavioural segment (ml.next_best_offers), with how much
more than the average buyer the segment already buys that category.

Expected uplift here is observational: a segment's purchase rate of the offered category over
all buyers' rate (marts.ml_customer_product_events). A causal uplift needs offers sent to a
random half and withheld from the other (campaign A/B tests measure exactly that per campaign).
"""

from __future__ import annotations

from reports.formatting import label, number, percent
from reports.insight.page import MIN_SAMPLE, Section, Table, absent, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "offers", "Next best offers"
PER_SEGMENT = 3
EVENTS = "marts.ml_customer_product_events"


def build(warehouse: Warehouse) -> Section:
    if not warehouse.has("ml.next_best_offers", "ml.customer_segments", EVENTS):
        return absent(
            ANCHOR, NAME, "No offers: ml.next_best_offers or ml.customer_segments is absent."
        )
    rows = warehouse.query(
        f"""
        with segments as (
            select customer_id, coalesce(cluster_profile, segment) as segment
            from ml.customer_segments
        ),
        sizes as (select segment, count(*) as customers from segments group by segment),
        bought as (
            select distinct customer_id, category from {EVENTS} where event_type = 'purchase'
        ),
        segment_rate as (
            select segments.segment, bought.category,
                count(distinct bought.customer_id) / any_value(sizes.customers) as rate
            from bought inner join segments using (customer_id) inner join sizes using (segment)
            group by all
        ),
        overall_rate as (
            select category, count(distinct customer_id) / (select count(*) from segments) as rate
            from bought where customer_id in (select customer_id from segments) group by category
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
            ["segment", "offer (category)", "first offer for", "segment buys it", "uplift"],
            [
                [
                    f"{label(row.segment)} ({number(row.customers)})",
                    row.category,
                    f"{number(row.offered)} ({percent(row.offered / row.customers)})",
                    percent(row.segment_rate) if row.segment_rate == row.segment_rate else "0%",
                    f"{row.uplift:+.0%} vs all buyers" if row.uplift == row.uplift else "n/a",
                ]
                for row in rows.itertuples()
            ],
            f"The {PER_SEGMENT} categories most often offered first to each segment (largest "
            "segments first), with the share of the segment that bought the category so far and "
            "how much more (+) or less (−) that is than among all buyers: an observed uplift, "
            "not a causal one.",
        )
    )
    return section
