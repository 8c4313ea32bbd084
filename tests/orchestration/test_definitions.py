"""The Dagster definitions load, and their asset keys, groups and automation are what we expect.

The key snapshot fails when a refactor renames an asset: asset keys are the warehouse's public
table names, so a rename needs a migration note, not a silent change.
"""

import dagster as dg
import pytest

from ml.models import MODEL_NAMES
from orchestration.planning import ON_CADENCE, ON_CODE_CHANGE, buildable_assets, rebuild_rule
from sources.contract import LANDING_TABLES

STAGING_MODELS = [f"stg_{table.qualified_name}" for table in LANDING_TABLES]

# Identity resolution: dbt models around the Python asset (orchestration/defs/identity.py).
IDENTITY_KEYS = {
    "intermediate/int_identity__records",
    "intermediate/int_identity__identifiers",
    "identity/clusters",
    "identity/links",
    "identity/oversized_clusters",
    "identity/shared_identifiers",
    "identity/linked_records",
    "ml/identity_linkage_model",
    "marts/customer_identity_map",
    "marts/dim_customers",
}

# Journeys and KPIs: sessions, touchpoints, lifecycle, funnel, attribution, KPI marts.
JOURNEYS_KEYS = {
    *(
        f"intermediate/{model}"
        for model in (
            "int_web__sessions",
            "int_journeys__touchpoints",
            "int_journeys__orders",
            "int_journeys__leads",
            "int_journeys__email_deliveries",
        )
    ),
    *(
        f"marts/{model}"
        for model in (
            "fct_customer_touchpoints",
            "fct_lifecycle_stages",
            "journey_funnel",
            "fct_order_attribution",
            "kpi_daily",
            "kpi_monthly",
            "cohort_retention",
            "campaign_ab_results",
        )
    ),
}

# Text analytics (orchestration/defs/text.py), the customer 360 profile and the insight marts.
CUSTOMER_360_KEYS = {
    "text/insights",
    "intermediate/int_text__insights",
    *(
        f"intermediate/int_customer_360__{part}"
        for part in (
            "as_of",
            "orders",
            "transactions",
            "web_events",
            "web_sessions",
            "web_activity",
            "interactions",
            "engagement",
            "feedback",
            "support",
        )
    ),
    "marts/customer_360",
    *(
        f"marts/insight_{insight}"
        for insight in (
            "sales_trends",
            "product_demand",
            "feedback",
            "channels",
            "interests",
            "loyalty",
        )
    ),
}


# What each run publishes beside the warehouse (orchestration/defs/reports.py).
REPORTS_KEYS = {"reports/bi_snapshot", "reports/dbt_docs", "reports/audiences"}

# The insight report (reports/insight/).
INSIGHT_REPORT_KEYS = {"reports/insight_report"}

# ML (orchestration/defs/ml.py): point-in-time feature marts, trained models, ml.* tables.
ML_FEATURE_MODELS = (
    "feature_cutoffs",
    "customer_features",
    "customer_labels",
    "customer_orders",
    "customer_product_events",
    "offer_campaigns",
    "lead_features",
)
ML_MODELS = ("segmentation", "lead_scoring", "churn", "clv", "next_best_offer")
ML_TABLES = (
    "customer_segments",
    "lead_scores",
    "churn_predictions",
    "clv_predictions",
    "next_best_offers",
)
ML_KEYS = {
    *(f"features/{model}" for model in ML_FEATURE_MODELS),
    *(f"ml/{model}_model" for model in ML_MODELS),
    *(f"ml/{table}" for table in ML_TABLES),
}
ML_CHECKS = {
    "features/customer_features:features_are_point_in_time",
    *(f"ml/{model}_model:beats_baseline" for model in ML_MODELS if model != "segmentation"),
    *(f"ml/{table}:score_distribution_stable" for table in ML_TABLES),
}


# Data quality (orchestration/defs/quality.py): the GX suites built from data_quality/rules/ as
# asset checks, asset -> check names. Raw and staging checks block downstream; mart checks warn.
QUALITY_CHECKS = {
    "raw/crm__contacts": (
        "email_format date_of_birth_plausible created_at_plausible updated_at_plausible"
    ),
    "raw/crm__leads": "email_format created_at_plausible converted_at_plausible freshness",
    "raw/ecommerce__customers": "email_format date_of_birth_plausible created_at_plausible",
    "raw/ecommerce__orders": (
        "amount_not_negative discount_not_negative ordered_at_plausible channel_known "
        "currency_code order_id_unique file_volume volume_collapse freshness"
    ),
    "raw/ecommerce__order_items": (
        "quantity_positive unit_price_not_negative order_id_product_id_unique "
        "file_volume volume_collapse"
    ),
    "raw/ecommerce__products": "price_not_negative",
    "raw/web__events": (
        "occurred_at_plausible event_type_known event_id_unique "
        "file_volume volume_collapse freshness"
    ),
    "raw/marketing__campaigns": "ends_after_start",
    "raw/marketing__messages": "occurred_at_plausible event_type_known message_id_unique freshness",
    "raw/support__tickets": (
        "csat_score_in_range queue_seconds_not_negative created_at_plausible "
        "channel_known resolved_after_created file_volume volume_collapse freshness"
    ),
    "raw/surveys__responses": (
        "nps_score_in_range csat_score_in_range submitted_at_plausible "
        "survey_type_known response_id_unique file_volume volume_collapse freshness"
    ),
    "raw/feedback__reviews": (
        "rating_in_range posted_at_plausible review_id_unique file_volume volume_collapse freshness"
    ),
    "staging/stg_crm__contacts": "email_normalises phone_normalises",
    "staging/stg_crm__leads": "email_normalises contact_coverage converted_after_created",
    "staging/stg_ecommerce__customers": "email_normalises phone_normalises",
    "staging/stg_ecommerce__orders": "customer_coverage",
    "staging/stg_ecommerce__order_items": "order_coverage product_coverage",
    "staging/stg_ecommerce__products": "product_named",
    "staging/stg_web__events": "product_coverage",
    "staging/stg_marketing__campaigns": "campaign_channel_present",
    "staging/stg_marketing__messages": "campaign_coverage",
    "staging/stg_support__tickets": "email_normalises first_response_after_created",
    "staging/stg_surveys__responses": "email_normalises order_coverage",
    "staging/stg_feedback__reviews": "email_normalises product_coverage",
    "marts/dim_customers": (
        "email_format phone_e164 birth_date_plausible linked_records_at_least_one"
    ),
    "marts/customer_identity_map": "match_confidence_is_share most_records_resolved",
    "marts/customer_360": (
        "orders_not_negative revenue_not_negative average_order_value_not_negative "
        "recency_days_not_negative tenure_days_not_negative sessions_not_negative "
        "last_nps_score_in_range average_csat_in_range average_review_rating_in_range "
        "average_sentiment_in_range email_hash_is_sha256"
    ),
    "marts/fct_customer_touchpoints": "occurred_at_not_in_future customer_present",
    "marts/fct_lifecycle_stages": "exits_after_entry",
    "marts/fct_order_attribution": "credit_sums_to_one",
    "marts/journey_funnel": (
        "conversion_rate_from_previous_is_share conversion_rate_from_start_is_share "
        "drop_off_rate_is_share entrants_not_negative drop_offs_not_negative"
    ),
    "marts/kpi_daily": (
        "revenue_not_negative orders_not_negative sessions_not_negative "
        "session_conversion_rate_is_share repeat_purchase_rate_is_share "
        "churn_rate_is_share email_open_rate_is_share nps_in_range csat_in_range"
    ),
    "marts/kpi_monthly": (
        "revenue_not_negative orders_not_negative sessions_not_negative "
        "session_conversion_rate_is_share repeat_purchase_rate_is_share "
        "churn_rate_is_share email_open_rate_is_share nps_in_range csat_in_range"
    ),
    "marts/cohort_retention": "retention_rate_is_share retained_within_cohort",
    "marts/campaign_ab_results": (
        "open_rate_is_share click_rate_is_share conversion_rate_is_share "
        "conversion_rate_p_value_is_share"
    ),
    "marts/insight_sales_trends": "revenue_not_negative orders_not_negative revenue_share_is_share",
    "marts/insight_product_demand": (
        "demand_count_not_negative demand_share_is_share sales_share_is_share"
    ),
    "marts/insight_feedback": (
        "share_of_texts_is_share negative_share_is_share average_sentiment_in_range nps_in_range"
    ),
    "marts/insight_channels": "success_rate_is_share failure_rate_is_share hour_of_day_valid",
    "marts/insight_interests": (
        "interest_rate_is_share overall_interest_rate_is_share affinity_index_not_negative"
    ),
    "marts/insight_loyalty": (
        "share_of_customers_is_share repeat_rate_is_share share_of_revenue_is_share nps_in_range"
    ),
}


def expected_asset_keys() -> set[str]:
    """Every asset key the definitions must have (tests/orchestration/test_ui.py reuses it)."""
    expected = {f"raw/{t.qualified_name}" for t in LANDING_TABLES}
    expected |= {f"staging/{model}" for model in STAGING_MODELS}
    expected |= IDENTITY_KEYS
    expected |= CUSTOMER_360_KEYS
    expected |= JOURNEYS_KEYS
    expected |= {"intermediate/int_customers__status", "snapshots/customer_status_snapshot"}
    expected |= REPORTS_KEYS
    expected |= INSIGHT_REPORT_KEYS
    expected |= ML_KEYS
    return expected


@pytest.fixture(scope="module")
def defs(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("defs")
    monkeypatch_module.setenv("BINESH_WAREHOUSE", str(root / "warehouse.duckdb"))
    monkeypatch_module.setenv("BINESH_LANDING_DIR", str(root / "landing"))
    from orchestration.definitions import defs

    return defs


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_asset_keys_are_the_warehouse_table_names(defs):
    keys = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    assert keys == expected_asset_keys()


def test_every_asset_has_a_layer_group_a_kind_and_a_description(defs):
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name == key.path[0], key
        assert node.kinds, key
        assert node.description and node.description.strip(), key


def test_staging_models_depend_on_their_raw_asset(defs):
    graph = defs.resolve_asset_graph()
    for table in LANDING_TABLES:
        parents = graph.get(dg.AssetKey(["staging", f"stg_{table.qualified_name}"])).parent_keys
        assert dg.AssetKey(["raw", table.qualified_name]) in parents


def test_dbt_tests_are_asset_checks_on_every_staging_model(defs):
    checked = {key.asset_key for key in defs.resolve_asset_graph().asset_check_keys}
    assert {dg.AssetKey(["staging", model]) for model in STAGING_MODELS} <= checked


def test_identity_resolution_runs_between_its_dbt_inputs_and_the_marts(defs):
    graph = defs.resolve_asset_graph()
    clusters = dg.AssetKey(["identity", "clusters"])
    inputs = {
        dg.AssetKey(["intermediate", "int_identity__records"]),
        dg.AssetKey(["intermediate", "int_identity__identifiers"]),
    }
    linkage_model = dg.AssetKey(["ml", "identity_linkage_model"])
    assert graph.get(clusters).parent_keys == {*inputs, linkage_model}
    assert graph.get(linkage_model).parent_keys == inputs
    for mart in ("customer_identity_map", "dim_customers"):
        assert clusters in graph.get(dg.AssetKey(["marts", mart])).parent_keys
    # the job resolves: the dbt project is split around the Python asset, so no step cycle
    assert defs.resolve_job_def("build_warehouse")


def test_a_weekly_full_identity_re_resolution_rebuilds_what_reads_identity_but_no_model(defs):
    schedule = defs.resolve_schedule_def("weekly_identity_re_resolution")
    assert schedule.cron_schedule == "0 4 * * 0" and schedule.job_name == "re_resolve_identities"
    job = defs.resolve_job_def("re_resolve_identities")
    assert job.tags == {"binesh/warehouse": "writer", "binesh/identity_resolution": "full"}
    assert job.executor_def.name == "in_process"
    graph = defs.resolve_asset_graph()
    rebuilt = job.asset_layer.executable_asset_keys
    for key in (
        "identity/clusters",
        "marts/customer_identity_map",
        "marts/customer_360",
    ):
        assert dg.AssetKey.from_user_string(key) in rebuilt
    assert not [key for key in rebuilt if rebuild_rule(graph, key) in (ON_CADENCE, ON_CODE_CHANGE)]


def test_nights_load_then_build_what_is_out_of_date_in_one_process(defs):
    for name in ("build_warehouse", "load_landing_zone"):
        job = defs.resolve_job_def(name)
        assert job.executor_def.name == "in_process"
        assert job.tags == {"binesh/warehouse": "writer"}
    load = defs.resolve_job_def("load_landing_zone")
    assert {key.path[0] for key in load.asset_layer.executable_asset_keys} == {"raw"}
    assert "raw_quality_checks" in load.graph.node_names()
    schedule = defs.resolve_schedule_def("nightly_build")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.job_name == "load_landing_zone"
    assert defs.resolve_sensor_def("landing_zone_sensor").job_name == "load_landing_zone"
    build = defs.resolve_sensor_def("build_after_load")
    assert build.job_name == "build_warehouse"


def test_every_built_asset_has_a_code_version_so_new_code_rebuilds_it(defs):
    """out_of_date_assets rebuilds an asset whose code changed only if it has a code version:
    dbt models get theirs from dagster-dbt, Python assets from the files that compute them."""
    graph = defs.resolve_asset_graph()
    assert [key for key in buildable_assets(graph) if graph.get(key).code_version is None] == []
    training = {
        key.to_user_string()
        for key in graph.get_all_asset_keys()
        if rebuild_rule(graph, key) == ON_CADENCE
    }
    assert training == {f"ml/{name}_model" for name in (*MODEL_NAMES, "identity_linkage")}
    assert rebuild_rule(graph, dg.AssetKey(["reports", "dbt_docs"])) == ON_CODE_CHANGE


def test_text_insights_read_staging_and_feed_the_marts(defs):
    graph = defs.resolve_asset_graph()
    text_insights = dg.AssetKey(["text", "insights"])
    assert graph.get(text_insights).parent_keys == {
        dg.AssetKey(["staging", "stg_feedback__reviews"]),
        dg.AssetKey(["staging", "stg_surveys__responses"]),
        dg.AssetKey(["staging", "stg_support__tickets"]),
    }
    assert (
        text_insights in graph.get(dg.AssetKey(["intermediate", "int_text__insights"])).parent_keys
    )
    assert graph.get(text_insights).group_name == "text"


def test_ml_runs_between_its_feature_marts_and_customer_360(defs):
    graph = defs.resolve_asset_graph()
    features = dg.AssetKey(["features", "customer_features"])
    customer_360 = dg.AssetKey(["marts", "customer_360"])
    for table in ("customer_segments", "churn_predictions", "clv_predictions", "next_best_offers"):
        assert dg.AssetKey(["ml", table]) in graph.get(customer_360).parent_keys
    assert {
        dg.AssetKey(["ml", "churn_model"]),
        dg.AssetKey(["ml", "clv_model"]),
        features,
    } <= graph.get(dg.AssetKey(["ml", "churn_predictions"])).parent_keys
    # no cycle: the features never read customer_360, and the job resolves into steps
    assert customer_360 not in graph.get_ancestor_asset_keys(features)
    assert defs.resolve_job_def("build_warehouse")
    checks = {f"{key.asset_key.to_user_string()}:{key.name}" for key in graph.asset_check_keys}
    assert ML_CHECKS <= checks


def test_quality_suites_are_asset_checks_in_the_build_job(defs):
    from orchestration.defs import quality

    expected = {
        f"{asset}:{name}" for asset, names in QUALITY_CHECKS.items() for name in names.split()
    } | {f"{asset}:file_loaded" for asset in QUALITY_CHECKS if asset.startswith("raw/")}
    specs = [spec for checks in quality.defs.asset_checks for spec in checks.check_specs]
    assert {f"{spec.asset_key.to_user_string()}:{spec.name}" for spec in specs} == expected
    assert all(spec.blocking == (spec.asset_key.path[0] != "marts") for spec in specs)
    job = defs.resolve_job_def("build_warehouse")  # its selection includes every check
    steps = set(job.graph.node_dict)
    assert {"raw_quality_checks", "staging_quality_checks", "marts_quality_checks"} <= steps
