"""Validate a frame chunk by chunk: stream it from DuckDB into pandas, validate each chunk with
GX (data_quality/expectations.py) and add up each check's results as GX would give them for the
whole frame. A first load reads every raw row ever landed: in chunks of
`Thresholds.validation_chunk_rows` rows, memory is that of one chunk, not of the table
(docs/decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from data_quality.checks import Check, Suite
from data_quality.expectations import gx_suite, validate_chunk
from data_quality.frames import AWAITED
from data_quality.samples import SAMPLE_SIZE, sample_values
from sources.readers import quote_ident

# Where a row came from: shown beside failing values (raw rows, files), kept for quarantine.
ORIGIN = ("_source_file", "_source_row", "_load_id", "source_file", "rows_landed")
VECTOR_ROWS = 2048  # DuckDB hands a result over in vectors of this many rows
# Judged across the whole frame with DuckDB, not chunk by chunk with GX: a duplicate's two copies
# may fall in different chunks (duplicated_keys).
UNIQUENESS = ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")


@dataclass(frozen=True)
class Awaited:
    """The rows of a coverage rule's frame whose reference is awaited (frames.AWAITED)."""

    rows: int
    since: datetime | None  # the earliest _loaded_at among them
    references: list[str]  # a few of the references awaited


@dataclass
class Tally:
    """One check's results added up over the chunks of its frame, as GX gives them for a whole
    frame: counts add up, samples are the first failing rows, failing rows keep their position in
    the frame."""

    check: Check
    rows: int = 0  # GX's element_count
    missing: int = 0  # rows GX leaves out (nulls): `mostly` is a share of the others
    failing: int = 0
    samples: list[str] = field(default_factory=list)
    failing_indexes: list[int] = field(default_factory=list)  # quarantine rules only
    exception: str | None = None
    awaited: Awaited | None = None  # coverage rules only

    def add(self, result: dict, chunk: pd.DataFrame) -> None:
        if "exception" in result:
            self.exception = self.exception or result["exception"]
            return
        indexes = list(result.get("unexpected_index_list") or ())
        self.rows += int(result.get("element_count") or 0)
        self.missing += int(result.get("missing_count") or 0)
        self.failing += int(result.get("unexpected_count") or 0)
        self.samples += sample_values(self.check, chunk, indexes[: SAMPLE_SIZE - len(self.samples)])
        if self.check.quarantine:
            self.failing_indexes += indexes

    @property
    def success(self) -> bool:
        """GX's verdict from the added-up counts: at least `mostly` (without it, all) of the rows
        it considers pass; true when it considers none."""
        considered = self.rows - self.missing
        if not considered:
            return True
        return (considered - self.failing) / considered >= self.check.arguments.get("mostly", 1)


def validate_frame(
    con: duckdb.DuckDBPyConnection,
    suite: Suite,
    checks: list[Check],
    sql: str,
    parameters: dict[str, Any],
    chunk_rows: int,
) -> tuple[list[Tally], int, pd.DataFrame | None]:
    """Validate a frame chunk by chunk: each check's tally, the frame's row count, and the rows
    failing a quarantine rule (lineage and checked columns only, not the whole frame)."""
    frame_sql = sql
    sql = f"select {', '.join(checked_columns(con, checks, sql, parameters))} from ({sql})"
    duplicated = {
        check.name: duplicated_keys(con, check, sql, parameters)
        for check in checks
        if check.expectation in UNIQUENESS
    }
    by_gx = [check for check in checks if check.expectation not in UNIQUENESS]
    expectations = gx_suite(suite, by_gx) if by_gx else None
    tallies = {check.name: Tally(check) for check in checks}
    quarantine = [check for check in checks if check.quarantine]
    kept = list(dict.fromkeys(["_load_id", "_source_row", *(c.columns[0] for c in quarantine)]))
    rows, failing_rows = 0, []
    for chunk in read_chunks(con, sql, parameters, chunk_rows):
        rows += len(chunk)
        results = validate_chunk(expectations, chunk) if expectations else {}
        for name, keys in duplicated.items():
            results[name] = unique_result(chunk, tallies[name].check.columns, keys)
        for check in checks:
            tallies[check.name].add(results[check.name], chunk)
        failing = {
            index
            for check in quarantine
            for index in results[check.name].get("unexpected_index_list") or ()
        }
        if failing:
            failing_rows.append(chunk.loc[sorted(failing), kept])
    for check in checks:
        if check.references:
            tallies[check.name].awaited = awaited_references(con, check, frame_sql, parameters)
    return list(tallies.values()), rows, pd.concat(failing_rows) if failing_rows else None


def awaited_references(
    con: duckdb.DuckDBPyConnection, check: Check, sql: str, parameters: dict[str, Any]
) -> Awaited:
    """How many rows of the frame wait for the record they reference, since when, and which."""
    state, reference = quote_ident(check.columns[0]), quote_ident(check.context[0])
    awaited = f"from ({sql}) where {state} = '{AWAITED}'"
    rows, since = con.execute(f"select count(*), min(_loaded_at) {awaited}", parameters).fetchone()
    references = con.execute(
        f"select distinct {reference}::varchar {awaited} order by 1 limit {SAMPLE_SIZE}",
        parameters,
    ).fetchall()
    return Awaited(rows, since, [value for (value,) in references])


def checked_columns(
    con: duckdb.DuckDBPyConnection, checks: list[Check], sql: str, parameters: dict[str, Any]
) -> list[str]:
    """The frame's columns its checks read (their own, those shown beside failing values or named
    in a row condition) and where a row came from. Only these are sorted and streamed: a raw
    table's other columns would cost DuckDB and pandas twice the memory and time."""
    wanted = {*ORIGIN, *(c for check in checks for c in (*check.columns, *check.context))}
    conditions = " ".join(str(check.arguments.get("row_condition") or "") for check in checks)
    frame = con.execute(f"select * from ({sql}) limit 0", parameters).description
    return [
        quote_ident(name)
        for name, *_ in frame
        if name in wanted or re.search(rf"\b{re.escape(name)}\b", conditions)
    ]


def read_chunks(
    con: duckdb.DuckDBPyConnection, sql: str, parameters: dict[str, Any], chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The query's result streamed from DuckDB in frames of at most `chunk_rows` rows, indexed by
    position in the whole result (GX names failing rows by index). fetch_df_chunk converts types
    as .df() does, a number of whole vectors at a time."""
    result = con.execute(sql, parameters)
    start = 0
    while len(fetched := result.fetch_df_chunk(max(1, chunk_rows // VECTOR_ROWS))):
        fetched.index = pd.RangeIndex(start, start + len(fetched))
        start += len(fetched)
        for first in range(0, len(fetched), chunk_rows):
            yield fetched.iloc[first : first + chunk_rows]


def duplicated_keys(
    con: duckdb.DuckDBPyConnection, check: Check, sql: str, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The keys of a uniqueness rule that occur more than once in the whole frame. DuckDB groups
    the whole table, so copies in different chunks are found; only the duplicated keys (resent
    rows: few) come to pandas. Keys that are all null are left out, as GX leaves them out."""
    columns = [quote_ident(column) for column in check.columns]
    all_null = " and ".join(f"{column} is null" for column in columns)
    return con.execute(
        f"select {', '.join(columns)} from ({sql}) where not ({all_null}) "
        "group by all having count(*) > 1",
        parameters,
    ).df()


def unique_result(chunk: pd.DataFrame, columns: list[str], duplicated: pd.DataFrame) -> dict:
    """A uniqueness rule's result on one chunk, in GX's terms: every copy of a duplicated key
    fails (pandas' duplicated(keep=False), as GX), rows whose key is all null are missing."""
    keys = chunk[columns].dropna(how="all")
    if duplicated.empty:  # the usual case; pandas' merge would still factorise every key
        copies = pd.Series(False, index=keys.index)
    else:
        copies = keys.merge(duplicated, on=columns, how="left", indicator=True)["_merge"] == "both"
    return {
        "element_count": len(chunk),
        "missing_count": len(chunk) - len(keys),
        "unexpected_count": int(copies.sum()),
        "unexpected_index_list": keys.index[copies.to_numpy()].tolist(),
    }
