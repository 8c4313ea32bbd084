"""The landing-zone contract: which tables a business can deliver and what their columns mean.

This module is the single source of truth for the input API (docs/sources.md renders it). The
loader, the simulator and the tests all read it; the dbt staging models mirror it.

Column types are logical types, mapped to DuckDB types by the loader. Every id is text, so that
keys such as "00042" or "C-17" survive intact.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ColumnType(StrEnum):
    TEXT = "VARCHAR"
    INTEGER = "BIGINT"
    NUMBER = "DOUBLE"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"  # stored as UTC without zone; input without zone is UTC


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = ColumnType.TEXT
    required: bool = False
    # A detail of a record, not what makes it: a value that does not type is set aside
    # (audit.set_aside_values) and the row loads without it. A contact is worth keeping without
    # a birth date that is no date ("1961-02-30"), as staging keeps it without an implausible
    # one; an order is not worth keeping without its amount, so a bad amount quarantines the row.
    detail: bool = False


@dataclass(frozen=True)
class LandingTable:
    source: str
    name: str
    key: tuple[str, ...]  # natural key: staging keeps the latest row per key
    columns: tuple[Column, ...]
    # Columns that point at a person: column -> what its value is (EMAIL, PHONE, or the table
    # whose key it holds). Erasure and suppression find a person's rows through them.
    people: tuple[tuple[str, str], ...] = ()

    @property
    def qualified_name(self) -> str:
        """`<source>__<table>`: the raw table and the Dagster asset are named after it."""
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


T, INT, NUM, BOOL, DATE, TS = (
    ColumnType.TEXT,
    ColumnType.INTEGER,
    ColumnType.NUMBER,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.TIMESTAMP,
)


def _table(
    source: str, name: str, key: str, *columns: tuple, people: dict[str, str] | None = None
) -> LandingTable:
    """Columns are written as (name, type) or (name, type, R or D) for readability."""
    return LandingTable(
        source=source,
        name=name,
        key=tuple(part.strip() for part in key.split(",")),
        columns=tuple(
            Column(spec[0], spec[1], required=R in spec[2:], detail=D in spec[2:])
            for spec in columns
        ),
        people=tuple((people or {}).items()),
    )


R = "required"
D = "detail"
# What a person column holds, beside the key of a landing table (named `<source>__<table>`).
EMAIL, PHONE = "email", "phone"

LANDING_TABLES: tuple[LandingTable, ...] = (
    _table(
        "crm",
        "contacts",
        "contact_id",
        ("contact_id", T, R),
        ("first_name", T),
        ("last_name", T),
        ("email", T),
        ("phone", T),
        ("date_of_birth", DATE, D),
        ("gender", T),
        ("street", T),
        ("city", T),
        ("postcode", T),
        ("country", T),
        ("income_band", T),
        ("interests", T),
        ("lifecycle_stage", T),
        ("consent_email", BOOL),
        ("consent_sms", BOOL),
        ("created_at", TS),
        ("updated_at", TS),
        people={"contact_id": "crm__contacts", "email": EMAIL, "phone": PHONE},
    ),
    _table(
        "crm",
        "leads",
        "lead_id",
        ("lead_id", T, R),
        ("contact_id", T),
        ("email", T),
        ("created_at", TS, R),
        ("source_channel", T),
        ("campaign_id", T),
        ("status", T),
        ("converted_at", TS),
        people={"lead_id": "crm__leads", "contact_id": "crm__contacts", "email": EMAIL},
    ),
    _table(
        "ecommerce",
        "customers",
        "customer_id",
        ("customer_id", T, R),
        ("email", T),
        ("first_name", T),
        ("last_name", T),
        ("phone", T),
        ("date_of_birth", DATE, D),
        ("street", T),
        ("city", T),
        ("postcode", T),
        ("country", T),
        ("created_at", TS),
        people={"customer_id": "ecommerce__customers", "email": EMAIL, "phone": PHONE},
    ),
    _table(
        "ecommerce",
        "orders",
        "order_id",
        ("order_id", T, R),
        ("customer_id", T, R),
        ("ordered_at", TS, R),
        ("amount", NUM, R),
        ("currency", T),
        ("channel", T),
        ("store_id", T),
        ("status", T),
        ("coupon_code", T),
        ("discount_amount", NUM),
        people={"order_id": "ecommerce__orders", "customer_id": "ecommerce__customers"},
    ),
    _table(
        "ecommerce",
        "order_items",
        "order_id, product_id",
        ("order_id", T, R),
        ("product_id", T, R),
        ("quantity", INT),
        ("unit_price", NUM),
        people={"order_id": "ecommerce__orders"},
    ),
    _table(
        "ecommerce",
        "products",
        "product_id",
        ("product_id", T, R),
        ("name", T),
        ("category", T),
        ("price", NUM),
    ),
    _table(
        "web",
        "events",
        "event_id",
        ("event_id", T, R),
        ("occurred_at", TS, R),
        ("event_type", T, R),
        ("anonymous_id", T),
        ("customer_id", T),
        ("session_id", T),
        ("page_url", T),
        ("product_id", T),
        ("search_query", T),
        ("utm_source", T),
        ("utm_medium", T),
        ("utm_campaign", T),
        ("referrer", T),
        ("device", T),
        people={"anonymous_id": "web__events", "customer_id": "ecommerce__customers"},
    ),
    _table(
        "marketing",
        "campaigns",
        "campaign_id",
        ("campaign_id", T, R),
        ("name", T),
        ("channel", T),
        ("started_at", TS),
        ("ended_at", TS),
        ("offer", T),
        ("coupon_code", T),
        ("variant", T),
    ),
    _table(
        "marketing",
        "messages",
        "message_id",
        ("message_id", T, R),
        ("campaign_id", T, R),
        ("occurred_at", TS, R),
        ("event_type", T, R),
        ("contact_id", T),
        ("email", T),
        people={"contact_id": "crm__contacts", "email": EMAIL},
    ),
    _table(
        "support",
        "tickets",
        "ticket_id",
        ("ticket_id", T, R),
        ("created_at", TS, R),
        ("email", T),
        ("customer_id", T),
        ("channel", T),
        ("category", T),
        ("product_id", T),
        ("first_response_at", TS),
        ("resolved_at", TS),
        ("queue_seconds", INT),
        ("status", T),
        ("csat_score", INT),
        ("text", T),
        people={
            "ticket_id": "support__tickets",
            "email": EMAIL,
            "customer_id": "ecommerce__customers",
        },
    ),
    _table(
        "surveys",
        "responses",
        "response_id",
        ("response_id", T, R),
        ("submitted_at", TS, R),
        ("survey_type", T),
        ("score", INT),
        ("comment", T),
        ("email", T),
        ("customer_id", T),
        ("order_id", T),
        people={
            "response_id": "surveys__responses",
            "email": EMAIL,
            "customer_id": "ecommerce__customers",
            "order_id": "ecommerce__orders",
        },
    ),
    _table(
        "feedback",
        "reviews",
        "review_id",
        ("review_id", T, R),
        ("posted_at", TS, R),
        ("rating", INT),
        ("text", T),
        ("product_id", T),
        ("platform", T),
        ("author_name", T),
        ("email", T),
        ("customer_id", T),
        people={
            "review_id": "feedback__reviews",
            "email": EMAIL,
            "customer_id": "ecommerce__customers",
        },
    ),
)

FILE_FORMATS = ("csv", "parquet", "jsonl")

# Columns the loader adds to every raw table so each row can be traced back to its file.
LINEAGE_COLUMNS = {
    "_source_file": "VARCHAR",  # path relative to the landing directory
    "_source_row": "BIGINT",  # 1-based data row (line for CSV/JSONL) within the file
    "_load_id": "VARCHAR",  # the audit.load_log entry that brought the row
    "_loaded_at": "TIMESTAMP",
}


def landing_table(qualified_name: str) -> LandingTable:
    """Look up a table by `<source>__<table>`; a clear error names the valid choices."""
    for table in LANDING_TABLES:
        if table.qualified_name == qualified_name:
            return table
    valid = ", ".join(t.qualified_name for t in LANDING_TABLES)
    raise KeyError(f"unknown landing table {qualified_name!r}; valid tables: {valid}")
