"""The rules of each public mart, checked on the whole table every run. Mart rules warn and
never block: the raw and staging rules already stopped bad input, so a failure here points at a
model's logic.
"""

from __future__ import annotations

from data_quality.rules.kinds import (
    Rule,
    between,
    birth_date,
    matches,
    not_in_future,
    not_negative,
    not_null,
    ordered,
    score,
    share,
)
from data_quality.rules.raw import EMAIL_PATTERN

KPIS = [
    *not_negative("revenue", "orders", "sessions"),
    *share("session_conversion_rate", "repeat_purchase_rate", "churn_rate", "email_open_rate"),
    score("nps", -100, 100, "NPS"),
    score("csat", 0, 100, "CSAT (% satisfied)"),
]

MART_RULES: dict[str, list[Rule]] = {
    "dim_customers": [
        matches(
            "email_format",
            "email",
            EMAIL_PATTERN,
            "golden-record emails look like name@domain.tld",
            "warn",
            mostly=None,
        ),
        matches(
            "phone_e164",
            "phone",
            r"^\+[1-9][0-9]{6,14}$",
            "golden-record phones are E.164 (+ and 7-15 digits)",
            "warn",
            mostly=None,
        ),
        birth_date("birth_date", "birth dates lie between 1900 and today"),
        between(
            "linked_records_at_least_one",
            "linked_records",
            "every customer comes from at least one source record",
            "warn",
            min_value=1,
        ),
    ],
    "customer_identity_map": [
        *share("match_confidence"),
        not_null(
            "most_records_resolved",
            "customer_id",
            "at least half the source records resolve to a customer",
            "warn",
            mostly=0.5,
        ),
    ],
    "customer_360": [
        *not_negative(
            "orders", "revenue", "average_order_value", "recency_days", "tenure_days", "sessions"
        ),
        score("last_nps_score", 0, 10, "the last NPS score"),
        score("average_csat", 1, 5, "average CSAT"),
        score("average_review_rating", 1, 5, "average review rating"),
        score("average_sentiment", -1, 1, "average sentiment"),
        matches(
            "email_hash_is_sha256",
            "email_hash",
            r"^[0-9a-f]{64}$",
            "email_hash is a hex SHA-256, never a raw email",
            "warn",
            mostly=None,
        ),
    ],
    "fct_customer_touchpoints": [
        not_in_future(
            "occurred_at_not_in_future", "occurred_at", "touchpoints are not in the future"
        ),
        not_null(
            "customer_present",
            "customer_id",
            "every touchpoint belongs to a customer",
            "warn",
            mostly=None,
        ),  # fmt: skip
    ],
    "fct_lifecycle_stages": [
        ordered(
            "exits_after_entry", "exited_at", "entered_at", "a stage is left after it is entered"
        ),
    ],
    "fct_order_attribution": [
        between(
            "credit_sums_to_one",
            "total_credit",
            "each order's credit sums to 1 in every model",
            "warn",
            min_value=0.999,
            max_value=1.001,
        ),
    ],
    "journey_funnel": [
        *share("conversion_rate_from_previous", "conversion_rate_from_start", "drop_off_rate"),
        *not_negative("entrants", "drop_offs"),
    ],
    "kpi_daily": KPIS,
    "kpi_monthly": KPIS,
    "cohort_retention": [
        *share("retention_rate"),
        ordered(
            "retained_within_cohort",
            "cohort_customers",
            "retained_customers",
            "a cohort retains at most its own customers",
        ),
    ],
    "campaign_ab_results": share(
        "open_rate", "click_rate", "conversion_rate", "conversion_rate_p_value"
    ),
    "insight_sales_trends": [*not_negative("revenue", "orders"), *share("revenue_share")],
    "insight_product_demand": [
        *not_negative("demand_count"),
        *share("demand_share", "sales_share"),
    ],
    "insight_feedback": [
        *share("share_of_texts", "negative_share"),
        score("average_sentiment", -1, 1, "average sentiment"),
        score("nps", -100, 100, "NPS"),
    ],
    "insight_channels": [
        *share("success_rate", "failure_rate"),
        between(
            "hour_of_day_valid", "hour_of_day", "hours are 0-23", "warn", min_value=0, max_value=23
        ),
    ],
    "insight_interests": [
        *share("interest_rate", "overall_interest_rate"),
        *not_negative("affinity_index"),
    ],
    "insight_loyalty": [
        *share("share_of_customers", "repeat_rate", "share_of_revenue"),
        score("nps", -100, 100, "NPS"),
    ],
}

# Marts checked on a query of their own instead of their rows.
MART_FRAMES = {
    "fct_customer_touchpoints": (
        "select customer_id, occurred_at from marts.fct_customer_touchpoints"
    ),
    "fct_order_attribution": (
        "select order_id, attribution_model, sum(credit) as total_credit "
        "from marts.fct_order_attribution group by order_id, attribution_model"
    ),
}
