"""The rules of each staging model, checked on the rows whose raw row was loaded since the model
was last validated: what cleaning made of the values, references between sources (coverage),
time order. A failure with severity "error" blocks.
"""

from __future__ import annotations

from data_quality.frames import Reference
from data_quality.rules.kinds import Rule, covered, normalises, not_null, ordered

EMAIL = normalises("email", "delivered emails are shaped like an address (normalised, not dropped)")
PHONE = normalises("phone", "delivered phone numbers normalise to E.164")

CUSTOMER = Reference("customer_id", "ecommerce__customers", "ordered_at")
ORDER_OF_LINE = Reference("order_id", "ecommerce__orders")
PRODUCT_OF_LINE = Reference("product_id", "ecommerce__products")
CONTACT = Reference("contact_id", "crm__contacts", "created_at")
CAMPAIGN = Reference("campaign_id", "marketing__campaigns", "occurred_at")
VIEWED_PRODUCT = Reference("product_id", "ecommerce__products", "occurred_at")
SURVEYED_ORDER = Reference("order_id", "ecommerce__orders", "submitted_at")
REVIEWED_PRODUCT = Reference("product_id", "ecommerce__products", "posted_at")

STAGING_RULES: dict[str, list[Rule]] = {
    "stg_crm__contacts": [EMAIL, PHONE],
    "stg_crm__leads": [
        EMAIL,
        covered("contact_coverage", CONTACT, "new leads' contacts exist in the CRM"),
        ordered(
            "converted_after_created", "converted_at", "created_at", "leads convert after creation"
        ),
    ],
    "stg_ecommerce__customers": [EMAIL, PHONE],
    "stg_ecommerce__orders": [
        covered(
            "customer_coverage", CUSTOMER, "new orders' customers exist in the shop's customer list"
        ),
    ],
    "stg_ecommerce__order_items": [
        covered("order_coverage", ORDER_OF_LINE, "new order lines belong to a known order"),
        covered("product_coverage", PRODUCT_OF_LINE, "new order lines sell a known product"),
    ],
    "stg_ecommerce__products": [
        not_null("product_named", "product_name", "products have a name"),
    ],
    "stg_web__events": [
        covered("product_coverage", VIEWED_PRODUCT, "products viewed on the web are known"),
    ],
    "stg_marketing__campaigns": [
        not_null("campaign_channel_present", "channel", "campaigns say which channel they ran on"),
    ],
    "stg_marketing__messages": [
        covered("campaign_coverage", CAMPAIGN, "new email events belong to a known campaign"),
    ],
    "stg_support__tickets": [
        EMAIL,
        ordered(
            "first_response_after_created",
            "first_response_at",
            "created_at",
            "first responses come after the ticket",
        ),
    ],
    "stg_surveys__responses": [
        EMAIL,
        covered("order_coverage", SURVEYED_ORDER, "surveyed orders are known"),
    ],
    "stg_feedback__reviews": [
        EMAIL,
        covered("product_coverage", REVIEWED_PRODUCT, "reviewed products are known"),
    ],
}
