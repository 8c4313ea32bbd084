"""Which people a request names, and everything of theirs: nothing is changed here.

An email, a phone, a unified customer id or a source key (`crm__contacts:CRM-0100001`) leads
through the identity map to the customers it belongs to, then to all of their source records,
their orders, and their emails and phones (an email several people share, such as a family's,
stays unless it was asked for by name). An identifier that leads nowhere stops everything with
"not found".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import duckdb

from privacy.keys import identifier_kind_sql
from privacy.suppression import CUSTOMER, active_salt, is_suppressed_sql, matching_form_sql
from sources.contract import EMAIL, LANDING_TABLES, PHONE, landing_table
from sources.readers import quote_ident, quote_literal, table_exists


class NotFound(ValueError):
    """An identifier that matches no record: nothing was changed."""


@dataclass
class Resolution:
    """What a request resolved to, in memory only (the warehouse keeps hashes)."""

    requested: list[str]
    customers: list[str]
    identifiers: dict[str, set[str]]  # kind -> values in matching form
    names: set[tuple[str, str]] = field(default_factory=set)  # (first, last), for verify

    @property
    def count(self) -> int:
        return sum(len(values) for values in self.identifiers.values())


def parse_identifier(text: str) -> tuple[str, str]:
    """(kind, value) of what a user typed: an email, a customer id, a source key (the key a
    landing table's records have in the identity map: a web device's is its anonymous_id) or a
    phone."""
    value = text.strip()
    if "@" in value:
        return EMAIL, value
    if value.startswith("cus_"):
        return CUSTOMER, value
    if ":" in value:
        table, key = value.split(":", 1)
        try:
            landing = landing_table(table)
        except KeyError as error:
            raise ValueError(error.args[0]) from None
        if landing.qualified_name not in {kind for _, kind in landing.people}:
            raise ValueError(f"{table} records are not a person's: {value!r}")
        return landing.qualified_name, key.strip()
    if re.fullmatch(r"[+\d\s().-]+", value) and len(re.sub(r"\D", "", value)) >= 7:
        return PHONE, value
    raise ValueError(
        f"{text!r} is not an email, a phone number, a customer id (cus_...) or a source key "
        "(<source>__<table>:<key>, e.g. crm__contacts:CRM-0100001)"
    )


def resolve(con: duckdb.DuckDBPyConnection, requested: list[str]) -> Resolution:
    """Every customer and identifier the request leads to; NotFound if any leads nowhere.
    Reads only: a read-only connection will do."""
    parsed = [parse_identifier(text) for text in requested]
    con.execute(
        "create or replace temp table erase_request as "
        "select unnest(?) as given, unnest(?) as kind, unnest(?) as value",
        [requested, [kind for kind, _ in parsed], [value for _, value in parsed]],
    )
    con.execute(
        f"create or replace temp table erase_request_forms as select given, kind, "
        f"{matching_form_sql('kind', 'value')} as form from erase_request"
    )
    has_identity = all(
        table_exists(con, schema, table)
        for schema, table in [
            ("marts", "customer_identity_map"),
            ("intermediate", "int_identity__identifiers"),
            ("identity", "clusters"),
        ]
    )
    con.execute("create or replace temp table erase_customers (given varchar, customer_id varchar)")
    if has_identity:
        find_customers(con)
        # a record the identity map does not hold (an order) leads to the person it names
        unresolved = [g for g in requested if g not in given_found(con)]
        if linked := record_links(con, unresolved):
            con.execute(
                "insert into erase_request_forms select unnest(?), unnest(?), unnest(?)",
                [list(column) for column in zip(*linked, strict=True)],
            )
            find_customers(con)
    found = given_found(con)
    found |= given_in_raw(con, [g for g in requested if g not in found])
    found |= already_suppressed(con, [g for g in requested if g not in found])
    missing = [text for text in requested if text not in found]
    if missing:
        raise NotFound(
            f"not found: {', '.join(missing)} (no record carries "
            f"{'it' if len(missing) == 1 else 'them'}); nothing was changed"
        )
    customers = sorted(
        {
            c
            for (c,) in con.execute("select distinct customer_id from erase_customers").fetchall()
            if c
        }
    )
    identifiers: dict[str, set[str]] = {}
    for kind, form in con.execute("select kind, form from erase_request_forms").fetchall():
        identifiers.setdefault(kind, set()).add(form)
    if customers:
        identifiers.setdefault(CUSTOMER, set()).update(customers)
        for kind, value in customer_identifiers(con, customers):
            if value:
                identifiers.setdefault(kind, set()).add(value)
    return Resolution(requested, customers, identifiers, customer_names(con, customers))


def find_customers(con: duckdb.DuckDBPyConnection) -> None:
    """Add to erase_customers the customers each requested form leads to in the identity map."""
    con.execute(
        f"""
        insert into erase_customers
        select r.given, c.customer_id
        from erase_request_forms as r
        inner join intermediate.int_identity__identifiers as i
            on i.identifier_type = r.kind
            and {matching_form_sql("r.kind", "i.identifier_value")} = r.form
        inner join identity.clusters as c using (record_id)
        union
        select r.given, m.customer_id
        from erase_request_forms as r
        inner join marts.customer_identity_map as m
            on (r.kind = '{CUSTOMER}' and m.customer_id = r.form)
            or (m.source || '__' || m.source_table = r.kind and m.source_key = r.form)
        """
    )


def given_found(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {given for (given,) in con.execute("select given from erase_customers").fetchall()}


def record_links(
    con: duckdb.DuckDBPyConnection, requested: list[str]
) -> list[tuple[str, str, str]]:
    """(given, kind, form): for a requested key of a record the identity map does not hold (an
    order), the other keys its raw rows carry (the order's shop customer). Emails and phones are
    not followed: a shared one would lead to a whole family."""
    links = []
    for text in requested:
        kind, value = parse_identifier(text)
        table = next((t for t in LANDING_TABLES if t.qualified_name == kind), None)
        if table is None or not table_exists(con, "raw", table.qualified_name):
            continue
        keys = [column for column, column_kind in table.people if column_kind == kind]
        others = [
            (column, column_kind)
            for column, column_kind in table.people
            if column_kind not in (kind, EMAIL, PHONE)
        ]
        if not keys or not others:
            continue
        asked = matching_form_sql(quote_literal(kind), "$value")
        where = " or ".join(
            f"{matching_form_sql(quote_literal(kind), quote_ident(c))} = {asked}" for c in keys
        )
        query = " union ".join(
            f"select {quote_literal(other_kind)}, "
            f"{matching_form_sql(quote_literal(other_kind), quote_ident(column))} "
            f"from raw.{table.qualified_name} where {where}"
            for column, other_kind in others
        )
        for other_kind, form in con.execute(query, {"value": value}).fetchall():
            if form:
                links.append((text, other_kind, form))
    return links


def given_in_raw(con: duckdb.DuckDBPyConnection, requested: list[str]) -> set[str]:
    """Of `requested`, those a raw row carries directly (an email only a message holds)."""
    found = set()
    for text in requested:
        kind, value = parse_identifier(text)
        for table in LANDING_TABLES:
            columns = [column for column, column_kind in table.people if column_kind == kind]
            if not columns or not table_exists(con, "raw", table.qualified_name):
                continue
            form = matching_form_sql(quote_literal(kind), "$value")
            tests = " or ".join(
                f"{matching_form_sql(quote_literal(kind), quote_ident(c))} = {form}"
                for c in columns
            )
            [(hits,)] = con.execute(
                f"select count(*) from raw.{table.qualified_name} where {tests}", {"value": value}
            ).fetchall()
            if hits:
                found.add(text)
                break
    return found


def already_suppressed(con: duckdb.DuckDBPyConnection, requested: list[str]) -> set[str]:
    """Of `requested`, those an earlier erasure suppressed: asked again, an interrupted erasure
    finishes."""
    salt = active_salt(con)
    if not requested or not salt:
        return set()
    return {
        text
        for text in requested
        if con.execute(
            f"select {is_suppressed_sql('$kind', '$value', salt)}",
            dict(zip(("kind", "value"), parse_identifier(text), strict=True)),
        ).fetchall()[0][0]
    }


def customer_identifiers(con: duckdb.DuckDBPyConnection, customers: list[str]) -> list[tuple]:
    """(kind, value in matching form) of everything that identifies these customers."""
    con.execute(
        "create or replace temp table erase_records as select record_id, source, source_table, "
        "source_key from identity.clusters where customer_id in (select unnest(?))",
        [customers],
    )
    shared = (
        "select identifier_value from identity.shared_identifiers where people > 1"
        if table_exists(con, "identity", "shared_identifiers")
        else "select null::varchar"
    )
    kinds = identifier_kind_sql("identifier_type")
    rows = con.execute(
        f"""
        select source || '__' || source_table, source_key from erase_records
        union
        select {kinds} as kind, {matching_form_sql(kinds, "identifier_value")}
        from intermediate.int_identity__identifiers
        where record_id in (select record_id from erase_records)
            and identifier_value not in ({shared})
        """
    ).fetchall()
    shop_keys = [value for kind, value in rows if kind == "ecommerce__customers"]
    orders = con.execute(
        "select distinct order_id from raw.ecommerce__orders where customer_id in "
        "(select unnest(?))",
        [shop_keys],
    ).fetchall()
    return [row for row in rows if row[0]] + [("ecommerce__orders", o) for (o,) in orders]


def customer_names(con: duckdb.DuckDBPyConnection, customers: list[str]) -> set[tuple[str, str]]:
    """The full names on these customers' records that no other customer has (a shared name
    says nothing about whether this person is still there), lowercase."""
    if not customers:
        return set()
    return set(
        con.execute(
            """
            select lower(r.first_name), lower(r.last_name)
            from intermediate.int_identity__records as r
            inner join identity.clusters as c using (record_id)
            where r.first_name is not null and r.last_name is not null
            group by all
            having bool_and(c.customer_id in (select unnest(?)))
            """,
            [customers],
        ).fetchall()
    )
