"""Erase people: resolve what was asked to every record of theirs, put them on the suppression
list, then take them out of the landing zone, raw and every table built from it.

1. `resolve` reads the identity map: an email, a phone, a unified customer id or a source key
   (`crm__contacts:CRM-0100001`) leads to the customers it belongs to, then to all of their
   source records, their orders, and their emails and phones (an email several people share,
   such as a family's, stays unless it was asked for by name). Nothing is changed, and an
   identifier that leads nowhere stops everything with "not found".
2. `suppress` adds the salted hashes of all of those to `audit.suppression`.
3. `erase_at_source` works from the suppression list alone, so an interrupted erasure finishes
   when run again: each landing file holding a suppressed record is rewritten without it, and its
   raw rows, quarantine and set-aside entries go in one transaction, with the file's load_log
   entry, row numbers and load id made those of the rewritten file, as if it had been delivered
   without the person. The original file's hash is kept in the erasure receipt.
4. `sweep` deletes every row that points at a suppressed person from every other table
   (identity, staging, marts, ML, snapshots, dbt test failures), and redacts the identifiers in
   the quality results' examples.

Then a full build recomputes aggregates, models, the BI snapshot and the reports without them
(`binesh erase` does it), and verify.py looks for any trace.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from privacy.artefacts import REDACTED
from privacy.keys import (
    identifier_kind_sql,
    row_points_at_suppressed_sql,
    text_points_at_suppressed_sql,
)
from privacy.landing import drop_records
from privacy.suppression import (
    CUSTOMER,
    active_salt,
    ensure_suppression,
    hash_sql,
    is_suppressed_sql,
    matching_form_sql,
)
from sources.contract import EMAIL, LANDING_TABLES, PHONE, LandingTable, landing_table
from sources.landing import landing_file
from sources.readers import quote_ident, quote_literal, table_exists

ERASURES_DDL = """
create table if not exists audit.erasures (
    erasure_id varchar primary key,
    requested_at timestamp not null,
    request_hash varchar not null,
    identifiers_requested bigint not null,
    people bigint not null,
    identifiers_suppressed bigint not null,
    status varchar not null,
    found varchar,
    completed_at timestamp
);
"""
# Audit tables of the loader, handled file by file in erase_at_source; the privacy tables.
SOURCE_AUDIT = ("load_log", "quarantine", "set_aside_values")
PRIVACY_TABLES = ("suppression", "privacy_salt", "erasures")
# Quality results quote failing values in their examples and summaries: redacted, not deleted.
QUALITY_RESULTS = "quality_results"


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
    has_identity = table_exists(con, "marts", "customer_identity_map") and table_exists(
        con, "intermediate", "int_identity__identifiers"
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
        inner join intermediate.identity_clusters as c using (record_id)
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
        "source_key from intermediate.identity_clusters where customer_id in (select unnest(?))",
        [customers],
    )
    shared = (
        "select identifier_value from intermediate.identity_shared_identifiers where people > 1"
        if table_exists(con, "intermediate", "identity_shared_identifiers")
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
            inner join intermediate.identity_clusters as c using (record_id)
            where r.first_name is not null and r.last_name is not null
            group by all
            having bool_and(c.customer_id in (select unnest(?)))
            """,
            [customers],
        ).fetchall()
    )


def suppress(con: duckdb.DuckDBPyConnection, resolution: Resolution) -> str:
    """Put everything resolved on the suppression list and open the erasure's receipt; returns
    the erasure id. The receipt holds counts and a salted hash of the request, nothing else."""
    salt = ensure_suppression(con)
    con.execute(ERASURES_DDL)
    kinds, values = zip(
        *[(kind, value) for kind, found in resolution.identifiers.items() for value in found],
        strict=True,
    )
    request = "\n".join(sorted(resolution.requested))
    erasure_id = hashlib.sha256(f"{salt}{request}".encode()).hexdigest()[:16]
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace temp table erase_identifiers as "
            "select unnest(?) as kind, unnest(?) as value",
            [list(kinds), list(values)],
        )
        con.execute(
            f"""
            insert or ignore into audit.suppression
            select distinct kind, {hash_sql("kind", "value", salt)}, ?, now()::timestamp
            from erase_identifiers where {matching_form_sql("kind", "value")} is not null
            """,
            [erasure_id],
        )
        con.execute(
            "insert or ignore into audit.erasures values "
            "(?, now()::timestamp, sha256(? || ?), ?, ?, ?, 'suppressed', null, null)",
            [
                erasure_id,
                salt,
                request,
                len(resolution.requested),
                len(resolution.customers),
                resolution.count,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return erasure_id


@dataclass
class SourceErasure:
    """What erase_at_source took out, by place; counts only."""

    files_rewritten: list[dict] = field(default_factory=list)  # path, original and new hash
    raw_rows: dict[str, int] = field(default_factory=dict)
    quarantine_rows: int = 0
    set_aside_values: int = 0


def erase_at_source(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> SourceErasure:
    """Rewrite every landing file holding a suppressed record without it, and take its rows out
    of raw and the loader's audit tables; a line too broken to parse (kept whole in
    quarantine) goes too when one of its words is a suppressed identifier."""
    salt = ensure_suppression(con)
    result = SourceErasure()
    for table in LANDING_TABLES:
        if table.people and table_exists(con, "raw", table.qualified_name):
            erase_table_at_source(con, Path(landing_dir), table, salt, result)
    return result


def erase_table_at_source(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    table: LandingTable,
    salt: str,
    result: SourceErasure,
) -> None:
    raw = f"raw.{table.qualified_name}"
    columns = [row[0] for row in con.execute(f"describe {raw}").fetchall()]
    in_raw = row_points_at_suppressed_sql("raw", table.qualified_name, columns, salt)
    # a line too broken to parse is kept as its text, not as a JSON object of its fields
    parsed_row = "case when json_valid(original_row) then original_row else '{}' end"
    in_quarantine = " or ".join(
        is_suppressed_sql(
            quote_literal(kind),
            f"json_extract_string({parsed_row}, {quote_literal('$.' + c)})",
            salt,
        )
        for c, kind in table.people
    )
    broken_line = text_points_at_suppressed_sql(table.qualified_name, "original_row", salt)
    con.execute(
        f"""
        create or replace temp table erase_rows as
        select _source_file as source_file, _source_row as source_row, true as in_raw
        from {raw} where {in_raw}
        union all
        select source_file, source_row, false
        from audit.quarantine
        where source_table = ? and source_row is not null and (
            {in_quarantine} or (not json_valid(original_row) and {broken_line}))
        """,
        [table.qualified_name],
    )
    files = con.execute(
        "select source_file, list(source_row), count(*) filter (where in_raw), "
        "count(*) filter (where not in_raw) from erase_rows group by source_file "
        "order by source_file"
    ).fetchall()
    for relative, rows, raw_rows, quarantined in files:
        rewrite_file(con, landing_dir, table, relative, set(rows), raw_rows, quarantined, result)


def rewrite_file(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    table: LandingTable,
    relative: str,
    rows: set[int],
    raw_rows: int,
    quarantined: int,
    result: SourceErasure,
) -> None:
    """Rewrite one file without `rows`, then make the warehouse hold what a load of the new file
    would: its rows renumbered, its load id and hash those of the new content."""
    [(load_id, content_hash)] = con.execute(
        "select load_id, content_hash from audit.load_log "
        "where source_table = ? and source_file = ? and superseded_at is null",
        [table.qualified_name, relative],
    ).fetchall()
    path = landing_dir / relative
    rewritten = None
    if path.is_file() and landing_file(landing_dir, path).digest == content_hash:
        drop_records(path, rows)
        rewritten = landing_file(landing_dir, path)
    # else: the file is gone or already rewritten by an interrupted erasure (the next load
    # replaces its rows from what is on disk now); its rows still go.
    new_id = rewritten.load_id if rewritten else load_id
    shift = "(select count(*) from erase_file_rows as r where r.source_row < {row})"  # rows before
    con.execute("begin transaction")
    try:
        con.execute(
            "create or replace temp table erase_file_rows as select unnest(?) as source_row",
            [sorted(rows)],
        )
        raw = f"raw.{table.qualified_name}"
        con.execute(
            f"delete from {raw} where _source_file = ? and _source_row in "
            "(select source_row from erase_file_rows)",
            [relative],
        )
        con.execute(
            f"update {raw} set _source_row = _source_row - {shift.format(row=raw + '._source_row')}"
            ", _load_id = ? where _source_file = ?",
            [new_id, relative],
        )
        for audit in ("audit.quarantine", "audit.set_aside_values"):
            [(gone,)] = con.execute(
                f"select count(*) from {audit} where source_table = ? and source_file = ? "
                "and source_row in (select source_row from erase_file_rows)",
                [table.qualified_name, relative],
            ).fetchall()
            if audit == "audit.set_aside_values":
                result.set_aside_values += gone
            con.execute(
                f"delete from {audit} where source_table = ? and source_file = ? "
                "and source_row in (select source_row from erase_file_rows)",
                [table.qualified_name, relative],
            )
            con.execute(
                f"update {audit} set source_row = source_row - "
                f"{shift.format(row=audit + '.source_row')}, load_id = ? "
                "where source_table = ? and source_file = ? and source_row is not null",
                [new_id, table.qualified_name, relative],
            )
        con.execute(  # an earlier delivery of the rewritten content is history
            "delete from audit.load_log where load_id = ? and superseded_at is not null",
            [new_id],
        )
        con.execute(
            "update audit.load_log set load_id = ?, content_hash = coalesce(?, content_hash), "
            "file_bytes = coalesce(?, file_bytes), rows_landed = rows_landed - ?, "
            "rows_loaded = rows_loaded - ?, rows_quarantined = rows_quarantined - ? "
            "where load_id = ?",
            [
                new_id,
                rewritten.digest if rewritten else None,
                rewritten.size if rewritten else None,
                raw_rows + quarantined,
                raw_rows,
                quarantined,
                load_id,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.raw_rows[table.qualified_name] = result.raw_rows.get(table.qualified_name, 0) + raw_rows
    result.quarantine_rows += quarantined
    if rewritten:
        result.files_rewritten.append(
            {"file": relative, "original_hash": content_hash, "rewritten_hash": rewritten.digest}
        )


def sweep(con: duckdb.DuckDBPyConnection, plain: set[str] = frozenset()) -> dict[str, int]:
    """Delete every row pointing at a suppressed person from every table but raw and the
    loader's audit tables; redact `plain` identifiers quoted in the quality results."""
    salt = ensure_suppression(con)
    deleted = {}
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = current_database() and schema_name <> 'raw' "
        "order by schema_name, table_name"
    ).fetchall()
    for schema, table in tables:
        if schema == "audit" and table in SOURCE_AUDIT + PRIVACY_TABLES + (QUALITY_RESULTS,):
            continue
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = ? and "
                "table_name = ? and database_name = current_database()",
                [schema, table],
            ).fetchall()
        ]
        test = row_points_at_suppressed_sql(schema, table, columns, salt)
        if not test:
            continue
        name = f"{quote_ident(schema)}.{quote_ident(table)}"
        [(count,)] = con.execute(f"delete from {name} where {test}").fetchall()
        if count:
            deleted[f"{schema}.{table}"] = count
    if plain and table_exists(con, "audit", QUALITY_RESULTS):
        if redacted := redact_quality_results(con, plain):
            deleted["audit.quality_results (redacted)"] = redacted
    return deleted


def redact_quality_results(con: duckdb.DuckDBPyConnection, plain: set[str]) -> int:
    """Replace each identifier quoted in a quality result's text by [erased]; rows redacted."""
    columns = [
        name
        for name, data_type in con.execute(
            "select column_name, data_type from duckdb_columns() where schema_name = 'audit' "
            "and table_name = ? and database_name = current_database()",
            [QUALITY_RESULTS],
        ).fetchall()
        if data_type == "VARCHAR"
    ]
    pattern = "(?i)(" + "|".join(re.escape(value) for value in sorted(plain)) + ")"
    where = " or ".join(f"regexp_matches({quote_ident(c)}, ?)" for c in columns)
    sets = ", ".join(
        f"{quote_ident(c)} = regexp_replace({quote_ident(c)}, ?, '{REDACTED.decode()}', 'g')"
        for c in columns
    )
    [(count,)] = con.execute(
        f"update audit.{QUALITY_RESULTS} set {sets} where {where}",
        [pattern] * (2 * len(columns)),
    ).fetchall()
    return count


def close_receipt(
    con: duckdb.DuckDBPyConnection,
    erasure_id: str,
    source: SourceErasure,
    swept: dict,
    traces: dict[str, int],
    postgres: dict | None = None,
) -> None:
    """Record what was found where (counts and file hashes only), what was done to the
    PostgreSQL copy, what verify found after, and when it was done."""
    found = {
        "postgres_copy": postgres,
        "traces_after": traces,
        "landing_files_rewritten": source.files_rewritten,
        "raw_rows": source.raw_rows,
        "quarantine_rows": source.quarantine_rows,
        "set_aside_values": source.set_aside_values,
        "other_tables": swept,
    }
    con.execute(
        "update audit.erasures set status = ?, found = ?, completed_at = ? where erasure_id = ?",
        [
            "erased" if not traces else "traces remain",
            json.dumps(found, sort_keys=True),
            datetime.now(UTC).replace(tzinfo=None),
            erasure_id,
        ],
    )
