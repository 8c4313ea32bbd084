"""The scan floor of `make bench`: one DuckDB scan of all landing data, the least any build must do.

Every file of every landing table (sources/contract.py), found as the loader finds them
(sources/landing.table_files), is read completely: `count(*)` and `max()` of every column, so
DuckDB parses every value of every row. Each table's files are read in one statement per format
(and, for CSV, per header), in one in-memory DuckDB connection with default settings:

    CSV      read_csv with the header's columns (all text) and delimiter (csv_dialect) and the
             loader's options (readers.CSV_OPTIONS); a line that cannot be split into the
             header's fields is read and skipped (the loader quarantines it), so it is not counted
    Parquet  read_parquet(union_by_name = true), the columns' own types
    JSONL    read_json(format = 'newline_delimited'), DuckDB's detected types; a line that is not
             a JSON object is counted as a row of nulls (the loader quarantines it too)

Prints the rows scanned as JSON: {"rows": ..., "files": ..., "tables": ...}.

    python -m bench.scan_floor LANDING_DIR
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

from sources.contract import LANDING_TABLES
from sources.landing import CsvDialect, csv_dialect, file_format, table_files
from sources.readers import CSV_OPTIONS


def reads(landing: Path) -> list[tuple[str, str, CsvDialect | None, list[str]]]:
    """(table, format, CSV dialect, paths): one read per table and kind of file. CSV files
    without a header (nothing landed) are left out, as the loader leaves them."""
    found = []
    for table in LANDING_TABLES:
        paths, _ignored = table_files(landing, table)
        kinds: dict[tuple[str, CsvDialect | None], list[str]] = {}
        for path in paths:
            fmt = file_format(path)
            kinds.setdefault((fmt, csv_dialect(path) if fmt == "csv" else None), []).append(
                str(path)
            )
        found += [
            (table.qualified_name, fmt, dialect, group)
            for (fmt, dialect), group in kinds.items()
            if not (fmt == "csv" and dialect is None)
        ]
    return found


def scan_sql(fmt: str, dialect: CsvDialect | None) -> tuple[str, list]:
    """The statement reading a list of files (the first parameter) completely, and its other
    parameters."""
    if fmt == "csv":
        source = f"read_csv(?, columns = ?, delim = ?, {CSV_OPTIONS}, ignore_errors = true)"
        parameters = [dict.fromkeys(dialect.columns, "VARCHAR"), dialect.delimiter]
    elif fmt == "parquet":
        source, parameters = "read_parquet(?, union_by_name = true)", []
    else:
        source = "read_json(?, format = 'newline_delimited', ignore_errors = true)"
        parameters = []
    return f"select count(*), max(columns(*)) from {source}", parameters


def scan(landing: Path) -> dict[str, int]:
    """Read all landing data once; rows read, files and tables."""
    rows, files, tables = 0, 0, set()
    with duckdb.connect() as con:
        for table, fmt, dialect, paths in reads(landing):
            sql, parameters = scan_sql(fmt, dialect)
            rows += con.execute(sql, [paths, *parameters]).fetchone()[0]
            files += len(paths)
            tables.add(table)
    return {"rows": rows, "files": files, "tables": len(tables)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", type=Path, help="the landing zone")
    args = parser.parse_args(argv)
    print(json.dumps(scan(args.landing)))


if __name__ == "__main__":
    main()
