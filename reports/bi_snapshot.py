"""The BI snapshot: the warehouse's BI-facing tables, copied after each run into files that BI
tools open read-only while the next run writes the warehouse.

    <directory>/binesh_bi.duckdb   one DuckDB file that DuckDB 1.x drivers open (storage v1.0.0)
    <directory>/parquet            a symlink to parquet-<version>/: <schema>/<table>.parquet

Both are written under names no reader uses, then swapped in with one rename each (os.replace),
so a reader opens either the previous snapshot or the new one, never a half-written file, and
never takes the warehouse's lock. docs/bi.md tells BI users what they see during a swap.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

DATABASE_FILE = "binesh_bi.duckdb"
PARQUET_LINK = "parquet"
PARQUET_VERSION_PREFIX = "parquet-"
# DuckDB 2.0 writes storage format v2 by default, which DuckDB 1.x (most BI drivers) cannot open.
# The v1.0.0 format (storage number 64) opens in every DuckDB from 0.10 to 1.4 and later; v1.4.0
# (number 67) would shut out the many drivers that still embed DuckDB 1.0 to 1.3.
STORAGE_VERSION = "v1.0.0"

# The public marts (reports/contract.py), every ML table, and the audit tables that say how
# fresh and how clean the data is. marts.dim_customers holds names, emails, phones and streets
# (docs/warehouse.md, "Personal data"): it stays in the warehouse; every other mart identifies
# people by customer_id only.
ML_SCHEMA = "ml"
PUBLISHED_AUDIT_TABLES = ("audit.load_log", "audit.quality_results")
PERSONAL_DATA_TABLES = ("marts.dim_customers",)
# main.snapshot_tables in the snapshot (and snapshot_tables.parquet): what it holds and when.
CONTENTS_TABLE = "snapshot_tables"

ATTACH_ALIAS = "binesh_bi_snapshot"


@dataclass(frozen=True)
class BiSnapshot:
    """A published snapshot: where it is and what it holds."""

    database: Path  # <directory>/binesh_bi.duckdb
    parquet: Path  # <directory>/parquet, the link BI tools read through
    parquet_version: Path  # the folder the link points to since this publication
    tables: dict[str, int]  # "schema.table" -> rows, in the order published
    published_at: datetime  # UTC

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def tables_to_publish(con: duckdb.DuckDBPyConnection, marts: Iterable[str]) -> list[str]:
    """The tables the snapshot carries, as sorted "schema.table": the given public marts (all
    of which must exist) but those with personal data, every table in schema ml, and the
    audit tables that exist."""
    wanted_marts = sorted({f"marts.{name}" for name in marts} - set(PERSONAL_DATA_TABLES))
    present = {
        name
        for (name,) in con.execute(
            """
            select table_schema || '.' || table_name
            from information_schema.tables
            where table_catalog = current_database()
            """
        ).fetchall()
    }
    if not wanted_marts:
        raise ValueError("no public marts to publish")
    missing = [name for name in wanted_marts if name not in present]
    if missing:
        raise ValueError(
            f"public marts missing from the warehouse: {', '.join(missing)}; build them first "
            "(binesh run)"
        )
    ml_tables = [name for name in present if name.startswith(f"{ML_SCHEMA}.")]
    audit_tables = [name for name in PUBLISHED_AUDIT_TABLES if name in present]
    return sorted([*wanted_marts, *ml_tables, *audit_tables])


def publish_bi_snapshot(
    con: duckdb.DuckDBPyConnection, directory: Path, marts: Iterable[str]
) -> BiSnapshot:
    """Copy the BI-facing tables (`marts`: the public marts' names; see tables_to_publish) from
    the warehouse `con` is connected to into `directory`.

    `con` is the caller's own warehouse connection (the run's single writer): the warehouse is
    read in one transaction, so every table comes from the same state. Nothing a reader can see
    changes until both the DuckDB file and the Parquet folder are complete; on any failure the
    previous snapshot stays as it was.
    """
    tables = tables_to_publish(con, marts)
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / PARQUET_LINK
    if link.exists() and not link.is_symlink():
        raise FileExistsError(
            f"{link} must be a symbolic link to the current Parquet version; move it away"
        )

    published_at = datetime.now(UTC).replace(tzinfo=None)
    version = f"{published_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    staged_database = directory / f".{DATABASE_FILE}.{version}.tmp"
    parquet_version = directory / f"{PARQUET_VERSION_PREFIX}{version}"
    try:
        counts = write_snapshot_database(con, tables, staged_database, published_at)
        write_parquet_version(con, staged_database, counts, parquet_version)
    except BaseException:
        remove_staged(staged_database)
        shutil.rmtree(parquet_version, ignore_errors=True)
        raise

    # The swap: one rename for the database, one for the link. A reader that opened the old
    # database keeps reading it (its open file survives the rename) until it reconnects.
    os.replace(staged_database, directory / DATABASE_FILE)
    previous_version = os.readlink(link) if link.is_symlink() else None
    staged_link = directory / f".{PARQUET_LINK}.{version}.tmp"
    os.symlink(parquet_version.name, staged_link)  # relative: the folder may move as a whole
    os.replace(staged_link, link)
    prune_parquet_versions(directory, keep={parquet_version.name, previous_version})

    return BiSnapshot(
        database=directory / DATABASE_FILE,
        parquet=link,
        parquet_version=parquet_version,
        tables=counts,
        published_at=published_at,
    )


def write_snapshot_database(
    con: duckdb.DuckDBPyConnection, tables: list[str], path: Path, published_at: datetime
) -> dict[str, int]:
    """Write `tables` from the warehouse into a new DuckDB file at `path`; rows per table."""
    con.execute(
        f"attach {sql_string(path)} as {ATTACH_ALIAS} (storage_version '{STORAGE_VERSION}')"
    )
    try:
        con.execute("begin transaction")
        try:
            for name in tables:
                schema, table = name.split(".")
                con.execute(f'create schema if not exists {ATTACH_ALIAS}."{schema}"')
                con.execute(
                    f'create table {ATTACH_ALIAS}."{schema}"."{table}" as '
                    f'select * from "{schema}"."{table}"'
                )
            counts = {
                name: con.execute(f"select count(*) from {ATTACH_ALIAS}.{name}").fetchone()[0]
                for name in tables
            }
            con.execute(
                f"""
                create table {ATTACH_ALIAS}.main.{CONTENTS_TABLE} as
                select
                    split_part(qualified_name, '.', 1) as schema_name,
                    split_part(qualified_name, '.', 2) as table_name,
                    row_count,
                    $published_at::timestamp as published_at
                from (select unnest($names) as qualified_name, unnest($rows) as row_count)
                """,
                {
                    "names": list(counts),
                    "rows": list(counts.values()),
                    "published_at": published_at,
                },
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute(f"detach {ATTACH_ALIAS}")  # checkpoints: no write-ahead log is left beside
    leftover_log = Path(f"{path}.wal")
    if leftover_log.exists():
        raise RuntimeError(f"DuckDB left a write-ahead log {leftover_log} after detaching")
    return counts


def write_parquet_version(
    con: duckdb.DuckDBPyConnection, database: Path, counts: dict[str, int], folder: Path
) -> None:
    """Export every table of the finished snapshot database to <folder>/<schema>/<table>.parquet,
    so that the Parquet files hold exactly what the DuckDB file holds."""
    con.execute(f"attach {sql_string(database)} as {ATTACH_ALIAS} (read_only)")
    try:
        for name in [*counts, f"main.{CONTENTS_TABLE}"]:
            schema, table = name.split(".")
            target = folder / (
                f"{table}.parquet" if schema == "main" else f"{schema}/{table}.parquet"
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            con.execute(
                f'copy {ATTACH_ALIAS}."{schema}"."{table}" to {sql_string(target)} (format parquet)'
            )
    finally:
        con.execute(f"detach {ATTACH_ALIAS}")


def prune_parquet_versions(directory: Path, keep: set[str | None]) -> None:
    """Remove Parquet versions other than the current and the previous one (a reader that
    resolved the link just before the swap still finds its files), and folders or staged
    files that an interrupted publication left behind."""
    for entry in directory.iterdir():
        if entry.name.startswith(PARQUET_VERSION_PREFIX) and entry.name not in keep:
            shutil.rmtree(entry)
        elif entry.name.startswith((f".{DATABASE_FILE}.", f".{PARQUET_LINK}.")):
            remove_staged(entry)


def remove_staged(path: Path) -> None:
    """A staged database file (with its write-ahead log, if any) or a staged link."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def sql_string(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def drop_previous_version(directory: Path) -> None:
    """Keep only the Parquet version the link points to: after an erasure the previous one
    still holds the erased people (a reader mid-read of it loses its files)."""
    link = directory / PARQUET_LINK
    if link.is_symlink():
        prune_parquet_versions(directory, keep={os.readlink(link).rstrip("/").split("/")[-1]})
