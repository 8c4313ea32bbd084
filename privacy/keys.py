"""Where a person's keys and identifiers live in the warehouse, so that every row about an erased
person can be found from the suppression list alone (no readable identifier needed).

Raw tables say it in the landing contract (`LandingTable.people`). Tables built from them keep
the same column names, plus a few shapes of their own: an identity `record_id`
(`<source>/<table>/<key>`), a `source_key` beside its `source` and `source_table`, an
`identifier_value` beside its `identifier_type`. A new model that keeps a person key under
another name must be added here; the erasure test finds it if it is not.
"""

from __future__ import annotations

from privacy.suppression import CUSTOMER, is_suppressed_sql
from sources.contract import EMAIL, PHONE, landing_table
from sources.readers import quote_ident, quote_literal

# A column name -> the kinds of key its value may be.
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "customer_id": (CUSTOMER, "ecommerce__customers"),  # unified id, or the shop's in staging
    "shop_customer_id": ("ecommerce__customers",),
    "source_customer_key": ("ecommerce__customers",),
    "contact_id": ("crm__contacts",),
    "lead_id": ("crm__leads",),
    "order_id": ("ecommerce__orders",),
    "anonymous_id": ("web__events",),
    "ticket_id": ("support__tickets",),
    "response_id": ("surveys__responses",),
    "review_id": ("feedback__reviews",),
    "email": (EMAIL,),
    "email_raw": (EMAIL,),
    "phone": (PHONE,),
    "phone_raw": (PHONE,),
}
# Identity record ids: `<source>/<table>/<key>`.
RECORD_ID_COLUMNS = ("record_id", "record_id_left", "record_id_right", "anchor_record_id")
# A key beside the columns naming its source and table.
SOURCE_KEY_COLUMNS = {
    "source_key": ("source", "source_table"),
    "identity_source_key": ("identity_source", "identity_source_table"),
    "fallback_identity_source_key": ("fallback_identity_source", "fallback_identity_source_table"),
}
IDENTIFIER_KINDS = {
    "email": EMAIL,
    "phone": PHONE,
    "crm_contact": "crm__contacts",
    "shop_customer": "ecommerce__customers",
}


def person_key_tests(schema: str, table: str, columns: list[str]) -> list[tuple[str, str]]:
    """(kind, value) SQL pairs: the ways a row of `schema.table` can point at a person."""
    if schema == "raw":
        present = set(columns)
        return [
            (quote_literal(kind), quote_ident(column))
            for column, kind in landing_table(table).people
            if column in present
        ]
    tests = []
    for column in columns:
        name = quote_ident(column)
        for kind in KEY_COLUMNS.get(column, ()):
            tests.append((quote_literal(kind), name))
        if column in RECORD_ID_COLUMNS:
            kind = f"split_part({name}, '/', 1) || '__' || split_part({name}, '/', 2)"
            tests.append((kind, f"regexp_extract({name}, '^[^/]+/[^/]+/(.*)$', 1)"))
        if column in SOURCE_KEY_COLUMNS and set(SOURCE_KEY_COLUMNS[column]) <= set(columns):
            source, source_table = (quote_ident(c) for c in SOURCE_KEY_COLUMNS[column])
            tests.append((f"{source} || '__' || {source_table}", name))
    if "identifier_value" in columns and "identifier_type" in columns:
        tests.append((identifier_kind_sql("identifier_type"), "identifier_value"))
    return tests


def identifier_kind_sql(identifier_type: str) -> str:
    """SQL for the kind of an identity identifier (int_identity__identifiers.identifier_type)."""
    cases = " ".join(
        f"when {quote_literal(type_)} then {quote_literal(kind)}"
        for type_, kind in IDENTIFIER_KINDS.items()
    )
    return f"case {identifier_type} {cases} end"


def row_points_at_suppressed_sql(
    schema: str, table: str, columns: list[str], salt: str
) -> str | None:
    """SQL true for a row of `schema.table` about a suppressed person; None if it has no keys."""
    tests = [
        is_suppressed_sql(kind, value, salt)
        for kind, value in person_key_tests(schema, table, columns)
    ]
    return " or ".join(tests) or None


def text_points_at_suppressed_sql(table: str, text: str, salt: str) -> str | None:
    """SQL true when a line of `table` too broken to parse into fields (`text`, SQL) holds a
    word that is a suppressed email, phone or key of the kinds the table's records carry.
    Words split at delimiters, quotes and spaces, so a phone written with spaces is missed."""
    kinds = sorted({kind for _, kind in landing_table(table).people})
    if not kinds:
        return None
    tests = " or ".join(is_suppressed_sql(quote_literal(kind), "word", salt) for kind in kinds)
    return (
        f"exists (select 1 from (select unnest(regexp_split_to_array({text}, "
        f"'[[:space:],;|\"{{}}:]+')) as word) where word <> '' and ({tests}))"
    )
