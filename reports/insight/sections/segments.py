"""Segments: RFM segments' share of buyers against their share of revenue, and the behavioural
clusters with their size, value and the action each suggests (ml.customer_segments)."""

from __future__ import annotations

from reports import charts
from reports.formatting import label, number, percent
from reports.insight.page import MIN_SAMPLE, Chart, Section, Table, absent, too_few
from reports.warehouse import Warehouse

ANCHOR, NAME = "segments", "Segments"


def build(warehouse: Warehouse) -> Section:
    has_profiles = warehouse.has("marts.customer_360")
    revenue = "coalesce(sum(profiles.revenue), 0)" if has_profiles else "0"
    join = "left join marts.customer_360 as profiles using (customer_id)" if has_profiles else ""
    rows = warehouse.query(
        f"select segments.segment, count(*) as customers, {revenue} as revenue "
        f"from ml.customer_segments as segments {join} group by segments.segment "
        "order by revenue desc, customers desc, segments.segment",
        "ml.customer_segments",
    )
    if rows is None:
        return absent(
            ANCHOR, NAME, "No segments: ml.customer_segments is absent or empty (no sales yet)."
        )
    section = Section(ANCHOR, NAME)
    rows["share_of_customers"] = rows["customers"] / rows["customers"].sum()
    pairs = {"share of buyers": rows["share_of_customers"]}
    sizeable = rows[rows["customers"] >= MIN_SAMPLE]
    if not len(sizeable):
        section.title = too_few(int(rows["customers"].max()), "buyers in any segment")
    elif rows["revenue"].sum() > 0:
        rows["share_of_revenue"] = rows["revenue"] / rows["revenue"].sum()
        pairs["share of revenue"] = rows["share_of_revenue"]
        top = rows.loc[sizeable.index[0]]
        section.title = (
            f"{label(top['segment'])} are {percent(top['share_of_customers'])} of buyers and "
            f"bring {percent(top['share_of_revenue'])} of revenue"
        )
    else:
        top = sizeable.sort_values("customers", ascending=False).iloc[0]
        section.title = (
            f"{label(top['segment'])} is the largest segment "
            f"({percent(top['share_of_customers'])} of buyers)"
        )
    figure = charts.paired_bars([label(s) for s in rows["segment"]], pairs, percent)
    section.charts.append(
        Chart(
            charts.svg(figure, section.title),
            "RFM segments of every buyer (recency, frequency and monetary scores), their share "
            "of buyers and of revenue, most valuable first.",
        )
    )
    clusters = behavioural_clusters(warehouse, has_profiles)
    if clusters is not None:
        section.tables.append(
            Table(
                ["segment", "customers", "average revenue", "share of revenue", "suggested action"],
                [
                    [
                        row.cluster_profile,
                        f"{number(row.customers)} ({percent(row.share_of_customers)})",
                        warehouse.money(row.average_revenue),
                        percent(row.share_of_revenue),
                        row.cluster_action or "",
                    ]
                    for row in clusters.itertuples()
                ],
                f"{len(clusters)} behavioural segments of buyers, named after what sets them "
                "apart from the average buyer (ml.customer_segments), largest first.",
            )
        )
    return section


def behavioural_clusters(warehouse: Warehouse, has_profiles: bool):
    """One row per behavioural cluster: its name, action, size and value; None without any."""
    action = (
        "any_value(segments.cluster_action)"
        if "cluster_action" in warehouse.columns("ml.customer_segments")
        else "null"
    )
    revenue = "coalesce(profiles.revenue, 0)" if has_profiles else "0"
    join = "left join marts.customer_360 as profiles using (customer_id)" if has_profiles else ""
    clusters = warehouse.con.execute(
        f"select segments.cluster_profile, {action} as cluster_action, count(*) as customers, "
        f"avg({revenue}) as average_revenue, sum({revenue}) as revenue "
        f"from ml.customer_segments as segments {join} "
        "where segments.cluster_profile is not null group by segments.cluster_profile "
        "order by customers desc, segments.cluster_profile"
    ).df()
    if len(clusters) < 2:
        return None
    clusters["share_of_customers"] = clusters["customers"] / clusters["customers"].sum()
    total = clusters["revenue"].sum()
    clusters["share_of_revenue"] = clusters["revenue"] / total if total > 0 else 0.0
    return clusters
