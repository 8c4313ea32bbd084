"""Hand-made identity inputs in the shape dbt gives them (int_identity__records and
int_identity__identifiers), for tests that need to know exactly who is who."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

RECORD_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("source", pa.string()),
        ("source_table", pa.string()),
        ("source_key", pa.string()),
        ("record_kind", pa.string()),
        ("source_priority", pa.int32()),
        ("recorded_at", pa.timestamp("us")),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("birth_date", pa.date32()),
        ("email", pa.string()),
        ("phone", pa.string()),
        ("street", pa.string()),
        ("city", pa.string()),
        ("postcode", pa.string()),
    ]
)
IDENTIFIER_SCHEMA = pa.schema(
    [
        ("record_id", pa.string()),
        ("identifier_type", pa.string()),
        ("identifier_value", pa.string()),
        ("match_rule", pa.string()),
        ("match_confidence", pa.float64()),
    ]
)

TABLES = {
    "contacts": ("crm", "profile", 1),
    "customers": ("ecommerce", "profile", 2),
    "leads": ("crm", "lead", 3),
    "tickets": ("support", "interaction", 4),
    "reviews": ("feedback", "interaction", 6),
    "events": ("web", "device", 7),
}
CONFIDENCE = {
    "record_key": 1.0,
    "lead_contact": 1.0,
    "customer_reference": 1.0,
    "web_login": 1.0,
    "email": 0.97,
    "phone": 0.95,
}


class Records:
    """Builds records and, from their emails, phones and references, their identifiers as
    int_identity__identifiers would."""

    def __init__(self) -> None:
        self.records: list[dict] = []
        self.identifiers: list[dict] = []

    def add(
        self,
        table: str,
        key: str,
        *,
        day: int = 1,
        first_name: str | None = None,
        last_name: str | None = None,
        birth_date: date | None = None,
        email: str | None = None,
        phone: str | None = None,
        contact: str | None = None,
        customer: str | None = None,
        **address: str,
    ) -> str:
        source, kind, priority = TABLES[table]
        record_id = f"{source}/{table}/{key}"
        self.records.append(
            {
                "record_id": record_id,
                "source": source,
                "source_table": table,
                "source_key": key,
                "record_kind": kind,
                "source_priority": priority,
                "recorded_at": datetime(2025, 1, day),
                "first_name": first_name,
                "last_name": last_name,
                "birth_date": birth_date,
                "email": email,
                "phone": phone,
            }
            | address
        )
        if table == "contacts":
            self._identifier(record_id, "crm_contact", key, "record_key")
        if table == "customers":
            self._identifier(record_id, "shop_customer", key, "record_key")
        if contact:
            self._identifier(record_id, "crm_contact", contact, "lead_contact")
        if customer:
            rule = "web_login" if table == "events" else "customer_reference"
            self._identifier(record_id, "shop_customer", customer, rule)
        if email:
            self._identifier(record_id, "email", email, "email")
        if phone:
            self._identifier(record_id, "phone", phone, "phone")
        return record_id

    def _identifier(self, record_id: str, kind: str, value: str, rule: str) -> None:
        self.identifiers.append(
            {
                "record_id": record_id,
                "identifier_type": kind,
                "identifier_value": value,
                "match_rule": rule,
                "match_confidence": CONFIDENCE[rule],
            }
        )

    def tables(self) -> tuple[pa.Table, pa.Table]:
        return (
            pa.Table.from_pylist(self.records, schema=RECORD_SCHEMA),
            pa.Table.from_pylist(self.identifiers, schema=IDENTIFIER_SCHEMA),
        )
