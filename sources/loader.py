"""Load landing-zone files into the raw schema of the warehouse, with nothing lost.

New and changed files of a table are read by DuckDB in batches of files that share a format (and,
for CSV, a header), into all-text temporary tables (sources/readers.py). Each record is then
either inserted, typed, into `raw.<source>__<table>` or written to `audit.quarantine` with its
reasons and original text; a detail value that does not type (a birth date "1961-02-30") is
set aside in `audit.set_aside_values` and its row loads without it. `audit.load_log` keeps one
row per file version, and rows_landed = rows_loaded + rows_quarantined for every one of them.

A file is identified by its path relative to the landing directory and its content hash: an
unchanged file is skipped, a changed file at the same path is a re-delivery that replaces the
rows (loaded and quarantined) of its earlier version, and a file removed from the landing zone
takes its rows (loaded and quarantined) out of the warehouse with it. Each batch loads in one
transaction, so a crash never leaves part of a file behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb

from privacy.keys import row_points_at_suppressed_sql, text_points_at_suppressed_sql
from privacy.landing import drop_records
from privacy.suppression import active_salt
from sources import readers
from sources.contract import LINEAGE_COLUMNS, Column, ColumnType, LandingTable
from sources.landing import LandingFile, csv_dialect
from sources.load_log import (
    FileLoad,
    TableLoad,
    current_hashes,
    ensure_warehouse,
    file_changes,
    forget_files,
    log_files,
    record_unreadable,
    table_state,
)
from sources.readers import quote_ident, quote_literal

# Files read together in one DuckDB statement: bounded so memory stays bounded at any scale.
BATCH_BYTES = 256 << 20
# How much of a bad value a quarantine reason quotes.
QUOTED_VALUE_LIMIT = 80
# The quarantine reason of a record of an erased person delivered again (privacy/).
SUPPRESSED = "suppressed"


def load_table(con: duckdb.DuckDBPyConnection, landing_dir: Path, table: LandingTable) -> TableLoad:
    """Load every new or changed file of `table` from the landing zone into raw, and retract the
    rows of files removed from it."""
    ensure_warehouse(con)
    con.execute("set TimeZone = 'UTC'")
    changes = file_changes(con, landing_dir, table)
    result = TableLoad(
        table=table.qualified_name,
        files_unchanged=changes.unchanged,
        files_ignored=changes.ignored,
        files_removed=changes.removed,
    )
    if changes.removed:
        con.execute("begin transaction")
        try:
            forget_files(con, table, changes.removed)
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    for batch in batches(changes.pending):
        result.files.extend(load_batch(con, table, batch))
    result.state = table_state(con, table)
    return result


def batches(files: list[LandingFile]) -> Iterator[list[LandingFile]]:
    """Consecutive files one DuckDB read can take: same format and CSV dialect, bounded bytes."""
    batch: list[LandingFile] = []
    signature, size = None, 0
    for file in files:
        file_signature = (file.format, csv_dialect(file.path) if file.format == "csv" else None)
        if batch and (file_signature != signature or size + file.size > BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(file)
        signature, size = file_signature, size + file.size
    if batch:
        yield batch


def load_batch(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    files: list[LandingFile],
    cut_suppressed: bool = True,
) -> list[FileLoad]:
    """Read the files, then in one transaction replace their earlier versions with this one."""
    # Read before the transaction opens: in DuckDB a failed statement aborts the transaction.
    try:
        present = read_files(con, files)
    except duckdb.Error as error:
        if len(files) > 1:  # isolate the unreadable file; the others load normally
            return [
                outcome
                for file in files
                for outcome in load_batch(con, table, [file], cut_suppressed)
            ]
        return record_unreadable(con, table, files[0], error)
    suppressed = suppressed_records(con, table, present)
    if suppressed and not cut_suppressed:  # never load them; never cut blindly twice
        raise RuntimeError(
            f"records of erased people remain in {', '.join(sorted(suppressed))} after they "
            "were cut; the file is left unloaded (docs/privacy.md)"
        )
    if suppressed:
        return load_without_suppressed(con, table, files, suppressed)
    con.execute("begin transaction")
    try:
        forget_files(con, table, [file.relative for file in files])
        outcomes = route_rows(con, table, files, present)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcomes


def suppressed_records(
    con: duckdb.DuckDBPyConnection, table: LandingTable, present: list[str]
) -> dict[str, set[int]]:
    """Records of the batch read that point at an erased person: file path -> row numbers."""
    salt = active_salt(con) if table.people else None
    test = salt and row_points_at_suppressed_sql("raw", table.qualified_name, present, salt)
    if not test:
        return {}
    in_broken_line = text_points_at_suppressed_sql(table.qualified_name, "original_row", salt)
    rows = con.execute(
        f"select _file, list(_source_row) from (select _file, _source_row from landed "
        f"where {test} union all select _file, _source_row from rejected "
        f"where {in_broken_line}) group by _file"
    )
    return {path: set(numbers) for path, numbers in rows.fetchall()}


def load_without_suppressed(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    files: list[LandingFile],
    suppressed: dict[str, set[int]],
) -> list[FileLoad]:
    """Erased people delivered again (a re-delivered export, a late event): their records are
    cut from the landing files first, so the landing zone never holds them again; then the
    batch loads as delivered without them, and each such file's load_log entry counts them as
    quarantined with reason `suppressed`, keeping nothing of them but the count. A re-delivery
    that is, once cut, what is loaded already is not loaded again."""
    current = current_hashes(con, table)
    cut, pending = {}, []
    for file in files:
        if str(file.path) in suppressed:
            drop_records(file.path, suppressed[str(file.path)])
            file = file.rescanned()
            cut[file.relative] = len(suppressed[str(file.path)])
        if current.get(file.relative) != file.digest:
            pending.append(file)
    loaded = load_batch(con, table, pending, cut_suppressed=False) if pending else []
    outcomes = {outcome.source_file: outcome for outcome in loaded}
    for relative, count in cut.items():
        record_suppressed(con, table, relative, count)
        before = outcomes.get(relative)
        outcomes[relative] = FileLoad(
            relative,
            before.status if before else "suppressed",
            (before.rows_landed if before else 0) + count,
            before.rows_loaded if before else 0,
            (before.rows_quarantined if before else 0) + count,
            f"{count} record(s) of erased people cut from the file (suppressed)",
        )
    return [outcomes[relative] for relative in sorted(outcomes)]


def record_suppressed(
    con: duckdb.DuckDBPyConnection, table: LandingTable, relative: str, count: int
) -> None:
    """`count` suppressed records on the file's current load_log entry (replacing any earlier
    count, so the same delivery twice is counted once): no row number, no text."""
    con.execute("begin transaction")
    try:
        [(load_id,)] = con.execute(
            "select load_id from audit.load_log where source_table = ? and source_file = ? "
            "and superseded_at is null",
            [table.qualified_name, relative],
        ).fetchall()
        con.execute(
            "delete from audit.quarantine where load_id = ? and reason = ?",
            [load_id, SUPPRESSED],
        )
        con.execute(
            "insert into audit.quarantine select ?, ?, ?, null, ?, null, now()::timestamp "
            "from range(?)",
            [load_id, table.qualified_name, relative, SUPPRESSED, count],
        )
        con.execute(
            "update audit.load_log set rows_quarantined = q.rows, "
            "rows_landed = rows_loaded + q.rows "
            "from (select count(*) as rows from audit.quarantine where load_id = $1) as q "
            "where load_id = $1",
            [load_id],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def read_files(con: duckdb.DuckDBPyConnection, files: list[LandingFile]) -> list[str]:
    """Read a batch into the temp tables `landed` and `rejected`; return the data columns."""
    paths = [str(file.path) for file in files]
    fmt = files[0].format
    dialect = csv_dialect(files[0].path) if fmt == "csv" else None
    if fmt == "csv" and dialect is None:  # empty file: nothing landed
        readers.reset(con)
        con.execute("create temp table landed (_file varchar, _source_row bigint)")
    elif fmt == "csv":
        readers.read_csv(con, paths, dialect)
    elif fmt == "parquet":
        readers.read_parquet(con, paths)
    else:
        readers.read_jsonl(con, paths)
    columns = [row[0] for row in con.execute("describe landed").fetchall()]
    return [c for c in columns if c not in ("_file", "_source_row")]


def route_rows(
    con: duckdb.DuckDBPyConnection,
    table: LandingTable,
    files: list[LandingFile],
    present: list[str],
) -> list[FileLoad]:
    """Insert valid rows, typed, into raw; quarantine the rest with every reason that applies."""
    raw_table = f"raw.{table.qualified_name}"
    extras = [c for c in present if c not in table.column_names and c not in LINEAGE_COLUMNS]
    for extra in extras:  # custom attributes are kept, never dropped
        con.execute(
            f"alter table {raw_table} add column if not exists {quote_ident(extra)} varchar"
        )

    con.execute(
        """
        create or replace temp table batch_files as
        select
            unnest(?) as _file, unnest(?) as relative, unnest(?) as load_id,
            unnest(?) as content_hash, unnest(?) as file_format, unnest(?)::bigint as file_bytes
        """,
        [
            [str(f.path) for f in files],
            [f.relative for f in files],
            [f.load_id for f in files],
            [f.digest for f in files],
            [f.format for f in files],
            [f.size for f in files],
        ],
    )
    con.execute(
        f"""
        create or replace temp table routed as
        select landed.*, batch_files.relative as _relative, batch_files.load_id as _load_id,
            {row_reasons_sql(table, present)} as _reason
        from landed inner join batch_files using (_file)
        """
    )
    original_row = (
        "json_object(" + ", ".join(f"{quote_literal(c)}, {quote_ident(c)}" for c in present) + ")"
        if present
        else "'{}'"
    )
    con.execute(
        f"""
        insert into audit.quarantine
        select _load_id, ?, _relative, _source_row, _reason, {original_row}::varchar,
            now()::timestamp
        from routed where _reason is not null
        union all
        select load_id, ?, relative, _source_row, reason, original_row, now()::timestamp
        from rejected inner join batch_files using (_file)
        """,
        [table.qualified_name] * 2,
    )
    for column in table.columns:
        if column.detail and column.type is not ColumnType.TEXT and column.name in present:
            name = quote_ident(column.name)
            con.execute(
                f"""
                insert into audit.set_aside_values
                select _load_id, ?, _relative, _source_row, ?, {name},
                    {invalid_value_reason(column)}, now()::timestamp
                from routed
                where _reason is null and {does_not_type(column)}
                """,
                [table.qualified_name, column.name],
            )
    typed = [
        f"{typed_value_sql(table.column(c).type, c)} as {quote_ident(c)}"
        for c in present
        if c in table.column_names
    ]
    lineage = [
        "_relative as _source_file",
        "_source_row",
        "_load_id",
        "now()::timestamp as _loaded_at",
    ]
    con.execute(
        f"insert into {raw_table} by name "
        f"select {', '.join(typed + [quote_ident(c) for c in extras] + lineage)} "
        "from routed where _reason is null"
    )
    return log_files(con, table)


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
    missing = [c for c in table.required_columns if c not in present]
    if missing:
        found = ", ".join(present) or "none"
        return quote_literal(f"missing required column(s): {', '.join(missing)} (found: {found})")
    checks = []
    for column in table.columns:
        if column.name not in present:
            continue
        name = quote_ident(column.name)
        if column.required:
            checks.append(
                f"case when nullif(trim({name}), '') is null then '{column.name} is missing' end"
            )
        if column.type is not ColumnType.TEXT and not column.detail:
            checks.append(
                f"case when {does_not_type(column)} then {invalid_value_reason(column)} end"
            )
    if not checks:
        return "null"
    return f"nullif(concat_ws('; ', {', '.join(checks)}), '')"


def does_not_type(column: Column) -> str:
    """SQL that is true when the row has a value of `column` that is not of its type."""
    name = quote_ident(column.name)
    return (
        f"nullif(trim({name}), '') is not null "
        f"and {typed_value_sql(column.type, column.name)} is null"
    )


def invalid_value_reason(column: Column) -> str:
    """SQL for why the row's value of `column` is not of its type, quoting (part of) it."""
    name = quote_ident(column.name)
    return (
        f"'{column.name}: \"' || left({name}, {QUOTED_VALUE_LIMIT}) || '\"'"
        f" || ' is not a valid {column.type.name.lower()}'"
    )
