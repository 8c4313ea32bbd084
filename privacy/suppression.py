"""The suppression list: salted hashes of what identifies an erased person.

Each entry is a kind (EMAIL, PHONE, CUSTOMER for the unified customer id, or a landing table whose
key it is, such as `crm__contacts`) and the SHA-256 of the salt, the kind and the value in its
matching form. The list holds no readable identifier, yet any later row can be tested against it:
the loader quarantines matching rows with reason `suppressed`, so a re-delivered export or a
late event never brings an erased person back.

The salt is drawn once per warehouse and kept in `audit.privacy_salt`. Whoever can read the audit
schema can test a guess against the list; the audit schema is not published (docs/privacy.md).
"""

from __future__ import annotations

import secrets

import duckdb

from sources.contract import EMAIL, PHONE
from sources.readers import quote_literal, table_exists

CUSTOMER = "customer"  # the unified customer id of marts.dim_customers
# audit tables that never leave the warehouse: a reader of the salt could test guesses
UNPUBLISHED = ("privacy_salt", "suppression")

SUPPRESSION_DDL = """
create schema if not exists audit;
create table if not exists audit.privacy_salt (salt varchar not null);
create table if not exists audit.suppression (
    identifier_kind varchar not null,
    identifier_hash varchar not null,
    erasure_id varchar not null,
    suppressed_at timestamp not null,
    primary key (identifier_kind, identifier_hash)
);
"""


def matching_form_sql(kind: str, value: str) -> str:
    """SQL for the form a value is compared in, `kind` being SQL too: an email trimmed and
    lowercased, a phone as its last ten digits (so `07700 900123`, `+44 7700 900123` and
    `447700900123` agree), a key trimmed. Null when there is nothing to compare."""
    digits = f"regexp_replace({value}, '[^0-9]', '', 'g')"
    return (
        f"case {kind} when '{EMAIL}' then "
        f"case when trim({value}) like '%_@_%' then lower(trim({value})) end "
        f"when '{PHONE}' then case when length({digits}) >= 7 then right({digits}, 10) end "
        f"else nullif(trim({value}), '') end"
    )


def hash_sql(kind: str, value: str, salt: str) -> str:
    """SQL for the suppression hash of `value` read as `kind` (both SQL). The hash covers the
    kind, so the same text as an email and as a key are two entries."""
    return f"sha256({quote_literal(salt)} || {kind} || ':' || {matching_form_sql(kind, value)})"


def is_suppressed_sql(kind: str, value: str, salt: str) -> str:
    """SQL that is true when `value` read as `kind` (both SQL) is on the suppression list."""
    return (
        f"coalesce({hash_sql(kind, value, salt)} in "
        "(select identifier_hash from audit.suppression), false)"
    )


def ensure_suppression(con: duckdb.DuckDBPyConnection) -> str:
    """Create the list if needed; the warehouse's salt (drawn at first use)."""
    con.execute(SUPPRESSION_DDL)
    found = con.execute("select salt from audit.privacy_salt").fetchall()
    if found:
        return found[0][0]
    salt = secrets.token_hex(16)
    con.execute("insert into audit.privacy_salt values (?)", [salt])
    return salt


def active_salt(con: duckdb.DuckDBPyConnection) -> str | None:
    """The salt when anyone is suppressed, else None: the loader then skips matching."""
    if not table_exists(con, "audit", "suppression"):
        return None
    [(entries,)] = con.execute("select count(*) from audit.suppression").fetchall()
    if not entries:
        return None
    return con.execute("select salt from audit.privacy_salt").fetchall()[0][0]
