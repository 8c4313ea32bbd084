"""A believable business: the latent traits and the calendar show up in the data."""

from __future__ import annotations

import duckdb
import pytest

from sources.simulator.phrases import REVIEW_COMPANY_SENTENCES, REVIEW_SENTENCES


@pytest.fixture(scope="module")
def db(year_sim):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for name, path in (
        ("orders", "ecommerce/orders/*.csv"),
        ("leads", "crm/leads/*.csv"),
        ("tickets", "support/tickets/*.csv"),
        ("responses", "surveys/responses/*.csv"),
        ("reviews", "feedback/reviews/*.csv"),
        ("campaigns", "marketing/campaigns/*.csv"),
        ("identity", "_truth/identity.csv"),
        ("persons", "_truth/persons.csv"),
    ):
        con.execute(
            f"create view {name} as select * from read_csv('{year_sim / path}', "
            "all_varchar = true, union_by_name = true, filename = true)"
        )
    con.execute(
        f"create view messages as select * from read_json("
        f"'{year_sim / 'marketing/messages/*.jsonl'}', format = 'newline_delimited')"
    )
    con.execute(f"create view events as select * from read_parquet('{year_sim}/web/events/*')")
    con.execute("""
        create view person_orders as
        select o.*, o.ordered_at::timestamptz::date as order_date, i.person_id
        from orders o
        join identity i on i.source_table = 'customers' and i.source_key = o.customer_id
    """)
    return con


def one(db, sql):
    return db.execute(sql).fetchone()


def test_weekends_sell_more_than_weekdays(db):
    weekend, weekday = one(
        db,
        """
        select avg(n) filter (where isodow(d) >= 6), avg(n) filter (where isodow(d) < 6)
        from (select order_date d, count(*) n from person_orders group by 1)
    """,
    )
    assert weekend > 1.05 * weekday


def test_christmas_and_black_friday_peaks(db):
    by_month = dict(
        db.execute(
            "select month(order_date), count(*) / count(distinct order_date) "
            "from person_orders group by 1"
        ).fetchall()
    )
    assert by_month[12] > 1.5 * (by_month[9] + by_month[10]) / 2
    assert by_month[11] > by_month[10]
    black_friday, before = one(
        db,
        """
        select count(*) filter (where order_date = date '2025-11-28'),
               count(*) filter (where order_date between date '2025-11-10' and date '2025-11-23')
               / 14
        from person_orders
    """,
    )
    assert black_friday > 2 * before


def test_churners_fade_out(db):
    before, before_days, after, after_days = one(
        db,
        """
        with churners as (
            select person_id, churned_at::date c, greatest(arrival_date::date, date '2025-01-01') a
            from persons where churned_at between '2025-03-01' and '2025-09-30'
        )
        select count(*) filter (where o.order_date < c.c),
               (select sum(c - a) from churners),
               count(*) filter (where o.order_date >= c.c + 30),
               (select sum(date '2025-12-31' - (c + 30)) from churners)
        from churners c join person_orders o using (person_id)
    """,
    )
    assert before > 100
    assert after / after_days < 0.15 * before / before_days


def test_lead_conversion_rises_with_propensity(db):
    rates = db.execute("""
        with last as (
            select lead_id, arg_max(status, filename) status, min(created_at) created_at
            from leads group by 1
        ), scored as (
            select l.status = 'converted' converted,
                   ntile(4) over (order by p.lead_conversion_propensity::double) quartile
            from last l
            join identity i on i.source_table = 'leads' and i.source_key = l.lead_id
            join persons p using (person_id)
            where l.created_at < '2025-10'
        )
        select quartile, avg(converted::int) from scored group by 1 order by 1
    """).fetchall()
    low, high = rates[0][1], rates[-1][1]
    assert high > 2.5 * low and high > 0.3
    assert [r[1] for r in rates] == sorted(r[1] for r in rates)


def test_variant_b_lifts_clicks(db):
    rates = dict(
        db.execute("""
        select right(campaign_id, 1),
               count(*) filter (where event_type = 'clicked') / count(*) filter (where
                   event_type = 'sent')
        from messages where campaign_id like '%-A' or campaign_id like '%-B' group by 1
    """).fetchall()
    )
    assert rates["B"] > 1.15 * rates["A"]


def test_coupons_are_redeemed_while_their_campaign_runs(db):
    outside, redeemed = one(
        db,
        """
        select count(*) filter (where c.campaign_id is null), count(*)
        from orders o
        left join campaigns c on c.coupon_code = o.coupon_code
            and o.ordered_at::timestamptz between c.started_at::timestamptz
                and c.ended_at::timestamptz
        where o.coupon_code is not null
    """,
    )
    assert redeemed > 100 and outside == 0


def test_review_tone_matches_rating(db):
    def tone(text: str) -> int:
        positive = sum(
            text in sentence
            for stars in (4, 5)
            for pool in (REVIEW_SENTENCES[stars], REVIEW_COMPANY_SENTENCES[stars])
            for sentence in pool
        )
        negative = sum(
            text in sentence
            for stars in (1, 2)
            for pool in (REVIEW_SENTENCES[stars], REVIEW_COMPANY_SENTENCES[stars])
            for sentence in pool
        )
        return positive - negative

    rows = db.execute("select rating::int, text from reviews").fetchall()
    score: dict[int, list[int]] = {}
    for rating, text in rows:
        sentences = [s.strip() + "." for s in text.replace("!", ".").split(".") if s.strip()]
        score.setdefault(rating, []).append(sum(tone(s[:-1]) for s in sentences))
    mean = {r: sum(v) / len(v) for r, v in score.items()}
    assert mean[1] < 0 < mean[5]
    assert mean[1] < mean[3] < mean[5]


def test_problems_lower_scores_and_raise_churn(db):
    nps_with, nps_without = one(
        db,
        """
        with hit as (
            select distinct i.person_id from tickets t
            join identity i on i.source_table = 'tickets' and i.source_key = t.ticket_id
            where t.category in ('delivery', 'product_defect', 'wrong_item')
        )
        select avg(score::int) filter (where h.person_id is not null),
               avg(score::int) filter (where h.person_id is null)
        from responses r
        join identity i on i.source_table = 'responses' and i.source_key = r.response_id
        left join hit h using (person_id)
        where survey_type = 'nps'
    """,
    )
    assert nps_with < nps_without - 0.5
    defect_csat, account_csat = one(
        db,
        """
        select avg(csat_score::int) filter (where category = 'product_defect'),
               avg(csat_score::int) filter (where category = 'account')
        from tickets where csat_score is not null
    """,
    )
    assert defect_csat < account_csat
    after_ticket, after_order = one(
        db,
        """
        with ticketed as (
            select i.person_id, min(t.created_at::timestamptz::date) d from tickets t
            join identity i on i.source_table = 'tickets' and i.source_key = t.ticket_id
            where t.category in ('delivery', 'product_defect', 'wrong_item') group by 1
        ), ordered as (
            select person_id, min(order_date) d from person_orders
            where person_id not in (select person_id from ticketed) group by 1
        ), outcome as (
            select 'ticket' k, coalesce(p.churned_at::date between t.d and t.d + 90, false) c
            from ticketed t join persons p using (person_id) where t.d < '2025-09-01'
            union all
            select 'order', coalesce(p.churned_at::date between o.d and o.d + 90, false)
            from ordered o join persons p using (person_id) where o.d < '2025-09-01'
        )
        select avg(c::int) filter (where k = 'ticket'), avg(c::int) filter (where k = 'order')
        from outcome
    """,
    )
    assert after_ticket > 1.3 * after_order


def test_anonymous_visitors_are_identified_later(db):
    stitched, signups = one(
        db,
        """
        with firsts as (
            select anonymous_id,
                   min(occurred_at) filter (where customer_id is null) anonymous_since,
                   min(occurred_at) filter (where event_type in ('sign_up', 'login')
                                            and customer_id is not null) identified_at
            from events group by 1
        )
        select count(*) filter (where anonymous_since < identified_at),
               (select count(*) from events where event_type = 'sign_up'
                and customer_id is not null and anonymous_id is not null)
        from firsts
    """,
    )
    assert stitched > 100 and signups > 100


def test_personas_behave_differently(db):
    stats = dict(
        (row[0], row[1:])
        for row in db.execute("""
        select persona, avg(revenue::double) filter (where orders::int > 0),
               avg(price_sensitivity::double)
        from persons group by 1
    """).fetchall()
    )
    assert stats["high_value_enthusiast"][0] > 2 * stats["bargain_hunter"][0]
    assert stats["bargain_hunter"][1] > stats["high_value_enthusiast"][1]
