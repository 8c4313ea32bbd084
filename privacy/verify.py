"""Look for any trace of erased people: in every table of every schema, and in every file under
the data folder (landing zone, BI snapshot and its Parquet files, reports, model artifacts, logs).

Two tests, so that neither a key nor a readable identifier escapes:
- a row whose person keys hash onto the suppression list (privacy/keys.py), for tables;
- the identifiers as text: emails, unified customer ids, source keys that cannot be mistaken for
  a number, phones (by their last ten digits) and full names that no other customer has, in every
  text column and every file. Parquet and DuckDB files are read as tables.

One matcher finds the texts everywhere: an Aho-Corasick automaton of all of them (Traces.spans),
one pass over a file's bytes or over a text column's values as DuckDB streams them in Arrow
batches. Regular expressions of a thousand people's identifiers were the slow part: run by
DuckDB over every text column they did not finish scanning a 100,000-customer warehouse in an
hour, nor a Python one redacting its 85 MB of reports in 12 minutes.

The simulator's answer key (`<landing>/_truth`) is not a delivery and is not scanned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from ahocorasick_rs import BytesAhoCorasick

from privacy.artefacts import TEXT_FILES
from privacy.erase import PRIVACY_TABLES
from privacy.keys import row_points_at_suppressed_sql
from privacy.suppression import CUSTOMER, active_salt, matching_form_sql
from sources.contract import EMAIL, PHONE
from sources.readers import quote_ident, quote_literal

ALPHANUMERIC = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
WORD_BEFORE = ALPHANUMERIC | frozenset(b"_.+-")  # an identifier is not alone after these
WORD_AFTER = ALPHANUMERIC | frozenset(b"_-")  # nor before these
BATCH_ROWS = 100_000  # rows per Arrow batch of a scanned table: bounds memory
NOT_SCANNED = ("_truth",)  # folder names: the simulator's answer key
SKIPPED_FILES = (".wal", ".run-lock")  # the warehouse's own files are scanned as tables
PHONE_IN_TEXT = re.compile(rb"\+?\d[\d ().-]{6,}\d")


@dataclass
class Traces:
    """What verify looks for, and where it found it."""

    texts: set[str]  # lowercase
    phones: set[str]  # last ten digits
    names: set[tuple[str, str]]
    found: dict[str, int] = field(default_factory=dict)  # place -> rows or hits
    scanned_tables: int = 0
    scanned_files: int = 0

    @property
    def clean(self) -> bool:
        return not self.found

    @cached_property
    def automaton(self) -> BytesAhoCorasick | None:
        texts = sorted(text.encode() for text in self.texts)
        return BytesAhoCorasick(texts) if texts else None

    def spans(self, content: bytes, standalone: bool = True) -> list[tuple[int, int]]:
        """Where the texts are in `content` (lowercase bytes), longest first, not overlapping;
        with `standalone`, only where one stands alone (stands_alone)."""
        if self.automaton is None:
            return []
        found = sorted(
            (start, -end)
            for _, start, end in self.automaton.find_matches_as_indexes(content, overlapping=True)
            if not standalone or stands_alone(content, start, end)
        )
        spans, taken_to = [], 0
        for start, negative_end in found:
            if start >= taken_to:
                spans.append((start, -negative_end))
                taken_to = -negative_end
        return spans

    def rows_with_texts(self, values: pa.Array) -> set[int]:
        """The positions of the lowercase strings in `values` where a text stands alone. The
        automaton runs once over the array's data buffer, where the values lie end to end; a
        match is kept only within one value, with that value's edges as its boundaries."""
        if self.automaton is None or len(values) == 0:
            return set()
        if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
            values = values.cast(pa.large_string())  # a string view: one buffer per value
        _, offsets_buffer, data = values.buffers()
        if data is None:
            return set()
        width = 8 if pa.types.is_large_string(values.type) else 4
        offsets = np.frombuffer(
            offsets_buffer, dtype=np.int64 if width == 8 else np.int32, count=len(values) + 1,
            offset=values.offset * width,
        )  # fmt: skip
        first, last = int(offsets[0]), int(offsets[-1])
        content = memoryview(data).cast("B")[first:last]
        rows = set()
        for _, start, end in self.automaton.find_matches_as_indexes(content, overlapping=True):
            row = int(np.searchsorted(offsets, first + start, side="right")) - 1
            row_start, row_end = int(offsets[row]) - first, int(offsets[row + 1]) - first
            if end <= row_end and values[row].is_valid:
                value = bytes(content[row_start:row_end])
                if stands_alone(value, start - row_start, end - row_start):
                    rows.add(row)
        return rows


def stands_alone(content: bytes, start: int, end: int) -> bool:
    """Whether content[start:end] stands alone: not inside a longer email, id or key (`ann@x.co`
    is not alone in `joann@x.co`, `ann@x.co.uk` or `ann@x.co_2`), but a full stop may follow."""
    if start > 0 and content[start - 1] in WORD_BEFORE:
        return False
    if end == len(content):
        return True
    if content[end] == ord("."):
        return end + 1 == len(content) or content[end + 1] not in ALPHANUMERIC
    return content[end] not in WORD_AFTER


def traces_of(identifiers: dict[str, set[str]], names: set[tuple[str, str]]) -> Traces:
    """What to look for: identifiers in matching form (kind -> values), and full names, as
    text."""
    texts = set(identifiers.get(EMAIL, set())) | set(identifiers.get(CUSTOMER, set()))
    texts |= {f"{first} {last}" for first, last in names}
    for kind, values in identifiers.items():
        if kind not in (EMAIL, PHONE, CUSTOMER):
            texts |= {v for v in values if len(v) >= 8 and not v.isdigit()}
    return Traces(
        texts={t.lower() for t in texts},
        phones=set(identifiers.get(PHONE, set())),
        names={(first.lower(), last.lower()) for first, last in names},
    )


def verify(
    con: duckdb.DuckDBPyConnection, traces: Traces, folders: list[Path], warehouse: Path
) -> Traces:
    """Scan the warehouse (`con`) and every file under `folders`; fills `traces.found`."""
    scan_database(con, traces, label="", database=current_database(con))
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or any(p in NOT_SCANNED for p in path.parts):
                continue
            if path == warehouse or path.name.endswith(SKIPPED_FILES):
                continue
            scan_file(con, path, traces)
    return traces


def current_database(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchall()[0][0]


def scan_database(
    con: duckdb.DuckDBPyConnection, traces: Traces, label: str, database: str
) -> None:
    salt = active_salt(con)
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? order by all",
        [database],
    ).fetchall()
    for schema, table in tables:
        if schema == "audit" and table in PRIVACY_TABLES:
            continue
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = ? "
            "and schema_name = ? and table_name = ?",
            [database, schema, table],
        ).fetchall()
        relation = f"{quote_ident(database)}.{quote_ident(schema)}.{quote_ident(table)}"
        place = f"{label}{schema}.{table}"
        key_test = (
            row_points_at_suppressed_sql(schema, table, [c for c, _ in columns], salt)
            if salt and not label
            else None
        )
        scan_relation(con, relation, columns, traces, place, key_test)


def scan_relation(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    columns: list[tuple[str, str]],
    traces: Traces,
    place: str,
    key_test: str | None = None,
) -> None:
    """Count the rows of `relation` with a trace: keys on the suppression list (`key_test`), a
    phone in a phone column or a full name in first_name and last_name (SQL), or a text standing
    alone in any text column (Traces.rows_with_texts over the streamed values)."""
    traces.scanned_tables += 1
    tests = [key_test] if key_test else []
    names = {c.lower(): c for c, data_type in columns if data_type == "VARCHAR"}
    if traces.phones:
        phones = ", ".join(map(quote_literal, sorted(traces.phones)))
        tests += [
            f"{matching_form_sql(quote_literal(PHONE), quote_ident(column))} in ({phones})"
            for column in names.values()
            if "phone" in column.lower()
        ]
    if traces.names and {"first_name", "last_name"} <= set(names):
        first, last = quote_ident(names["first_name"]), quote_ident(names["last_name"])
        full_names = ", ".join(quote_literal(f"{f}\t{la}") for f, la in sorted(traces.names))
        tests.append(f"lower({first}) || chr(9) || lower({last}) in ({full_names})")
    texts = [f"lower({quote_ident(column)})" for column in names.values()] if traces.texts else []
    if not tests and not texts:
        return
    hit_sql = f"coalesce({' or '.join(tests)}, false)" if tests else "false"
    batches = con.sql(f"select {', '.join([hit_sql, *texts])} from {relation}")
    hits = 0
    for batch in batches.to_arrow_reader(BATCH_ROWS):
        hit = batch.column(0).to_numpy(zero_copy_only=False).astype(bool)
        for values in batch.columns[1:]:
            hit[list(traces.rows_with_texts(values))] = True
        hits += int(hit.sum())
    if hits:
        traces.found[place] = hits


def scan_file(con: duckdb.DuckDBPyConnection, path: Path, traces: Traces) -> None:
    traces.scanned_files += 1
    if path.suffix == ".parquet":
        relation = f"read_parquet({quote_literal(str(path))})"
        columns = [
            (row[0], row[1]) for row in con.execute(f"describe select * from {relation}").fetchall()
        ]
        scan_relation(con, relation, columns, traces, str(path))
        return
    if path.suffix == ".duckdb":
        alias = "verify_" + re.sub(r"\W", "_", path.stem)
        con.execute(f"attach {quote_literal(str(path))} as {alias} (read_only)")
        try:
            scan_database(con, traces, label=f"{path}:", database=alias)
        finally:
            con.execute(f"detach {alias}")
        return
    content = path.read_bytes().lower()
    if path.suffix.lower() not in TEXT_FILES:  # a pickle or a database: ids run together
        hits = sum(end - start >= 8 for start, end in traces.spans(content, standalone=False))
        if hits:
            traces.found[str(path)] = hits
        return
    hits = len(traces.spans(content))
    if traces.phones:
        hits += sum(
            re.sub(rb"\D", b"", match)[-10:].decode() in traces.phones
            for match in PHONE_IN_TEXT.findall(content)
        )
    if hits:
        traces.found[str(path)] = hits
