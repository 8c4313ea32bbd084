"""Every headline of the insight report checked against the data it claims to rest on: the
warehouse test_pipeline.py builds from the simulator (read only), and small tables where a case
the simulation does not reach (too few leads, no outcome yet) must be shown."""

import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps

from ml.churn.retention_list import retention_list
from reports import charts
from reports.formatting import Money, label, phrase
from reports.insight.page import MIN_SAMPLE
from reports.insight.sections import (
    campaigns,
    channels,
    churn,
    clv,
    cohorts,
    demand,
    feedback,
    funnel,
    interests,
    kpis,
    leads,
    loyalty,
    offers,
    quality,
    sales,
    segments,
)
from reports.warehouse import Warehouse
from tests.reports.test_insight_report import report  # noqa: F401  (the pipeline's page)
from tests.tools import misspelled


@pytest.fixture(scope="module")
def warehouse(env, built):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        yield Warehouse(con)


@pytest.mark.integration
def test_the_kpi_headline_is_the_latest_complete_months_revenue_in_the_shops_currency(warehouse):
    title = kpis.build(warehouse).title
    assert warehouse.currency == "GBP" and "£" in title
    months = warehouse.con.execute(
        "select kpi_month, revenue from marts.kpi_monthly order by kpi_month"
    ).fetchall()
    (last_day,) = warehouse.con.execute("select max(kpi_date) from marts.kpi_daily").fetchone()
    month_end = pd.Timestamp(months[-1][0]) + pd.offsets.MonthEnd(0)
    complete = months[:-1] if pd.Timestamp(last_day) < month_end else months
    if len(complete) >= 2:
        change = complete[-1][1] / complete[-2][1] - 1
        assert f"{abs(change):.0%}" in title and ("grew" if change > 0 else "fell") in title
        assert Money("GBP")(complete[-1][1]) in title


@pytest.mark.integration
def test_the_channel_named_best_is_the_longest_bar_and_rests_on_enough_contacts(warehouse):
    section = channels.build(warehouse)
    rates = warehouse.con.execute(
        "select channel, sum(successes) / sum(attempts) as rate, sum(attempts) as attempts "
        "from marts.insight_channels where channel_type in ('marketing', 'digital') "
        f"group by channel having sum(attempts) >= {MIN_SAMPLE} order by rate desc"
    ).fetchall()
    best = rates[0][0]
    assert section.title.startswith(f"{label(best)} reaches customers best")
    plotted = set(re.findall(r"<text[^>]*>([^<]+)</text>", section.charts[0].svg))
    assert {label(channel) for channel, _, _ in rates} <= plotted
    # Channels the customer starts (a store order, a ticket) are not in the comparison.
    others = warehouse.con.execute(
        "select distinct channel from marts.insight_channels "
        "where channel_type not in ('marketing', 'digital')"
    ).fetchall()
    assert not {label(channel) for (channel,) in others} & plotted


def colour_name(rgb) -> str:
    red, green, blue = rgb
    return "purple" if blue > green and red > green else "orange" if red > blue else "other"


def test_the_diverging_scales_ends_are_the_colours_the_captions_name():
    scale = colormaps[charts.DIVERGING]
    assert colour_name(scale(0.0)[:3]) == charts.DIVERGING_BELOW
    assert colour_name(scale(1.0)[:3]) == charts.DIVERGING_ABOVE


@pytest.mark.integration
def test_the_interest_headline_and_caption_read_the_heat_map_right(warehouse):
    section = interests.build(warehouse)
    caption = section.charts[0].caption
    assert f"more ({charts.DIVERGING_ABOVE}) or less ({charts.DIVERGING_BELOW})" in caption
    present = {g for (g,) in warehouse.con.execute(
        "select distinct group_type from marts.insight_interests"
    ).fetchall()}  # fmt: skip
    group_type = next(g for g in interests.GROUP_TYPES if g in present)
    assert f"each {phrase(group_type)} group" in caption
    top = warehouse.con.execute(
        "select group_value, group_customers from marts.insight_interests "
        f"where group_type = '{group_type}' and group_value <> 'unknown' "
        f"and group_customers >= {MIN_SAMPLE} and affinity_index is not null "
        "order by affinity_index desc, group_value limit 1"
    ).df()
    if len(top):
        top = top.iloc[0]
        assert top["group_customers"] >= MIN_SAMPLE
        assert section.title.startswith(label(top["group_value"]))


@pytest.mark.integration
def test_the_segment_named_rests_on_enough_buyers(warehouse):
    title = segments.build(warehouse).title
    named = [s for (s,) in warehouse.con.execute(
        "select segment from ml.customer_segments group by segment "
        f"having count(*) >= {MIN_SAMPLE}"
    ).fetchall() if title.startswith(label(s))]  # fmt: skip
    assert named or title.startswith("Too few")


@pytest.mark.integration
def test_the_retention_list_holds_reachable_customers_by_value_at_risk(warehouse):
    listed = retention_list(warehouse.con)
    customers = listed.customers
    assert len(customers)
    assert customers["value_at_risk"].is_monotonic_decreasing
    profiles = (
        warehouse.con.execute(
            "select customer_id, has_email_consent or has_sms_consent as consent, "
            "greatest(last_order_at, last_seen_at, last_email_engaged_at) as last_active "
            "from marts.customer_360"
        )
        .df()
        .set_index("customer_id")
    )
    (as_of,) = warehouse.con.execute("select max(as_of) from ml.churn_predictions").fetchone()
    (horizon,) = warehouse.con.execute(
        "select max(horizon_days) from ml.churn_predictions"
    ).fetchone()
    chosen = profiles.loc[customers["customer_id"]]
    assert chosen["consent"].all()
    assert (
        (np.datetime64(as_of) - chosen["last_active"].values.astype("datetime64[D]")).astype(int)
        <= horizon
    ).all()
    assert len(customers) + listed.lapsed + listed.without_consent == listed.scored
    table = churn.build(warehouse).tables[0]
    assert [row[0] for row in table.rows] == list(customers["customer_id"].head(churn.LISTED))
    assert "already lapsed" in table.caption


def lead_warehouse(grades: dict[str, tuple[int, float]]) -> Warehouse:
    con = duckdb.connect()
    con.execute("create schema ml")
    con.execute(
        "create table ml.lead_scores (lead_id varchar, customer_id varchar, "
        "conversion_probability double, grade varchar, as_of date)"
    )
    for grade, (count, probability) in grades.items():
        con.execute(
            "insert into ml.lead_scores select ? || i, null, ?, ?, date '2026-06-01' "
            "from range(?) as t(i)",
            [grade, probability, grade, count],
        )
    return Warehouse(con)


def test_leads_without_an_outcome_show_the_prediction_alone_with_no_empty_legend():
    section = leads.build(lead_warehouse({"A": (40, 0.6), "B": (50, 0.3), "C": (60, 0.15)}))
    assert section.title == "Grade A leads are predicted to convert at 60% against 15% for grade C"
    assert "converted since scoring" not in section.charts[0].svg
    assert "predicted" in section.charts[0].svg


def test_no_grade_is_named_best_on_fewer_leads_than_the_minimum():
    section = leads.build(lead_warehouse({"A": (2, 0.9), "B": (80, 0.3)}))
    assert section.title.startswith("Too few leads") and "Grade" not in section.title


def test_labels_read_as_words():
    assert label("cant_lose") == "Can't lose"
    assert label("need_attention") == "Needs attention"
    assert label("vip") == "VIP"
    assert phrase("rfm_segment") == "RFM segment" and phrase("loyalty_tier") == "loyalty tier"
    assert Money("GBP")(1234.5) == "£1,234" and Money("SEK")(12.5) == "12.50 SEK"


@pytest.mark.integration
def test_every_word_of_the_report_is_spelled_right(report):  # noqa: F811
    assert not misspelled(Path(report).read_text(encoding="utf-8"))


@pytest.mark.integration
def test_the_fastest_growing_category_is_the_top_of_those_with_enough_orders(warehouse):
    title = sales.build(warehouse).title
    rows = warehouse.con.execute(
        "select dimension_value, revenue_growth_rate from marts.insight_sales_trends "
        f"where dimension = 'category' and orders >= {MIN_SAMPLE} "
        "and revenue_growth_rate is not null order by revenue_growth_rate desc"
    ).fetchall()
    if rows:
        assert title.startswith(f"{rows[0][0]} ") and f"{rows[0][1]:+.0%}" in title


@pytest.mark.integration
def test_the_unmet_demand_named_is_the_most_asked_for_gap(warehouse):
    title = demand.build(warehouse).title
    rows = warehouse.con.execute(
        "select subject, demand_count from marts.insight_product_demand "
        "where gap_type in ('not_offered', 'under_served') "
        f"and demand_count >= {MIN_SAMPLE} order by demand_count desc, subject limit 1"
    ).fetchall()
    if rows:
        assert f"“{rows[0][0]}”" in title and f"{rows[0][1]:,}" in title


@pytest.mark.integration
def test_the_feedback_headline_is_the_most_written_theme_and_the_latest_nps(warehouse):
    title = feedback.build(warehouse).title
    (theme, share), *_ = warehouse.con.execute(
        "select theme, sum(texts) / (select sum(texts) from marts.insight_feedback "
        "where theme <> 'all') from marts.insight_feedback where theme <> 'all' "
        "group by theme order by sum(texts) desc, theme"
    ).fetchall()
    assert f"about {theme} ({share:.0%})" in title
    nps = warehouse.con.execute(
        "select nps from marts.insight_feedback where theme = 'all' and nps is not null "
        f"and nps_responses >= {MIN_SAMPLE} order by period_month desc limit 1"
    ).fetchall()
    if nps:
        assert f"NPS is {nps[0][0]:.0f}" in title


@pytest.mark.integration
def test_the_loyalty_tier_named_brings_the_share_of_revenue_it_claims(warehouse):
    title = loyalty.build(warehouse).title
    tiers = warehouse.con.execute(
        "select loyalty_tier, share_of_customers, share_of_revenue from marts.insight_loyalty "
        f"where loyalty_tier <> 'all' and customers >= {MIN_SAMPLE} and share_of_revenue > 0 "
        "order by tier_order limit 1"
    ).fetchall()
    (tier, customers, revenue) = tiers[0]
    assert title.startswith(label(tier)) and f"bring {revenue:.0%} of revenue" in title


@pytest.mark.integration
def test_the_funnel_headline_is_the_share_of_sessions_that_purchase(warehouse):
    title = funnel.build(warehouse).title
    first, purchases = warehouse.con.execute(
        "select sum(entrants) filter (step_number = 1), sum(entrants) filter "
        "(step_name = 'purchase') from marts.journey_funnel "
        "where funnel = 'web_session' and channel = 'all'"
    ).fetchone()
    share = purchases / first
    shown = f"{share:.1%}" if share < 0.1 else f"{share:.0%}"
    assert title.startswith(f"{shown} of sessions end in a purchase")


@pytest.mark.integration
def test_the_retention_headline_is_the_cohort_weighted_repeat_rate(warehouse):
    title = cohorts.build(warehouse).title
    (rate,) = warehouse.con.execute(
        "select sum(retention_rate * cohort_customers) / sum(cohort_customers) "
        "from marts.cohort_retention where months_since_first_order = 1"
    ).fetchone()
    if rate is not None:
        shown = f"{rate:.1%}" if rate < 0.1 else f"{rate:.0%}"
        assert title.startswith(f"{shown} of new customers buy again")


@pytest.mark.integration
def test_the_clv_headline_is_the_top_fifths_share_of_expected_value(warehouse):
    title = clv.build(warehouse).title
    values = sorted(
        (max(v, 0) for (v,) in warehouse.con.execute(
            "select expected_value from ml.clv_predictions where expected_value is not null"
        ).fetchall()),
        reverse=True,
    )  # fmt: skip
    top = max(1, round(len(values) * 0.2))
    assert f"hold {sum(values[:top]) / sum(values):.0%}" in title
    assert Money("GBP")(sum(values)) in title


@pytest.mark.integration
def test_the_offer_named_is_the_most_frequent_first_offer_of_the_largest_segment(warehouse):
    title = offers.build(warehouse).title
    rows = warehouse.con.execute(
        "with segments as (select customer_id, coalesce(cluster_profile, segment) as segment "
        "from ml.customer_segments), sizes as (select segment, count(*) as customers "
        f"from segments group by segment having count(*) >= {MIN_SAMPLE}) "
        "select sizes.segment, offers.category from ml.next_best_offers as offers "
        "join segments using (customer_id) join sizes using (segment) "
        "where offers.offer_rank = 1 group by all "
        "order by any_value(sizes.customers) desc, sizes.segment, count(*) desc, category limit 1"
    ).fetchall()
    if rows:
        segment, category = rows[0]
        assert title.startswith(f"Offer {category} to {label(segment)}")


@pytest.mark.integration
def test_the_ab_headline_counts_the_significant_results_shown(warehouse):
    section = campaigns.build(warehouse)
    if section.absent:
        return
    rows = warehouse.con.execute(
        "select click_rate_p_value, conversion_rate_p_value from marts.campaign_ab_results "
        "where not is_control and variant is not null "
        f"order by started_date desc, ab_test_name, variant limit {campaigns.AB_TESTS_SHOWN}"
    ).fetchall()
    significant = sum(p is not None and p < campaigns.SIGNIFICANCE for row in rows for p in row)
    if significant:
        assert section.title.startswith(f"{significant} results of the last")
    else:
        assert section.title.startswith("None of the last")


@pytest.mark.integration
def test_the_quality_headline_counts_the_latest_result_of_each_check(warehouse):
    title = quality.build(warehouse).title
    passed, total = warehouse.con.execute(
        "select count(*) filter (success), count(*) from (select * from audit.quality_results "
        "qualify row_number() over (partition by asset, check_name "
        "order by checked_at desc) = 1)"
    ).fetchone()
    assert title.startswith(f"{passed:,} of {total:,} quality checks passed")
