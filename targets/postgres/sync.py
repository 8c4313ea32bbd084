"""Copy the raw layer of a DuckDB warehouse into PostgreSQL, for the `postgres` dbt target.

    from targets.postgres.sync import sync_raw_to_postgres
    rows = sync_raw_to_postgres(Path("data/warehouse.duckdb"))  # BINESH_PG_* say where
    # {"raw.crm__contacts": 4980, ..., "audit.load_log": 3650, "text.insights": 812}

What is copied, each table into the schema of the same name in PostgreSQL:

- every `raw.*` table, contract and custom columns alike, with the lineage columns;
- the `audit` tables (load log and quarantine), so the loading story is visible there too, but
  not the suppression list and its salt (privacy/suppression.py);
- the tables Python assets write for dbt to read (identity resolution, text insights: every dbt
  source outside `raw`, read from the project's sources YAML), since those steps run on the
  DuckDB warehouse and the dbt models on PostgreSQL read their answers.

How: DuckDB streams each table as Arrow record batches, pyarrow renders them as CSV (empty string
quoted, null unquoted, so the two stay apart) and psycopg2 feeds the stream to `COPY ... FROM
STDIN`: no temporary file, bounded memory, no row-by-row inserts. Column types follow DuckDB's
(VARCHAR -> text, BIGINT -> bigint, DOUBLE -> double precision, TIMESTAMP -> timestamp, ...).

Replacing: the whole sync is one PostgreSQL transaction. A table whose columns are unchanged is
truncated and refilled (its grants and the views on it survive); one whose columns changed (a new
custom attribute) is dropped and created again. Readers see the previous raw layer until the
commit, then the new one, never half of it. PostgreSQL text cannot hold the NUL character, so NUL
characters in text values are dropped; nothing else is changed.
"""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import yaml
from psycopg2 import errors as pg_errors

from privacy.suppression import UNPUBLISHED
from sources.readers import first_line, quote_ident
from targets.postgres.connection import PostgresSyncError, connect

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

RAW_SCHEMA, AUDIT_SCHEMA = "raw", "audit"
BATCH_ROWS = 100_000  # rows per Arrow batch rendered to CSV at a time: bounds memory
COPY_READ_BYTES = 1 << 20  # how much psycopg2 asks the stream for per read
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL truncates longer names (NAMEDATALEN - 1)

# DuckDB type -> PostgreSQL type, for the types that map one to one. The names on the right are
# PostgreSQL's canonical ones (format_type), so an existing table can be compared column by column.
SIMPLE_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(38,0)",
    "UHUGEINT": "numeric(39,0)",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp without time zone",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "TIME": "time without time zone",
    "INTERVAL": "interval",
    "UUID": "uuid",
}
# Timestamps of another precision arrive as microsecond TIMESTAMP (PostgreSQL's precision).
TIMESTAMP_VARIANTS = ("TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


@dataclass(frozen=True)
class ColumnCopy:
    """How one DuckDB column travels: its PostgreSQL type and the DuckDB expression to read."""

    name: str
    pg_type: str
    select_sql: str


@dataclass(frozen=True)
class TableCopy:
    schema: str
    name: str
    columns: tuple[ColumnCopy, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


def sync_raw_to_postgres(
    warehouse: Path | str,
    dsn: str | None = None,
    *,
    include_audit: bool = True,
    include_python_outputs: bool = True,
    project_dir: Path | str = DBT_PROJECT_DIR,
    connect_timeout: int = 10,
) -> dict[str, int]:
    """Replace the raw layer in PostgreSQL with the one in the DuckDB `warehouse`.

    dsn: a libpq connection string or URL (`host=... port=... user=... password=... dbname=...`,
    `postgresql://user:password@host:port/dbname`); None reads BINESH_PG_* as the dbt target does.
    include_audit copies the audit tables (load log, quarantine, set-aside values, quality
    results); include_python_outputs copies the
    tables Python assets write for dbt (the dbt sources outside `raw` in `project_dir`) that the
    warehouse holds. Returns rows copied per table (`schema.table`), in copy order.
    """
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise FileNotFoundError(
            f"DuckDB warehouse {warehouse} not found: build it first (`binesh run`) or point "
            "BINESH_WAREHOUSE / the warehouse argument at it"
        )
    pg = connect(dsn, connect_timeout)
    try:
        try:
            duck = duckdb.connect(str(warehouse), read_only=True)
        except duckdb.Error as error:
            hint = (
                " (a process writing the warehouse holds its lock: sync after the run)"
                if "lock" in str(error).lower()
                else ""
            )
            raise PostgresSyncError(
                f"cannot open {warehouse} for reading: {first_line(error)}{hint}"
            ) from error
        with duck:
            duck.execute("set TimeZone = 'UTC'")
            duck.execute("begin transaction")  # one consistent snapshot of the warehouse
            tables = tables_to_copy(duck, include_audit, include_python_outputs, project_dir)
            return copy_tables(duck, pg, tables)
    finally:
        pg.close()


def tables_to_copy(
    duck: duckdb.DuckDBPyConnection,
    include_audit: bool,
    include_python_outputs: bool,
    project_dir: Path | str,
) -> list[TableCopy]:
    present = {
        (schema, name)
        for schema, name in duck.execute(
            "select schema_name, table_name from duckdb_tables() where not internal"
        ).fetchall()
    }
    wanted = sorted(name for schema, name in present if schema == RAW_SCHEMA)
    if not wanted:
        raise PostgresSyncError(
            "the warehouse has no raw tables: load the landing zone first (`binesh run`)"
        )
    selected = [(RAW_SCHEMA, name) for name in wanted]
    if include_audit:
        selected += sorted((s, n) for s, n in present if s == AUDIT_SCHEMA and n not in UNPUBLISHED)
    if include_python_outputs:
        for schema, name in dbt_python_output_tables(project_dir):
            if (schema, name) in present:
                selected.append((schema, name))
            else:
                log.warning(
                    "%s.%s is not in the warehouse: dbt models that read it will fail on "
                    "PostgreSQL until the Python asset that writes it has run (`binesh run`)",
                    schema,
                    name,
                )
    return [describe_table(duck, schema, name) for schema, name in selected]


def dbt_python_output_tables(project_dir: Path | str = DBT_PROJECT_DIR) -> list[tuple[str, str]]:
    """(schema, table) of every dbt source outside `raw`: tables Python assets write for dbt."""
    found: set[tuple[str, str]] = set()
    for path in sorted((Path(project_dir) / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources") or []:
            schema = str(source.get("schema") or source["name"])
            if schema == RAW_SCHEMA or "{{" in schema:
                continue
            for table in source.get("tables") or []:
                found.add((schema, str(table.get("identifier") or table["name"])))
    return sorted(found)


def describe_table(duck: duckdb.DuckDBPyConnection, schema: str, name: str) -> TableCopy:
    rows = duck.execute(
        "select column_name, data_type from duckdb_columns() "
        "where schema_name = ? and table_name = ? order by column_index",
        [schema, name],
    ).fetchall()
    for identifier in (schema, name, *(column for column, _ in rows)):
        if len(identifier.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            raise PostgresSyncError(
                f"{schema}.{name}: the name {identifier!r} is longer than PostgreSQL's "
                f"{MAX_IDENTIFIER_BYTES} bytes; rename it at the source (custom attribute "
                "columns are named after the file's header)"
            )
    return TableCopy(schema, name, tuple(column_copy(column, type_) for column, type_ in rows))


def column_copy(name: str, duckdb_type: str) -> ColumnCopy:
    """The PostgreSQL type of a DuckDB column and how to read it so COPY accepts its text."""
    column = quote_ident(name)
    type_ = duckdb_type.upper()
    if type_ == "VARCHAR":
        return ColumnCopy(name, "text", f"replace({column}, chr(0), '')")
    if type_ in SIMPLE_TYPES:
        pg_type = SIMPLE_TYPES[type_]
        # uuid, time and interval travel as DuckDB's text, which PostgreSQL reads as is
        as_text = type_ in ("UUID", "TIME", "INTERVAL")
        return ColumnCopy(name, pg_type, f"cast({column} as varchar)" if as_text else column)
    if type_ in TIMESTAMP_VARIANTS:
        return ColumnCopy(name, "timestamp without time zone", f"cast({column} as timestamp)")
    if type_ == "TIME WITH TIME ZONE":
        return ColumnCopy(name, "time with time zone", f"cast({column} as varchar)")
    decimal = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", type_)
    if decimal:
        return ColumnCopy(name, f"numeric({decimal[1]},{decimal[2]})", column)
    if type_ == "BLOB":
        return ColumnCopy(name, "bytea", f"'\\x' || hex({column})")
    # lists, structs, maps, unions, enums, JSON, bit strings: their JSON text
    return ColumnCopy(name, "jsonb", f"cast(to_json({column}) as varchar)")


def copy_tables(duck: duckdb.DuckDBPyConnection, pg, tables: list[TableCopy]) -> dict[str, int]:
    """Replace every table in one PostgreSQL transaction; rows copied per table."""
    copied: dict[str, int] = {}
    started = time.perf_counter()
    try:
        with pg.cursor() as cur:
            for schema in dict.fromkeys(table.schema for table in tables):
                cur.execute(f"create schema if not exists {quote_ident(schema)}")
            for table in tables:
                table_started = time.perf_counter()
                prepare_table(cur, table)
                copied[table.qualified_name] = copy_rows(duck, cur, table)
                cur.execute(f"analyze {qualified(table)}")
                log.info(
                    "copied %s: %d rows in %.2f s",
                    table.qualified_name,
                    copied[table.qualified_name],
                    time.perf_counter() - table_started,
                )
        pg.commit()
    except BaseException:
        pg.rollback()
        raise
    log.info(
        "synced %d tables, %d rows, to PostgreSQL in %.1f s",
        len(copied),
        sum(copied.values()),
        time.perf_counter() - started,
    )
    return copied


def prepare_table(cur, table: TableCopy) -> None:
    """An empty table with the columns of `table`: truncated if it matches, else made anew."""
    cur.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) "
        "from pg_attribute a join pg_class c on c.oid = a.attrelid "
        "join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p') "
        "and a.attnum > 0 and not a.attisdropped order by a.attnum",
        [table.schema, table.name],
    )
    existing = cur.fetchall()
    wanted = [(column.name, column.pg_type) for column in table.columns]
    if existing and existing == wanted:
        cur.execute(f"truncate table {qualified(table)}")
        return
    if existing:
        try:
            cur.execute(f"drop table {qualified(table)}")
        except pg_errors.DependentObjectsStillExist as error:
            raise PostgresSyncError(
                f"{table.qualified_name} changed columns and must be created again, but other "
                f"objects depend on it ({first_line(error)}; {error.diag.message_detail}). "
                "Drop them (dbt re-creates its own) and sync again; nothing was changed."
            ) from error
    columns = ", ".join(f"{quote_ident(c.name)} {c.pg_type}" for c in table.columns)
    cur.execute(f"create table {qualified(table)} ({columns})")


def copy_rows(duck: duckdb.DuckDBPyConnection, cur, table: TableCopy) -> int:
    """Stream the DuckDB table into COPY ... FROM STDIN as CSV; returns the rows copied."""
    select = ", ".join(f"{c.select_sql} as {quote_ident(c.name)}" for c in table.columns)
    source = f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
    reader = duck.sql(f"select {select} from {source}").to_arrow_reader(BATCH_ROWS)
    stream = CsvStream(reader)
    columns = ", ".join(quote_ident(c.name) for c in table.columns)
    cur.copy_expert(
        f"copy {qualified(table)} ({columns}) from stdin with (format csv)",
        stream,
        size=COPY_READ_BYTES,
    )
    return stream.rows


class CsvStream(io.RawIOBase):
    """A readable byte stream of CSV rendered batch by batch from Arrow record batches.

    Nulls are empty and unquoted, every string is quoted (so '' stays an empty string): exactly
    what PostgreSQL's CSV COPY reads as null and as text.
    """

    def __init__(self, batches: Iterable[pa.RecordBatch]):
        super().__init__()
        self._batches: Iterator[pa.RecordBatch] = iter(batches)
        self._chunk = memoryview(b"")
        self.rows = 0

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> bool:
        for batch in self._batches:
            if batch.num_rows == 0:
                continue
            sink = pa.BufferOutputStream()
            pa_csv.write_csv(
                batch, sink, pa_csv.WriteOptions(include_header=False, quoting_style="needed")
            )
            self._chunk = memoryview(sink.getvalue().to_pybytes())
            self.rows += batch.num_rows
            return True
        return False

    def readinto(self, buffer) -> int:
        if not self._chunk and not self._next_chunk():
            return 0
        size = min(len(buffer), len(self._chunk))
        buffer[:size] = self._chunk[:size]
        self._chunk = self._chunk[size:]
        return size


def qualified(table: TableCopy) -> str:
    return f"{quote_ident(table.schema)}.{quote_ident(table.name)}"
