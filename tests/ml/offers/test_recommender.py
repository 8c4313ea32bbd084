"""Next best offer on real data (Online Retail II) and on a small simulated business: time-split
hit rates against the popularity baseline, k distinct offers each, campaigns attached."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from ml.offers.campaigns import attach_campaigns
from ml.offers.evaluation import evaluate_offers
from ml.offers.recommender import match_interests, popular_products, recommend
from sources.simulator import simulate


@pytest.fixture(scope="module")
def retail_orders(shared_data) -> pd.DataFrame:
    """Order lines of known customers: no cancellations ("C" invoices), returns or non-product
    codes (postage, manual, fees: product codes start with five digits). The data has no
    categories; the description's last word ("HOLDER", "BAG") stands in for one."""
    path = shared_data / "online_retail" / "online_retail_II_2009-2010.parquet"
    return duckdb.sql(
        f"""
        select
            cast(cast("Customer ID" as bigint) as varchar) as customer_id,
            Invoice as order_id,
            cast(InvoiceDate as timestamp) as ordered_at,
            StockCode as product_id,
            upper(regexp_extract(trim(Description), '([A-Za-z]+)$', 1)) as category
        from '{path}'
        where "Customer ID" is not null
            and Invoice not like 'C%'
            and Quantity > 0
            and regexp_matches(StockCode, '^[0-9]{{5}}')
        """
    ).df()


def test_offers_beat_popularity_on_the_next_quarter(retail_orders):
    evaluation = evaluate_offers(retail_orders, "2010-09-01", horizon_days=90, k=10)
    # Measured: 1,924 returning buyers; hit-rate@10 0.847 against 0.610 for the ten best
    # sellers, precision@10 0.311 against 0.125, recall@10 0.130 against 0.037.
    assert evaluation.customers > 1800
    assert evaluation.hit_rate > evaluation.baseline_hit_rate + 0.2
    assert evaluation.precision > 2 * evaluation.baseline_precision
    assert evaluation.recall > 3 * evaluation.baseline_recall


def test_offering_products_bought_before_pays_on_a_reordering_business(retail_orders):
    keep = evaluate_offers(retail_orders, "2010-09-01", horizon_days=90, k=10)
    exclude = evaluate_offers(
        retail_orders, "2010-09-01", horizon_days=90, k=10, exclude_purchased=True
    )
    # Measured: 0.847 with bought products among the offers, 0.403 without (still above the
    # best sellers not yet bought, 0.347).
    assert keep.hit_rate > exclude.hit_rate + 0.3
    assert exclude.hit_rate > exclude.baseline_hit_rate


def test_every_customer_gets_k_distinct_offers(retail_orders):
    as_of = retail_orders["ordered_at"].max() + pd.Timedelta(days=1)
    offers = recommend(retail_orders, as_of, k=10)
    assert set(offers["customer_id"]) == set(retail_orders["customer_id"])
    assert offers.groupby("customer_id").size().eq(10).all()
    assert not offers.duplicated(["customer_id", "product_id"]).any()
    assert (
        offers.groupby("customer_id")["rank"].apply(list).map(lambda r: r == [*range(1, 11)]).all()
    )
    by_rank = offers.sort_values(["customer_id", "rank"])
    assert (by_rank.groupby("customer_id")["score"].diff().dropna() <= 0).all()
    assert set(offers["source"]) <= {"co_purchase", "co_view", "category", "repeat", "popular"}

    excluded = recommend(retail_orders, as_of, k=10, exclude_purchased=True)
    bought = retail_orders[["customer_id", "product_id"]].drop_duplicates()
    assert excluded.merge(bought, on=["customer_id", "product_id"]).empty


def test_nothing_after_as_of_is_used(retail_orders):
    as_of = pd.Timestamp("2010-06-01")
    before = retail_orders[retail_orders["ordered_at"] < as_of]
    pd.testing.assert_frame_equal(
        recommend(retail_orders, as_of, k=5), recommend(before, as_of, k=5)
    )
    popular = popular_products(retail_orders, as_of, k=3)
    assert popular["rank"].tolist() == [1, 2, 3]
    assert popular["buyers"].is_monotonic_decreasing


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A small simulated shop read from its landing files: order lines with categories, product
    views of signed-in visitors, CRM interests of the shop's customers (by email), campaigns."""
    landing = tmp_path_factory.mktemp("landing")
    simulate(landing, customers=1000, days=180, seed=3, noise_rate=0.0)

    def csv(table: str) -> str:
        return f"read_csv('{landing}/{table}/*.csv', header = true, all_varchar = true)"

    with duckdb.connect() as con:
        orders = con.execute(
            f"""
            select
                orders.customer_id,
                orders.order_id,
                cast(orders.ordered_at as timestamptz) as ordered_at,
                items.product_id,
                products.category
            from {csv("ecommerce/orders")} as orders
            inner join {csv("ecommerce/order_items")} as items on orders.order_id = items.order_id
            left join {csv("ecommerce/products")} as products
                on items.product_id = products.product_id
            """
        ).df()
        views = con.execute(
            f"""
            select customer_id, occurred_at as viewed_at, product_id
            from read_parquet('{landing}/web/events/*.parquet')
            where event_type = 'product_view' and customer_id is not null
            """
        ).df()
        interests = con.execute(
            f"""
            select distinct
                customers.customer_id,
                trim(unnest(string_split(contacts.interests, ';'))) as interest
            from {csv("crm/contacts")} as contacts
            inner join {csv("ecommerce/customers")} as customers
                on lower(customers.email) = lower(contacts.email)
            """
        ).df()
        campaigns = con.execute(f"select * from {csv('marketing/campaigns')}").df()
    return orders, views, interests, campaigns


def test_simulated_shop_offers_beat_popularity(shop):
    orders, views, interests, _ = shop
    evaluation = evaluate_offers(
        orders, "2025-05-01", horizon_days=60, k=10, views=views, interests=interests
    )
    # Measured on 170 returning buyers: hit-rate@10 0.547 against 0.394.
    assert evaluation.customers > 150
    assert evaluation.hit_rate > evaluation.baseline_hit_rate + 0.08

    offers = recommend(orders, "2025-07-01", k=5, views=views, interests=interests)
    everyone = (
        set(orders["customer_id"]) | set(views["customer_id"]) | set(interests["customer_id"])
    )
    assert set(offers["customer_id"]) == everyone
    assert offers.groupby("customer_id").size().eq(5).all()
    assert offers["category"].notna().all()
    assert "co_view" in set(offers["source"])


def test_interests_match_the_categories_they_name(shop):
    orders, _, interests, _ = shop
    categories = pd.Index(orders["category"].dropna().unique())
    matched = match_interests(interests["interest"], categories)
    assert dict(zip(matched["interest"], matched["category"], strict=True)) == {
        "clothing": "Clothing",
        "footwear": "Footwear",
        "home": "Home & Kitchen",
        "beauty": "Beauty",
        "electronics": "Electronics",
        "toys": "Toys & Games",
        "sports": "Sports & Outdoors",
        "garden": "Garden",
        "books": "Books & Stationery",
        "food": "Food & Drink",
    }


def test_a_running_category_promotion_comes_with_its_coupon(shop):
    orders, views, interests, campaigns = shop
    # May's promotion pushes Garden from the second Tuesday (13 May 2025) for nine days, as an
    # offer test: A gives GARDEN15, B GARDEN20.
    as_of = pd.Timestamp("2025-05-15", tz="UTC")
    offers = attach_campaigns(
        recommend(orders, as_of, k=10, views=views, interests=interests), campaigns, as_of
    )
    garden = offers[offers["category"] == "Garden"]
    assert not garden.empty and garden["coupon_code"].eq("GARDEN15").all()
    assert garden["offer"].eq("15% off Garden").all()
    others = offers[offers["category"] != "Garden"]
    assert not others["coupon_code"].isin(["GARDEN15", "GARDEN20"]).any()
    assert len(offers) == len(recommend(orders, as_of, k=10, views=views, interests=interests))

    later = as_of + pd.Timedelta(days=30)
    ended = attach_campaigns(
        garden.drop(columns=["campaign_id", "coupon_code", "offer"]), campaigns, later
    )
    assert not ended["coupon_code"].isin(["GARDEN15"]).any()
    assert np.array_equal(ended["product_id"], garden["product_id"])

    # A promotion for a category nobody is offered is not store-wide for the others.
    february = pd.Timestamp("2025-02-12", tz="UTC")  # BEAUTY15 runs
    clothing = recommend(orders, february, k=10, views=views, interests=interests)
    clothing = clothing[clothing["category"] == "Clothing"]
    catalogue = pd.Index(orders["category"].dropna().unique())
    attached = attach_campaigns(clothing, campaigns, february, categories=catalogue)
    assert not clothing.empty and attached["coupon_code"].isna().all()
