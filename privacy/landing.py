"""Rewrite a landing file without some of its records, leaving every other record as delivered.

Records are named by their `_source_row` as the loader reads them (sources/readers.py): the CSV
data record (header excluded), the JSONL line, the Parquet row, each 1-based. CSV and JSONL
keep the bytes of every other record; a Parquet file is written again with the same schema. The
new file replaces the old in one rename, so a crash leaves one or the other, never half.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sources.landing import csv_dialect, file_format


def drop_records(path: Path, rows: set[int]) -> None:
    """Rewrite `path` without the records at positions `rows`."""
    if not rows:
        return
    fmt = file_format(path)
    temporary = path.with_name(f".{path.name}.erasing")
    if fmt == "parquet":
        table = pq.read_table(path)
        keep = pa.array([index + 1 not in rows for index in range(table.num_rows)])
        pq.write_table(table.filter(keep), temporary)
    else:
        text = path.read_bytes().decode("utf-8", errors="surrogateescape")
        lines = text.splitlines(keepends=True)
        kept = csv_lines_kept(path, lines, rows) if fmt == "csv" else jsonl_lines_kept(lines, rows)
        temporary.write_bytes("".join(kept).encode("utf-8", errors="surrogateescape"))
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def jsonl_lines_kept(lines: list[str], rows: set[int]) -> Iterator[str]:
    return (line for number, line in enumerate(lines, start=1) if number not in rows)


def csv_lines_kept(path: Path, lines: list[str], rows: set[int]) -> Iterator[str]:
    """The header, then the physical lines of every record not in `rows` (a quoted field may
    span lines, so records are found by parsing, and kept or dropped whole)."""
    dialect = csv_dialect(path)
    if dialect is None or not lines:
        yield from lines
        return
    yield lines[0]
    consumed: list[str] = []

    def feed() -> Iterator[str]:
        for line in lines[1:]:
            consumed.append(line)
            yield line

    record = 0
    for _ in csv.reader(feed(), delimiter=dialect.delimiter, quotechar='"', doublequote=True):
        record += 1
        if record not in rows:
            yield from consumed
        consumed.clear()
    yield from consumed  # an unterminated last record stays as it was
