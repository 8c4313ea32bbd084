"""The loader's bookkeeping in audit: one load_log row per file version (rows landed = loaded +
quarantined), the quarantine and the set-aside values, and how the landing zone differs from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb

from sources.contract import LANDING_TABLES, LINEAGE_COLUMNS, LandingTable
from sources.landing import LandingFile, landing_file, table_files
from sources.readers import first_line, quote_ident, table_exists

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
create table if not exists audit.set_aside_values (
    load_id varchar not null,
    source_table varchar not null,
    source_file varchar not null,
    source_row bigint,
    column_name varchar not null,
    original_value varchar not null,
    reason varchar not null,
    set_aside_at timestamp not null
);
"""


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
    files_removed: list[str] = field(default_factory=list)  # retracted: gone from the landing zone
    # A digest of the file versions the raw table now holds: the same files, the same digest
    # (the asset's data version, so that a night with nothing new leaves downstream up to date).
    state: str = ""

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
        columns = [f"{quote_ident(c.name)} {c.type.value}" for c in table.columns]
        columns += [f"{name} {sql_type}" for name, sql_type in LINEAGE_COLUMNS.items()]
        con.execute(f"create table if not exists raw.{table.qualified_name} ({', '.join(columns)})")


@dataclass(frozen=True)
class FileChanges:
    """How a table's files in the landing zone differ from the file versions its raw rows
    come from."""

    pending: list[LandingFile]  # new, or re-delivered with other content
    unchanged: int
    removed: list[str]  # loaded earlier, no longer in the landing zone
    ignored: list[str]  # not a format the loader reads


def file_changes(
    con: duckdb.DuckDBPyConnection, landing_dir: Path, table: LandingTable
) -> FileChanges:
    """Compare the landing zone with audit.load_log (by path and content hash); writes nothing,
    so a read-only connection will do."""
    landing_dir = Path(landing_dir)
    loadable, ignored = table_files(landing_dir, table)
    current = current_hashes(con, table) if has_load_log(con) else {}
    pending, unchanged = [], 0
    for path in loadable:
        file = landing_file(landing_dir, path)
        if current.pop(file.relative, None) == file.digest:
            unchanged += 1
        else:
            pending.append(file)
    return FileChanges(
        pending=pending,
        unchanged=unchanged,
        removed=sorted(current),
        ignored=[p.relative_to(landing_dir).as_posix() for p in ignored],
    )


def current_hashes(con: duckdb.DuckDBPyConnection, table: LandingTable) -> dict[str, str]:
    """Path -> content hash of the file versions `table`'s raw rows come from."""
    return dict(
        con.execute(
            "select source_file, content_hash from audit.load_log "
            "where source_table = ? and superseded_at is null",
            [table.qualified_name],
        ).fetchall()
    )


def has_load_log(con: duckdb.DuckDBPyConnection) -> bool:
    return table_exists(con, "audit", "load_log")


def table_state(con: duckdb.DuckDBPyConnection, table: LandingTable) -> str:
    """A digest of the current file versions (path and content hash) of `table`'s raw rows."""
    [(state,)] = con.execute(
        "select sha256(coalesce(string_agg(source_file || '/' || content_hash, '|' "
        "order by source_file), '')) from audit.load_log "
        "where source_table = ? and superseded_at is null",
        [table.qualified_name],
    ).fetchall()
    return state


def forget_files(con: duckdb.DuckDBPyConnection, table: LandingTable, relatives: list[str]):
    """Take out everything the current versions of these files brought: before a re-delivery
    replaces them, or because they were removed from the landing zone."""
    con.execute(
        f"delete from raw.{table.qualified_name} where _source_file in (select unnest(?))",
        [relatives],
    )
    for audit_table in ("audit.quarantine", "audit.set_aside_values"):
        con.execute(
            f"delete from {audit_table} where source_table = ? "
            "and source_file in (select unnest(?))",
            [table.qualified_name, relatives],
        )
    con.execute(
        "update audit.load_log set superseded_at = now()::timestamp where source_table = ? "
        "and source_file in (select unnest(?)) and superseded_at is null",
        [table.qualified_name, relatives],
    )


def log_files(con: duckdb.DuckDBPyConnection, table: LandingTable) -> list[FileLoad]:
    """One audit.load_log row per file of the batch, counted from what was routed."""
    con.execute(
        """
        create or replace temp table batch_outcomes as
        with outcomes as (
            select _file, _reason as reason from routed
            union all
            select _file, reason from rejected
        ),
        per_file as (
            select
                _file,
                count(*) as landed,
                count(*) - count(reason) as loaded,
                count(reason) as quarantined,
                left(string_agg(distinct reason, '; '), 1000) as message
            from outcomes
            group by _file
        )
        select
            batch_files.*,
            coalesce(per_file.landed, 0) as landed,
            coalesce(per_file.loaded, 0) as loaded,
            coalesce(per_file.quarantined, 0) as quarantined,
            per_file.message
        from batch_files left join per_file using (_file)
        """
    )
    # The same version delivered again after another (A, B, A): its id is taken by history.
    con.execute(
        "delete from audit.load_log where superseded_at is not null "
        "and load_id in (select load_id from batch_outcomes)"
    )
    con.execute(
        """
        insert into audit.load_log
        select load_id, ?, relative, content_hash, file_format, file_bytes, landed, loaded,
            quarantined, case when landed > 0 then 'loaded' else 'empty' end, message,
            now()::timestamp, null
        from batch_outcomes
        """,
        [table.qualified_name],
    )
    return [
        FileLoad(relative, "loaded" if landed else "empty", landed, loaded, quarantined, message)
        for relative, landed, loaded, quarantined, message in con.execute(
            "select relative, landed, loaded, quarantined, message from batch_outcomes "
            "order by relative"
        ).fetchall()
    ]


def record_unreadable(
    con: duckdb.DuckDBPyConnection, table: LandingTable, file: LandingFile, error: duckdb.Error
) -> list[FileLoad]:
    """A file DuckDB cannot read at all: logged with zero rows and one quarantine record."""
    message = f"{file.format} file could not be read: {first_line(error)}"
    con.execute("begin transaction")
    try:
        forget_files(con, table, [file.relative])
        con.execute(
            "insert into audit.quarantine values (?, ?, ?, null, ?, null, now()::timestamp)",
            [file.load_id, table.qualified_name, file.relative, message],
        )
        con.execute(
            "delete from audit.load_log where superseded_at is not null and load_id = ?",
            [file.load_id],
        )
        con.execute(
            "insert into audit.load_log values "
            "(?, ?, ?, ?, ?, ?, 0, 0, 0, 'unreadable', ?, now()::timestamp, null)",
            [
                file.load_id,
                table.qualified_name,
                file.relative,
                file.digest,
                file.format,
                file.size,
                message,
            ],
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return [FileLoad(file.relative, "unreadable", 0, 0, 0, message)]


class LandingChanges(NamedTuple):
    pending: int  # landing files new to the warehouse, or re-delivered with other content
    removed: int  # files the warehouse holds rows of that have left the landing zone


def landing_changes(database: str, landing_dir: Path) -> LandingChanges | None:
    """How the landing zone differs from what the warehouse has loaded (sources.load_log's
    file_changes, every landing table), or None when the warehouse has loaded nothing yet (no
    file, or no load log).

    The sensor asks this on its first tick, when it has no fingerprint to compare with, so that
    a Dagster UI opened on a built warehouse starts no load for nothing. The file is opened
    read-only and only for the comparison; raises duckdb.Error when another process holds it
    for writing.
    """
    if not Path(database).is_file():
        return None
    with duckdb.connect(database, read_only=True) as con:
        if not has_load_log(con):
            return None
        changes = [file_changes(con, landing_dir, table) for table in LANDING_TABLES]
    return LandingChanges(
        pending=sum(len(change.pending) for change in changes),
        removed=sum(len(change.removed) for change in changes),
    )
