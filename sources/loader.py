"""Load landing-zone files into the raw schema of the warehouse, with nothing lost.

Every file is read by DuckDB itself (no row-by-row Python) into a temporary all-text table, then
each row is either inserted, typed, into `raw.<source>__<table>` or written to `audit.quarantine`
with the reason and the original row. `audit.load_log` keeps one row per file version, and
rows_landed = rows_loaded + rows_quarantined for every one of them.

A file is identified by its path relative to the landing directory and its content hash: an
unchanged file is skipped, a changed file at the same path is a re-delivery that replaces the rows
(loaded and quarantined) that came from its earlier version. Each file loads in one transaction,
so a crash never leaves half a file behind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contract import (
    FILE_FORMATS,
    LANDING_TABLES,
    LINEAGE_COLUMNS,
    ColumnType,
    LandingTable,
)

AUDIT_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create table if not exists audit.load_log (
    load_id varchar primary key,
    source_table varchar not null,
    source_file varchar not null,
    content_hash varchar not null,
    file_format varchar not null,
    file_bytes bigint not null,
    rows_landed bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    status varchar not null,
    message varchar,
    loaded_at timestamp not null,
    superseded_at timestamp
);
create table if not exists audit.quarantine (
    load_id varchar not null,
    source_table varchar not null,
    source_file varchar not null,
    source_row bigint,
    reason varchar not null,
    original_row varchar,
    quarantined_at timestamp not null
);
"""

# How far into a bad value a quarantine reason quotes it.
QUOTED_VALUE_LIMIT = 80


@dataclass(frozen=True)
class FileLoad:
    """What happened to one file: the row accounting of its audit.load_log entry."""

    source_file: str
    status: str  # loaded | empty | unreadable
    rows_landed: int
    rows_loaded: int
    rows_quarantined: int
    message: str | None = None


@dataclass
class TableLoad:
    """What one load of a landing table did, for asset metadata and the CLI summary."""

    table: str
    files: list[FileLoad] = field(default_factory=list)
    files_unchanged: int = 0
    files_ignored: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit schemas and every raw table, so absent sources are empty tables."""
    con.execute(AUDIT_DDL)
    for table in LANDING_TABLES:
        columns = [f'"{c.name}" {c.type.value}' for c in table.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        con.execute(f"create table if not exists raw.{table.qualified_name} ({', '.join(columns)})")


def table_files(landing_dir: Path, table: LandingTable) -> tuple[list[Path], list[Path]]:
    """Files of one table, in load order (path order, so daily files load chronologically).

    Returns (loadable, ignored). Hidden entries and folders starting with `_` (such as the
    simulator's `_truth`) are skipped silently; other files with an unknown extension are
    returned as ignored so the caller can warn about them.
    """
    folder = landing_dir / table.source / table.name
    if not folder.is_dir():
        return [], []
    loadable, ignored = [], []
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if not path.is_file() or any(part.startswith((".", "_")) for part in parts):
            continue
        (loadable if file_format(path) else ignored).append(path)
    return loadable, ignored


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return suffix if suffix in FILE_FORMATS else None


def content_hash(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def load_table(con: duckdb.DuckDBPyConnection, landing_dir: Path, table: LandingTable) -> TableLoad:
    """Load every new or changed file of `table` from the landing zone into raw."""
    ensure_warehouse(con)
    con.execute("set TimeZone = 'UTC'")
    landing_dir = Path(landing_dir)
    result = TableLoad(table=table.qualified_name)
    loadable, ignored = table_files(landing_dir, table)
    result.files_ignored = [p.relative_to(landing_dir).as_posix() for p in ignored]
    current = dict(
        con.execute(
            "select source_file, content_hash from audit.load_log "
            "where source_table = ? and superseded_at is null",
            [table.qualified_name],
        ).fetchall()
    )
    for path in loadable:
        relative = path.relative_to(landing_dir).as_posix()
        digest = content_hash(path)
        if current.get(relative) == digest:
            result.files_unchanged += 1
            continue
        result.files.append(load_file(con, table, path, relative, digest))
    return result


def load_file(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    path: Path,
    relative: str,
    digest: str,
) -> FileLoad:
    """Load one file version in a single transaction, replacing any earlier version's rows."""
    load_id = hashlib.sha256(f"{relative}\0{digest}".encode()).hexdigest()[:20]
    fmt = file_format(path)
    # Read before the transaction opens: in DuckDB a failed statement aborts the transaction.
    try:
        read_into_landed(con, path, fmt)
        unreadable = None
    except duckdb.Error as error:
        unreadable = f"{fmt} file could not be read: {first_line(error)}"
    con.execute("begin transaction")
    try:
        forget_file(con, table, relative)
        if unreadable:
            outcome = FileLoad(relative, "unreadable", 0, 0, 0, unreadable)
            con.execute(
                "insert into audit.quarantine values (?, ?, ?, null, ?, null, now()::timestamp)",
                [load_id, table.qualified_name, relative, unreadable],
            )
        else:
            outcome = route_landed_rows(con, table, relative, load_id)
        con.execute(
            "insert into audit.load_log values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp, null)",
            [
                load_id,
                table.qualified_name,
                relative,
                digest,
                fmt,
                path.stat().st_size,
                outcome.rows_landed,
                outcome.rows_loaded,
                outcome.rows_quarantined,
                outcome.status,
                outcome.message,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcome


def forget_file(con: duckdb.DuckDBPyConnection, table: LandingTable, relative: str) -> None:
    """A re-delivered file replaces everything its earlier version brought."""
    con.execute(f"delete from raw.{table.qualified_name} where _source_file = ?", [relative])
    con.execute(
        "delete from audit.quarantine where source_table = ? and source_file = ?",
        [table.qualified_name, relative],
    )
    con.execute(
        "update audit.load_log set superseded_at = now()::timestamp "
        "where source_table = ? and source_file = ? and superseded_at is null",
        [table.qualified_name, relative],
    )


def read_into_landed(con: duckdb.DuckDBPyConnection, path: Path, fmt: str) -> None:
    """Read a file into temp tables `landed` (all text + _source_row) and `rejected`.

    `rejected` holds rows DuckDB could not split into fields (source_row, original_row,
    reason). Raises duckdb.Error if the file as a whole is unreadable.
    """
    for temp in ("landed", "landed_text", "rejected", "jsonl_lines", "csv_rejects"):
        con.execute(f"drop table if exists {temp}")
    con.execute("drop table if exists csv_reject_scans")
    con.execute(
        "create temp table rejected (source_row bigint, original_row varchar, reason varchar)"
    )
    source = str(path)
    if path.stat().st_size == 0:
        con.execute("create temp table landed (_source_row bigint)")
        return
    if fmt == "csv":
        read_csv(con, source)
    elif fmt == "parquet":
        con.execute("create temp table landed_text as select * from read_parquet(?)", [source])
        cast_all_to_text(con)
    else:
        read_jsonl(con, source)
    normalise_column_names(con)


def read_csv(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """DuckDB sniffs dialect and header; every field stays text so nothing fails to cast here.

    Lines that cannot be split into the sniffed columns land in DuckDB's reject tables; we keep
    them, with their line number, as quarantined rows.
    """
    con.execute(
        "create temp table landed_text as select * from read_csv(?, all_varchar = true, "
        "header = true, store_rejects = true, rejects_table = 'csv_rejects', "
        "rejects_scan = 'csv_reject_scans')",
        [source],
    )
    con.execute(
        """
        insert into rejected
        select
            line,
            any_value(csv_line),
            string_agg(distinct error_type || ': ' || error_message, '; ')
        from csv_rejects
        group by line
        """
    )
    con.execute("drop table if exists csv_rejects")
    con.execute("drop table if exists csv_reject_scans")
    cast_all_to_text(con)


def read_jsonl(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """One JSON object per line; a broken line is quarantined, its neighbours still load."""
    con.execute(
        """
        create temp table jsonl_lines as
        with split as (
            select unnest(string_split(content, chr(10))) as line,
                   generate_subscripts(string_split(content, chr(10)), 1) as source_row
            from read_text(?)
        )
        select
            source_row,
            rtrim(line, chr(13)) as line,
            -- CASE keeps json_type away from lines that are not JSON at all
            coalesce(case when json_valid(line) then json_type(line) = 'OBJECT' end, false)
                as is_object
        from split
        where trim(line) <> ''
        """,
        [source],
    )
    con.execute(
        """
        insert into rejected
        select source_row, line, 'not a JSON object'
        from jsonl_lines
        where not is_object
        """
    )
    keys = [
        row[0]
        for row in con.execute(
            """
            with keys as (
                select unnest(json_keys(line)) as key, source_row from jsonl_lines where is_object
            )
            select key from keys group by key order by min(source_row), key
            """
        ).fetchall()
    ]
    selects = ", ".join(
        f"line::json ->> {quote_literal(key)} as {quote_ident(key)}" for key in keys
    )
    con.execute(
        f"""
        create temp table landed as
        select source_row as _source_row{", " + selects if selects else ""}
        from jsonl_lines
        where is_object
        order by source_row
        """
    )
    con.execute("drop table jsonl_lines")


def cast_all_to_text(con: duckdb.DuckDBPyConnection) -> None:
    """landed_text -> landed: every column as text, plus the row's position in the file."""
    columns = [row[0] for row in con.execute("describe landed_text").fetchall()]
    casts = ", ".join(f"{quote_ident(c)}::varchar as {quote_ident(c)}" for c in columns)
    # rowid follows insertion order, which DuckDB keeps equal to the file's row order.
    con.execute(
        f"create temp table landed as select rowid + 1 as _source_row, {casts} "
        "from landed_text order by rowid"
    )
    con.execute("drop table landed_text")


def normalise_column_names(con: duckdb.DuckDBPyConnection) -> None:
    """Headers become snake_case (`Lead Source` -> `lead_source`); clashes get a suffix."""
    seen: set[str] = {"_source_row"}
    for (name,) in con.execute("select column_name from (describe landed)").fetchall():
        if name == "_source_row":
            continue
        clean = re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")
        clean = clean or "column"
        candidate, n = clean, 1
        while candidate in seen:
            n += 1
            candidate = f"{clean}_{n}"
        seen.add(candidate)
        if candidate != name:
            con.execute(f"alter table landed rename column {quote_ident(name)} to {candidate}")


def route_landed_rows(
    con: duckdb.DuckDBPyConnection, table: LandingTable, relative: str, load_id: str
) -> FileLoad:
    """Insert valid rows, typed, into raw; quarantine the rest with every reason that applies."""
    columns = [r[0] for r in con.execute("select column_name from (describe landed)").fetchall()]
    present = [c for c in columns if c != "_source_row"]
    missing = [c for c in table.required_columns if c not in present]
    extras = [c for c in present if c not in table.column_names and c not in LINEAGE_COLUMNS]
    raw_table = f"raw.{table.qualified_name}"

    for extra in extras:  # custom attributes are kept, never dropped
        con.execute(
            f"alter table {raw_table} add column if not exists {quote_ident(extra)} varchar"
        )

    if missing:
        file_problem = f"missing required column(s): {', '.join(missing)}"
        file_problem += f" (columns found: {', '.join(present) or 'none'})"
        reason_sql = quote_literal(file_problem)
    else:
        reason_sql = row_reasons_sql(table, present)

    con.execute(
        f"create or replace temp table routed as select *, {reason_sql} as _reason from landed"
    )
    original_row = (
        "json_object("
        + ", ".join(f"{quote_literal(c)}, {quote_ident(c)}" for c in present)
        + ")::varchar"
        if present
        else "null"
    )
    con.execute(
        f"""
        insert into audit.quarantine
        select ?, ?, ?, _source_row, _reason, {original_row}, now()::timestamp
        from routed where _reason is not null
        union all
        select ?, ?, ?, source_row, reason, original_row, now()::timestamp from rejected
        """,
        [load_id, table.qualified_name, relative] * 2,
    )

    typed = [
        f"{typed_value_sql(table.column(c).type, c)} as {quote_ident(c)}"
        for c in present
        if c in table.column_names
    ]
    extra_values = [quote_ident(c) for c in extras]
    lineage = [
        f"{quote_literal(relative)} as _source_file",
        "_source_row",
        f"{quote_literal(load_id)} as _load_id",
        "now()::timestamp as _loaded_at",
    ]
    con.execute(
        f"insert into {raw_table} by name select {', '.join(typed + extra_values + lineage)} "
        "from routed where _reason is null order by _source_row"
    )
    loaded, quarantined = con.execute(
        "select count(*) - count(_reason), count(_reason) from routed"
    ).fetchone()
    quarantined += con.execute("select count(*) from rejected").fetchone()[0]
    status = "loaded" if loaded + quarantined else "empty"
    message = None
    if quarantined:
        message = con.execute(
            "select string_agg(distinct _reason, '; ') from (select _reason from routed "
            "where _reason is not null union all select reason from rejected) limit 1"
        ).fetchone()[0]
    return FileLoad(relative, status, loaded + quarantined, loaded, quarantined, message)


def typed_value_sql(column_type: ColumnType, column: str) -> str:
    """SQL turning the text of `column` into its contract type; blank text is a null."""
    text = f"nullif(trim({quote_ident(column)}), '')"
    if column_type is ColumnType.TEXT:
        return quote_ident(column)
    if column_type is ColumnType.TIMESTAMP:
        # Parsed as timestamptz so an explicit zone is honoured; no zone means UTC.
        return f"try_cast({text} as timestamptz)::timestamp"
    if column_type is ColumnType.INTEGER:
        # DuckDB would round '2.5' to 3; a count with a fraction is an error, not a rounding.
        return f"case when try_cast({text} as double) % 1 = 0 then try_cast({text} as bigint) end"
    return f"try_cast({text} as {column_type.value})"


def row_reasons_sql(table: LandingTable, present: list[str]) -> str:
    """One SQL expression: null for a valid row, else every problem of the row, joined."""
    checks = []
    for column in table.columns:
        if column.name not in present:
            continue
        name = quote_ident(column.name)
        if column.required:
            checks.append(
                f"case when nullif(trim({name}), '') is null then '{column.name} is missing' end"
            )
        if column.type is not ColumnType.TEXT:
            checks.append(
                f"case when nullif(trim({name}), '') is not null "
                f"and {typed_value_sql(column.type, column.name)} is null "
                f"then '{column.name}: ' || "
                f"'\"' || left({name}, {QUOTED_VALUE_LIMIT}) || '\"'"
                f" || ' is not a valid {column.type.name.lower()}' end"
            )
    if not checks:
        return "null"
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
