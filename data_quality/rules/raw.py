"""The rules of each raw table, checked on the rows loaded since the table was last validated.

Row-level rules (`impossible`, `event_time`) move a few failing rows to audit.quarantine and
block when many fail; every other rule blocks on failure (severity "error") or warns ("warn").
Every table also says whether each new file loaded (`file_loaded`); the steady daily feeds are
judged on their volume, the tables with an event time on their freshness.
"""

from __future__ import annotations

from data_quality.rules.kinds import (
    VALID_SHARE,
    Rule,
    birth_date,
    code,
    event_time,
    file_loaded,
    file_volume,
    freshness,
    impossible,
    in_set,
    matches,
    ordered,
    unique,
    volume_collapse,
)

EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
CURRENCY_PATTERN = r"^\s*[A-Za-z]{3}\s*$"
WEB_EVENT_TYPES = (
    "page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "checkout",
    "purchase", "sign_up", "login",
)  # fmt: skip
MESSAGE_EVENT_TYPES = ("sent", "delivered", "bounced", "opened", "clicked", "unsubscribed")
ORDER_CHANNELS = ("web", "app", "store")
TICKET_CHANNELS = ("phone", "chat", "email")
SURVEY_TYPES = ("nps", "csat")

EMAIL_FORMAT = matches("email_format", "email", EMAIL_PATTERN, "emails look like name@domain.tld")
DATE_OF_BIRTH = birth_date(
    "date_of_birth",
    "birth dates lie between 1900 and today (staging drops implausible ones)",
    mostly=VALID_SHARE,
)
# Feeds with a steady daily flow. Dimension exports (contacts, customers, products, campaigns)
# come as backfills and change sets, and email sends in campaign bursts (one file 1,400 rows,
# the next 4): for those a file's size says nothing about its completeness.
VOLUME = [file_volume(), volume_collapse()]

RAW_RULES: dict[str, list[Rule]] = {
    "crm__contacts": [
        EMAIL_FORMAT,
        DATE_OF_BIRTH,
        event_time("created_at"),
        event_time("updated_at"),
        file_loaded(),
    ],
    "crm__leads": [
        EMAIL_FORMAT,
        event_time("created_at"),
        event_time("converted_at"),
        file_loaded(),
        freshness(),
    ],
    "ecommerce__customers": [
        EMAIL_FORMAT,
        DATE_OF_BIRTH,
        event_time("created_at"),
        file_loaded(),
    ],
    "ecommerce__orders": [
        impossible("amount_not_negative", "amount", "amounts are >= 0", min_value=0),
        impossible("discount_not_negative", "discount_amount", "discounts are >= 0", min_value=0),
        event_time("ordered_at"),
        in_set("channel_known", code("channel"), ORDER_CHANNELS, "channel is web, app or store"),
        matches(
            "currency_code", "currency", CURRENCY_PATTERN, "currency is an ISO 4217 code", "warn"
        ),
        unique("order_id"),
        file_loaded(),
        *VOLUME,
        freshness(),
    ],
    "ecommerce__order_items": [
        impossible("quantity_positive", "quantity", "quantities are at least 1", min_value=1),
        impossible("unit_price_not_negative", "unit_price", "unit prices are >= 0", min_value=0),
        unique("order_id", "product_id"),
        file_loaded(),
        *VOLUME,
    ],
    "ecommerce__products": [
        impossible("price_not_negative", "price", "prices are >= 0", min_value=0),
        file_loaded(),
    ],
    "web__events": [
        event_time("occurred_at"),
        in_set(
            "event_type_known",
            code("event_type"),
            WEB_EVENT_TYPES,
            f"event_type is one of {', '.join(WEB_EVENT_TYPES)}",
        ),
        unique("event_id"),
        file_loaded(),
        *VOLUME,
        freshness(),
    ],
    "marketing__campaigns": [
        ordered("ends_after_start", "ended_at", "started_at", "a campaign ends after it starts"),
        file_loaded(),
    ],
    "marketing__messages": [
        event_time("occurred_at"),
        in_set(
            "event_type_known",
            code("event_type"),
            MESSAGE_EVENT_TYPES,
            f"event_type is one of {', '.join(MESSAGE_EVENT_TYPES)}",
        ),
        unique("message_id"),
        file_loaded(),
        freshness(),
    ],
    "support__tickets": [
        impossible(
            "csat_score_in_range", "csat_score", "CSAT scores are 1-5", min_value=1, max_value=5
        ),
        impossible(
            "queue_seconds_not_negative", "queue_seconds", "queue times are >= 0", min_value=0
        ),
        event_time("created_at"),
        in_set(
            "channel_known", code("channel"), TICKET_CHANNELS, "channel is phone, chat or email"
        ),
        ordered(
            "resolved_after_created", "resolved_at", "created_at", "tickets resolve after creation"
        ),
        file_loaded(),
        *VOLUME,
        freshness(),
    ],
    "surveys__responses": [
        # survey_kind is derived by survey_type_known below
        impossible(
            "nps_score_in_range",
            "score",
            "NPS scores are 0-10",
            min_value=0,
            max_value=10,
            row_condition='survey_kind=="nps"',
        ),
        impossible(
            "csat_score_in_range",
            "score",
            "CSAT scores are 1-5",
            min_value=1,
            max_value=5,
            row_condition='survey_kind=="csat"',
        ),
        event_time("submitted_at"),
        in_set(
            "survey_type_known",
            code("survey_type", "survey_kind"),
            SURVEY_TYPES,
            "survey_type is nps or csat",
        ),
        unique("response_id"),
        file_loaded(),
        *VOLUME,
        freshness(),
    ],
    "feedback__reviews": [
        impossible("rating_in_range", "rating", "ratings are 1-5 stars", min_value=1, max_value=5),
        event_time("posted_at"),
        unique("review_id"),
        file_loaded(),
        *VOLUME,
        freshness(),
    ],
}
