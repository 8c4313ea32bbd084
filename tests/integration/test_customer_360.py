"""customer_360 and the six insight marts on a real pipeline run (`binesh simulate`, `binesh run`).

A small simulation of its own (about two minutes on two cores), built by the CLI in tmp_path as
`make run` would build it.
"""

import duckdb
import pytest

from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

INSIGHTS = ("sales_trends", "product_demand", "feedback", "channels", "interests", "loyalty")
BI_MARTS = ("customer_360", *(f"insight_{name}" for name in INSIGHTS))
PII_COLUMNS = {
    "email", "email_raw", "phone", "first_name", "last_name", "author_name", "birth_date",
    "date_of_birth", "street", "postcode",
}  # fmt: skip


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> str:
    env = binesh_env(
        tmp_path_factory.mktemp("customer_360"), BINESH_EMAIL_HASH_SALT="integration-test-salt"
    )
    binesh(env, "simulate", "--customers", "600", "--days", "90", "--seed", "5")
    binesh(env, "run")
    return env["BINESH_WAREHOUSE"]


@pytest.fixture
def con(warehouse):
    with duckdb.connect(warehouse, read_only=True) as connection:
        yield connection


def test_customer_360_has_exactly_one_row_per_dim_customers_row(con):
    customers, profiles, distinct, unmatched = con.execute(
        "select (select count(*) from marts.dim_customers), count(*), count(distinct customer_id), "
        "count(*) filter (where customer_id not in (select customer_id from marts.dim_customers)) "
        "from marts.customer_360"
    ).fetchone()
    assert customers > 0
    assert profiles == distinct == customers
    assert unmatched == 0


def test_every_section_of_the_profile_is_filled_for_some_customers(con):
    filled = con.execute(
        "select count(first_order_at), count(last_seen_at), count(preferred_channel), "
        "count(last_nps_score), count(average_csat), count(average_sentiment), "
        "count(*) filter (where tickets > 0), count(age_band), count(lifecycle_stage) "
        "from marts.customer_360"
    ).fetchone()
    assert all(count > 0 for count in filled), filled
    ml_values = con.execute(
        "select count(segment), count(churn_probability), count(clv), count(next_best_offer) "
        "from marts.customer_360"
    ).fetchone()
    assert all(count > 0 for count in ml_values), ml_values  # joined from the ml.* tables


def test_bi_facing_marts_hold_no_raw_pii(con):
    for mart in BI_MARTS:
        columns = {
            name: data_type
            for name, data_type in con.execute(
                "select column_name, data_type from duckdb_columns() "
                "where schema_name = 'marts' and table_name = ?",
                [mart],
            ).fetchall()
        }
        assert columns, mart
        assert not PII_COLUMNS & set(columns), mart
        for name, data_type in columns.items():
            if data_type == "VARCHAR":
                emails = con.execute(
                    f"select count(*) from marts.{mart} where {name} like '%_@_%._%'"
                ).fetchone()[0]
                assert emails == 0, f"{mart}.{name} holds email addresses"


def test_every_insight_mart_has_rows(con):
    for name in INSIGHTS:
        assert con.execute(f"select count(*) from marts.insight_{name}").fetchone()[0] > 0, name


def test_text_sentiment_agrees_with_review_ratings_in_the_warehouse(con):
    by_rating = con.execute(
        "select case when reviews.rating <= 2 then 1 when reviews.rating = 3 then 2 else 3 end, "
        "avg(insights.sentiment_score) "
        "from text.insights "
        "inner join staging.stg_feedback__reviews as reviews "
        "on insights.source_table = 'reviews' "
        "and insights.source_key = reviews.review_id "
        "group by 1 order by 1"
    ).fetchall()
    means = [mean for _group, mean in by_rating]
    assert len(means) == 3 and means == sorted(means), by_rating


def test_loyalty_all_row_adds_up_the_tiers(con):
    tiers, everyone = con.execute(
        "select sum(customers) filter (where loyalty_tier <> 'all'), "
        "sum(customers) filter (where loyalty_tier = 'all') from marts.insight_loyalty"
    ).fetchone()
    assert tiers == everyone == con.execute("select count(*) from marts.customer_360").fetchone()[0]
