"""Erase people: resolve what was asked to every record of theirs, put them on the suppression
list, then take them out of the landing zone, raw and every table built from it.

1. `resolve` (privacy/resolve.py) reads the identity map for every record of theirs.
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
from privacy.keys import row_points_at_suppressed_sql, text_points_at_suppressed_sql
from privacy.landing import drop_records
from privacy.resolve import Resolution
from privacy.suppression import ensure_suppression, hash_sql, is_suppressed_sql, matching_form_sql
from sources.contract import LANDING_TABLES, LandingTable
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
