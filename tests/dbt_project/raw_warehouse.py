"""The raw warehouse the staging tests build on: every raw table created from sources.contract
exactly as the loader creates it (so the tests follow the contract when it changes), holding the
hand-written RAW_ROWS below, whose comments say what staging must make of each (PHONE_CASES and
EMAIL_CASES: delivered values and what they normalise to).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.contract import LANDING_TABLES, LINEAGE_COLUMNS, LandingTable

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
STAGING_DIR = DBT_PROJECT_DIR / "models" / "staging"

# Columns the loader would add for extra columns found in the files (custom attributes).
CUSTOM_ATTRIBUTES = {"crm__leads": {"loyalty_tier": "VARCHAR", "lead score": "VARCHAR"}}

# (delivered phone, expected E.164) with the default country code 44.
PHONE_CASES = [
    ("07700 900123", "+447700900123"),
    ("+44 7700 900124", "+447700900124"),
    ("+44 (0)20 7946 0958", "+442079460958"),
    ("0044 161 496 0000", "+441614960000"),
    ("(0161) 496-0001", "+441614960001"),
    ("7700900125", "+447700900125"),
    ("447700900126", "+447700900126"),
    ("+1 (202) 555-0143", "+12025550143"),
    ("001-202-555-0144", "+12025550144"),
    ("123", None),
    ("n/a", None),
    ("   ", None),
    (None, None),
]

# (delivered email, expected normalised email, expected email_raw)
EMAIL_CASES = [
    ("  Dana@Example.COM ", "dana@example.com", "Dana@Example.COM"),
    ("erin@example.org", "erin@example.org", "erin@example.org"),
    ("not-an-email", None, "not-an-email"),
    ("@example.com", None, "@example.com"),
    ("", None, None),
    (None, None, None),
]

T1, T2, T3 = datetime(2025, 1, 1, 9), datetime(2025, 1, 2, 9), datetime(2025, 1, 3, 9)
CONTACTS_1, CONTACTS_2, CONTACTS_3 = (f"crm/contacts/2025-01-0{day}.csv" for day in (1, 2, 3))
LEADS_1, LEADS_2 = "crm/leads/2025-01-01.csv", "crm/leads/2025-01-02.csv"


def rows(columns: str, *values: tuple) -> list[dict[str, Any]]:
    """Rows written as a table: a comma-separated header, then one tuple per row. Without a
    `_source_row` column, rows are numbered 1, 2, ... within each `_source_file`."""
    names = [name.strip() for name in columns.split(",")]
    records = [dict(zip(names, row, strict=True)) for row in values]
    if "_source_row" not in names:
        files = [record["_source_file"] for record in records]
        for index, record in enumerate(records):
            record["_source_row"] = files[: index + 1].count(record["_source_file"])
    return records


RAW_ROWS: dict[str, list[dict[str, Any]]] = {
    "crm__contacts": rows(
        "contact_id, first_name, last_name, city, updated_at, _source_file, _source_row",
        # C1: three deliveries; the latest updated_at wins though a stale copy came later.
        ("C1", "Alice", None, None, T1, CONTACTS_1, 1),
        ("C1", "Alicia", None, None, T2, CONTACTS_2, 1),
        ("C1", "Stale", None, None, T1, CONTACTS_3, 1),
        # C2: an exact duplicate within one file, with a padded id and a blank name.
        ("C2", "  ", "Brown", None, None, CONTACTS_1, 2),
        (" C2 ", "  ", "Brown", None, None, CONTACTS_1, 3),
        # C3: no updated_at anywhere: the later file wins.
        ("C3", None, None, "Leeds", None, CONTACTS_1, 4),
        ("C3", None, None, "York", None, CONTACTS_2, 2),
        # C4: a known updated_at beats a missing one (nulls last), whatever the file order.
        ("C4", None, None, "Bath", T1, CONTACTS_1, 5),
        ("C4", None, None, "Bristol", None, CONTACTS_2, 3),
        # C5: same file, the last row wins.
        ("C5", None, None, "Hull", None, CONTACTS_1, 6),
        ("C5", None, None, "Ely", None, CONTACTS_1, 7),
    ),
    "crm__leads": rows(
        "lead_id, email, created_at, status, loyalty_tier, lead score, _source_file, _source_row",
        ("L1", "  CAROL@EXAMPLE.org", T1, "new", " gold ", "17", LEADS_1, 1),
        ("L1", "  CAROL@EXAMPLE.org", T1, "qualified", " gold ", "42", LEADS_2, 1),
        ("L2", None, T2, None, "", None, LEADS_2, 2),
    ),
    "ecommerce__customers": rows(
        "customer_id, phone, email, _source_file, _source_row",
        *(
            (f"PHONE-{index}", phone, None, "ecommerce/customers/2025-01-01.csv", index)
            for index, (phone, _) in enumerate(PHONE_CASES, start=1)
        ),
        *(
            (f"EMAIL-{index}", None, email, "ecommerce/customers/2025-01-02.csv", index)
            for index, (email, _, _) in enumerate(EMAIL_CASES, start=1)
        ),
    ),
    "ecommerce__orders": rows(
        "order_id, customer_id, ordered_at, amount, currency, channel, status, _source_file",
        # The later delivery wins; out-of-range values (a negative amount) are not dropped.
        ("O1", "EMAIL-1", T1, -5.0, "gbp", " Web ", "placed", "ecommerce/orders/2025-01-01.csv"),
        ("O1", "EMAIL-1", T1, 25.0, "gbp", "Web", "shipped", "ecommerce/orders/2025-01-02.csv"),
    ),
    "ecommerce__order_items": rows(
        "order_id, product_id, quantity, unit_price, _source_file",
        ("O1", "P1", 1, 10.0, "ecommerce/order_items/2025-01-01.csv"),
        ("O1", "P2", 3, 5.0, "ecommerce/order_items/2025-01-01.csv"),
        ("O1", "P1", 2, 10.0, "ecommerce/order_items/2025-01-02.csv"),
    ),
    "ecommerce__products": rows(
        "product_id, name, category, price, _source_file",
        ("P1", " Trail Shoe ", "shoes", 10.0, "ecommerce/products/2025-01-01.csv"),
    ),
    "web__events": rows(
        "event_id, occurred_at, event_type, session_id, _source_file",
        ("E1", T1, "PAGE_VIEW", "S1", "web/events/2025-01-01.jsonl"),
    ),
    "marketing__campaigns": rows(
        "campaign_id, name, channel, _source_file",
        ("K1", "Spring sale", "Email", "marketing/campaigns/2025-01-01.csv"),
    ),
    "marketing__messages": rows(
        "message_id, campaign_id, occurred_at, event_type, email, _source_file",
        ("M1", "K1", T1, "Opened", "Dana@example.com ", "marketing/messages/2025-01-01.csv"),
    ),
    "support__tickets": rows(
        "ticket_id, created_at, channel, text, _source_file",
        ("T1", T1, "chat", "My parcel is late.", "support/tickets/2025-01-01.csv"),
    ),
    "surveys__responses": rows(
        "response_id, submitted_at, survey_type, score, _source_file",
        ("R1", T3, "NPS", 11, "surveys/responses/2025-01-03.csv"),
    ),
    # feedback__reviews stays empty: staging must still build an (empty) table.
}
# A contact's other columns, on its winning delivery (C1 from CONTACTS_2).
RAW_ROWS["crm__contacts"][1] |= {
    "email": " Alicia@Example.com",
    "consent_email": True,
    "consent_sms": False,
    "date_of_birth": date(1990, 5, 17),
}


def create_raw_warehouse(path: Path) -> None:
    """Create every raw table the way the loader does, and insert RAW_ROWS."""
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw")
        for table in LANDING_TABLES:
            columns = raw_columns(table)
            column_list = ", ".join(f'"{name}" {type_}' for name, type_ in columns.items())
            connection.execute(f"create table raw.{table.qualified_name} ({column_list})")
            rows = RAW_ROWS.get(table.qualified_name, [])
            if rows:
                placeholders = ", ".join("?" for _ in columns)
                connection.executemany(
                    f"insert into raw.{table.qualified_name} values ({placeholders})",
                    [[with_lineage(row).get(name) for name in columns] for row in rows],
                )


def raw_columns(table: LandingTable) -> dict[str, str]:
    return (
        {column.name: column.type.value for column in table.columns}
        | CUSTOM_ATTRIBUTES.get(table.qualified_name, {})
        | LINEAGE_COLUMNS
    )


def with_lineage(row: dict[str, Any]) -> dict[str, Any]:
    return {"_load_id": "load-1", "_loaded_at": datetime(2025, 1, 4)} | row
