"""Run the suites: stream each frame from DuckDB into pandas in chunks, validate each chunk with
Great Expectations, add up each check's results, quarantine impossible raw rows, and record every
result in audit.quality_results.

GX's SQL datasource does not work on DuckDB, so frames are pandas DataFrames validated through one
ephemeral GX context per process (its import costs seconds; it happens on first use). A first load
reads every raw row ever landed: in chunks of `Thresholds.validation_chunk_rows` rows, memory is
that of one chunk, not of the table (docs/decisions.md).

Writes go through the caller's connection, in one transaction per suite: in a Dagster run that is
the run's single writer (orchestration/defs/quality.py).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pandas as pd

from data_quality.suites import AWAITED, ROWS, Check, Suite
from data_quality.thresholds import THRESHOLDS, Thresholds
from sources.load_log import has_load_log
from sources.readers import quote_ident, quote_literal

AUDIT_DDL = """
create schema if not exists audit;
create table if not exists audit.quality_results (
    run_id varchar not null,
    checked_at timestamp not null,
    layer varchar not null,
    asset varchar not null,
    check_name varchar not null,
    expectation varchar not null,
    column_name varchar,
    description varchar not null,
    success boolean not null,
    severity varchar,
    rows_checked bigint not null,
    failing_count bigint not null,
    quarantined_count bigint not null,
    observed_value varchar,
    sample_values varchar,
    message varchar not null
);
create table if not exists audit.quality_acceptances (
    asset varchar not null,
    check_name varchar not null,
    accepted_through timestamp not null,
    reason varchar not null,
    accepted_by varchar not null,
    accepted_at timestamp not null,
    failed_run_id varchar not null
);
create table if not exists audit.quality_watermarks (
    asset varchar primary key,
    validated_through timestamp not null,
    run_id varchar not null,
    updated_at timestamp not null
);
"""

NEVER = datetime(1970, 1, 1)
NOT_JUDGED = "not judged"
NOT_APPLICABLE = "not applicable"
SAMPLE_SIZE = 5
LINEAGE = ("_source_file", "_source_row", "_load_id", "_loaded_at")
# Where a row came from: shown beside failing values (raw rows, files), kept for quarantine.
ORIGIN = ("_source_file", "_source_row", "_load_id", "source_file", "rows_landed")
VECTOR_ROWS = 2048  # DuckDB hands a result over in vectors of this many rows
# Judged across the whole frame with DuckDB, not chunk by chunk with GX: a duplicate's two copies
# may fall in different chunks (duplicated_keys).
UNIQUENESS = ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")


@dataclass(frozen=True)
class CheckOutcome:
    """What one check found, in the form audit.quality_results and Dagster report it."""

    suite: Suite
    check: Check
    success: bool
    severity: str | None  # None when the check passed; error blocks (raw, staging), warn does not
    rows_checked: int
    failing_count: int
    quarantined_count: int
    observed_value: str
    samples: list[str]
    message: str
    failing_indexes: tuple[int, ...] = ()  # frame rows GX found failing (raw quarantine uses them)
    # the first load holding rows whose reference is awaited: the watermark stays before it, so
    # those rows are judged again next run
    awaited_since: datetime | None = None

    @property
    def asset(self) -> str:
        return self.suite.relation


@dataclass(frozen=True)
class Awaited:
    """The rows of a coverage rule's frame whose reference is awaited (suites.AWAITED)."""

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


@functools.cache
def gx_batch_definition():
    """One ephemeral GX context for the process: no files, no analytics, no progress bars."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    context = gx.get_context(
        mode="ephemeral",
        project_config=DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(),
        ),
    )
    asset = context.data_sources.add_pandas("warehouse").add_dataframe_asset("frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def gx_suite(suite: Suite, checks: list[Check]):
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    # Chunks add up only for rules judged row by row; an aggregate (a row count, a mean) belongs
    # in the frame's SQL, computed by DuckDB over the whole table.
    row_by_row = (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation)
    gx_batch_definition()  # a suite needs the context to exist
    gx_suite = gx.ExpectationSuite(name=f"{suite.relation}.{checks[0].frame}")
    for check in checks:
        expectation_class = getattr(gxe, check.expectation)
        if not issubclass(expectation_class, row_by_row):
            raise TypeError(f"{check.name}: {check.expectation} is not judged row by row")
        gx_suite.add_expectation(expectation_class(**check.arguments, meta={"check": check.name}))
    return gx_suite


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
    copies = keys.merge(duplicated, on=columns, how="left", indicator=True)["_merge"] == "both"
    return {
        "element_count": len(chunk),
        "missing_count": len(chunk) - len(keys),
        "unexpected_count": int(copies.sum()),
        "unexpected_index_list": keys.index[copies.to_numpy()].tolist(),
    }


def validate_chunk(expectations, chunk: pd.DataFrame) -> dict[str, dict]:
    """GX's result for each check, by check name: its `result` dict, or the exception raised."""
    validation = (
        gx_batch_definition()
        .get_batch(batch_parameters={"dataframe": chunk})
        .validate(expectations, result_format={"result_format": "COMPLETE"})
    )
    results = {}
    for result in validation.results:
        name = result.expectation_config.meta["check"]
        error = gx_exception(result.exception_info or {})
        if error:
            results[name] = {"exception": error}
        else:
            results[name] = result.result
    return results


def gx_exception(info: dict) -> str | None:
    """GX reports an error either flat or per metric it could not compute."""
    details = [info] if "raised_exception" in info else list(info.values())
    for detail in details:
        if isinstance(detail, dict) and detail.get("raised_exception"):
            return detail.get("exception_message") or "GX raised an error"
    return None


def run_suites(
    con: duckdb.DuckDBPyConnection,
    suites: list[Suite],
    run_id: str,
    thresholds: Thresholds = THRESHOLDS,
) -> list[CheckOutcome]:
    """Validate each suite and record its results; raw row-level failures are quarantined."""
    con.execute(AUDIT_DDL)
    con.execute("set TimeZone = 'UTC'")
    outcomes = []
    for suite in suites:
        outcomes.extend(run_suite(con, suite, run_id, thresholds))
    return outcomes


def run_suite(
    con: duckdb.DuckDBPyConnection, suite: Suite, run_id: str, thresholds: Thresholds = THRESHOLDS
) -> list[CheckOutcome]:
    watermark = current_watermark(con, suite) if suite.incremental else NEVER
    parameters = {"watermark": watermark, "table": suite.table}
    outcomes, failing_rows = [], None
    delivered = delivered_tables(con)
    for frame_name, sql in suite.frames.items():
        checks = []
        for check in suite.checks:
            if check.frame != frame_name:
                continue
            if check.references and check.references not in delivered:
                outcomes.append(not_applicable(suite, check))
            else:
                checks.append(check)
        if not checks:
            continue
        used = {k: v for k, v in parameters.items() if f"${k}" in sql}
        try:
            tallies, rows, failing = validate_frame(
                con, suite, checks, sql, used, thresholds.validation_chunk_rows
            )
        except duckdb.CatalogException as error:
            # a rule that looks up a table not built yet (a run of a selection of assets)
            outcomes += [not_judged(suite, check, error) for check in checks]
            continue
        outcomes += [judge(suite, tally, rows, thresholds) for tally in tallies]
        if frame_name == ROWS:
            failing_rows = failing
    outcomes = [with_way_out(outcome) for outcome in accept_failures(con, suite, outcomes)]

    con.execute("begin transaction")
    try:
        if any(outcome.quarantined_count for outcome in outcomes):
            move_to_quarantine(con, suite, quarantine_rows(suite, failing_rows, outcomes))
        record_results(con, suite, outcomes, run_id)
        blocked = any(o.severity == "error" for o in outcomes)
        unjudged = any(o.observed_value == NOT_JUDGED for o in outcomes)
        awaited = [o.awaited_since for o in outcomes if o.awaited_since is not None]
        if suite.incremental and not blocked and not unjudged:
            advance_watermark(con, suite, run_id, before=min(awaited, default=None))
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return outcomes


def current_watermark(con: duckdb.DuckDBPyConnection, suite: Suite) -> datetime:
    row = con.execute(
        "select validated_through from audit.quality_watermarks where asset = ?", [suite.relation]
    ).fetchone()
    return row[0] if row else NEVER


def loaded_through(con: duckdb.DuckDBPyConnection, suite: Suite) -> datetime | None:
    """When the latest rows of the suite's table were loaded: the end of its increment."""
    if suite.layer == "raw":
        latest = "select max(loaded_at) from audit.load_log where source_table = ?"
        parameters = [suite.table]
    else:
        latest, parameters = f"select max(_loaded_at) from {suite.relation}", []
    return con.execute(latest, parameters).fetchall()[0][0]


def accept_failures(
    con: duckdb.DuckDBPyConnection, suite: Suite, outcomes: list[CheckOutcome]
) -> list[CheckOutcome]:
    """A blocking failure that a person accepted for this increment (`binesh accept`) warns
    instead, saying who accepted it, when and why. The acceptance covers the rows loaded up to
    when it was given: a later delivery is judged as usual."""
    if not any(outcome.severity == "error" for outcome in outcomes):
        return outcomes
    through = loaded_through(con, suite)
    acceptances = {
        check: f"accepted by {by} on {at:%Y-%m-%d %H:%M} UTC: {reason}"
        for check, by, at, reason in con.execute(
            "select check_name, accepted_by, accepted_at, reason from audit.quality_acceptances "
            "where asset = ? and accepted_through >= ? order by accepted_at",
            [suite.relation, through],
        ).fetchall()
    }
    return [
        dataclasses.replace(
            outcome,
            severity="warn",
            message=f"{outcome.message}; {acceptances[outcome.check.name]}",
        )
        if outcome.severity == "error" and outcome.check.name in acceptances
        else outcome
        for outcome in outcomes
    ]


def with_way_out(outcome: CheckOutcome) -> CheckOutcome:
    """A blocking failure says how to go on."""
    if outcome.severity != "error" or outcome.observed_value == NOT_JUDGED:
        return outcome
    way_out = (
        ". To go on: correct the source and re-deliver the file under the same path, remove the "
        "file from the landing zone, or accept this increment with `binesh accept "
        f"{outcome.asset} {outcome.check.name} --reason '...'`"
    )
    return dataclasses.replace(outcome, message=outcome.message + way_out)


def accept_failure(
    con: duckdb.DuckDBPyConnection, suite: Suite, check_name: str, reason: str, by: str
) -> datetime:
    """Record that `by` accepts the latest blocking failure of a check for the rows loaded so
    far (audit.quality_acceptances); the next run lets them through. Returns when the accepted
    increment ends."""
    con.execute(AUDIT_DDL)
    if check_name not in {check.name for check in suite.checks}:
        names = ", ".join(check.name for check in suite.checks)
        raise ValueError(f"{suite.relation} has no check {check_name!r}; its checks: {names}")
    latest = con.execute(
        "select severity, run_id from audit.quality_results where asset = ? and check_name = ? "
        "order by checked_at desc limit 1",
        [suite.relation, check_name],
    ).fetchall()
    if not latest or latest[0][0] != "error":
        state = "has no result yet" if not latest else f"last {latest[0][0] or 'passed'}"
        raise ValueError(
            f"{suite.relation} {check_name} {state}: only a blocking failure can be accepted"
        )
    if not reason.strip():
        raise ValueError("say why the failure is accepted (--reason)")
    through = loaded_through(con, suite)
    con.execute(
        "insert into audit.quality_acceptances values (?, ?, ?, ?, ?, now()::timestamp, ?)",
        [suite.relation, check_name, through, reason.strip(), by, latest[0][1]],
    )
    return through


def advance_watermark(
    con: duckdb.DuckDBPyConnection, suite: Suite, run_id: str, before: datetime | None = None
) -> None:
    """Everything loaded so far has been validated; a failed increment is checked again next run,
    and so is everything loaded from `before` on (rows awaiting a late-arriving record)."""
    through = loaded_through(con, suite)
    if through is not None and before is not None:
        through = min(through, before - timedelta(microseconds=1))
    if through is None or through <= current_watermark(con, suite):
        return
    con.execute(
        "insert or replace into audit.quality_watermarks values (?, ?, ?, now()::timestamp)",
        [suite.relation, through, run_id],
    )


def delivered_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The raw tables the business delivers: those with a current file in the landing zone."""
    if not has_load_log(con):
        return set()
    return {
        table
        for (table,) in con.execute(
            "select distinct source_table from audit.load_log where superseded_at is null"
        ).fetchall()
    }


def not_applicable(suite: Suite, check: Check) -> CheckOutcome:
    """A reference into a source the business does not deliver is not a broken reference."""
    source, table = check.references.split("__", 1)
    message = (
        f"{heading(suite, check)}: {NOT_APPLICABLE}: the business delivers no {source} "
        f"{table} (no file in {source}/{table}/), so its references are not judged"
    )
    return CheckOutcome(suite, check, True, None, 0, 0, 0, NOT_APPLICABLE, [], message)


def heading(suite: Suite, check: Check) -> str:
    expectation = camel_to_snake(check.expectation)
    return f"{suite.relation}: {check.name} ({expectation}: {check.description})"


def not_judged(suite: Suite, check: Check, error: Exception) -> CheckOutcome:
    """A warning, not a block: the rows are judged again, from the same watermark, next run."""
    reason = str(error).splitlines()[0]
    message = f"{heading(suite, check)}: not judged: {reason} Build that table too."
    return CheckOutcome(suite, check, False, "warn", 0, 0, 0, NOT_JUDGED, [], message)


def judge(suite: Suite, tally: Tally, rows: int, thresholds: Thresholds) -> CheckOutcome:
    """Turn a check's tally over `rows` frame rows into an outcome: a verdict, a severity and a
    message naming the table, the expectation and sample bad values."""
    check = tally.check
    head = heading(suite, check)
    outcome = functools.partial(CheckOutcome, suite, check)
    if not rows:  # an empty frame: nothing new, or too little history to judge
        note = "no new rows" if check.frame == ROWS else f"no {check.frame} to judge yet"
        return outcome(True, None, 0, 0, 0, note, [], f"{head}: {note}")
    if tally.exception:
        message = f"{head} could not be evaluated: {tally.exception}"
        return outcome(False, check.severity, rows, 0, 0, "error", [], message)

    failing, checked = tally.failing, tally.rows or rows
    indexes = tuple(tally.failing_indexes)
    observed = observed_value(failing, checked)
    samples = tally.samples
    example = f"; e.g. {'; '.join(samples)}" if samples else ""
    found = (checked, failing)
    if check.quarantine and failing:
        allowed = max(
            thresholds.quarantine_tolerance_rows, thresholds.quarantine_tolerance_share * checked
        )
        if failing > allowed:
            message = (
                f"{head}: {failing} of {checked} new rows fail, more than the {allowed:.0f} "
                "tolerated as stray bad rows: the source has changed. Nothing was quarantined "
                f"and downstream assets are blocked{example}"
            )
            return outcome(False, "error", *found, 0, observed, samples, message)
        message = f"{head}: {failing} of {checked} new rows fail and were quarantined{example}"
        return outcome(False, "warn", *found, failing, observed, samples, message, indexes)
    # a blocking share rule needs more than a handful of failing rows to judge the source by
    too_few_to_block = (
        check.severity == "error"
        and "mostly" in check.arguments
        and failing <= thresholds.share_tolerance_rows
    )
    awaited = tally.awaited
    if awaited and awaited.rows and (tally.success or too_few_to_block):
        return awaited_outcome(suite, tally, checked, thresholds, example)
    if tally.success or too_few_to_block:
        within = f" ({failing} within tolerance{example})" if failing else ""
        return outcome(True, None, *found, 0, observed, samples, f"{head}: passed{within}")
    message = f"{head}: failed, {observed} still unknown past the grace period{example}"
    if not check.references:
        message = f"{head}: failed, {observed}{example}"
    return outcome(False, check.severity, *found, 0, observed, samples, message)


def awaited_outcome(
    suite: Suite, tally: Tally, checked: int, thresholds: Thresholds, example: str
) -> CheckOutcome:
    """A late-arriving dimension: a warning naming what is awaited; the rows flow on."""
    awaited, check = tally.awaited, tally.check
    named = ", ".join(f"{check.context[0]}={display(value)}" for value in awaited.references)
    missing = f"; {tally.failing} unknown past the grace period{example}" if tally.failing else ""
    message = (
        f"{heading(suite, check)}: {awaited.rows} of {checked} rows reference records not "
        f"delivered yet (late-arriving, e.g. {named}); they flow on and are judged again each "
        f"run, and block if more than {1 - thresholds.min_reference_coverage:.0%} are still "
        f"unknown {thresholds.late_reference_grace_days:g} days after their event{missing}"
    )
    observed = f"{awaited.rows} of {checked} awaited ({100.0 * awaited.rows / checked:.2f}%)"
    return CheckOutcome(
        suite, check, False, "warn", checked, tally.failing, 0, observed, [named], message,
        awaited_since=awaited.since,
    )  # fmt: skip


def observed_value(failing: int, checked: int) -> str:
    """Row-by-row rules have no observed value of their own in GX: the share of failing rows."""
    share = 100.0 * failing / checked if checked else 0.0
    return f"{failing} of {checked} unexpected ({share:.2f}%)"


def sample_values(check: Check, frame: pd.DataFrame, indexes: list) -> list[str]:
    """A few failing values with where they came from (file and row for raw rows)."""
    samples = []
    for index in indexes[:SAMPLE_SIZE]:
        row = frame.loc[index]
        shown = [c for c in (*check.columns, *check.context) if c in frame.columns]
        value = ", ".join(f"{c}={display(row[c])}" for c in shown)
        if "_source_row" in frame.columns:
            value += f" at {row['_source_file']} row {row['_source_row']}"
        elif "source_file" in frame.columns:
            value += f" in {row['source_file']} ({row['rows_landed']} rows)"
        samples.append(value)
    return samples


# The origin sample_values appends to a failing value.
SAMPLE_FILE = re.compile(r" (?:at (\S+) row \d+|in (\S+) \(\d+ rows\))$")


def failing_file(samples: list[str]) -> str | None:
    """The landing file the first of sample_values' samples with an origin came from."""
    for sample in samples:
        if match := SAMPLE_FILE.search(sample):
            return match.group(1) or match.group(2)
    return None


def display(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 4)
    return json.dumps(str(value), ensure_ascii=False)


def quarantine_rows(suite: Suite, frame: pd.DataFrame | None, outcomes: list[CheckOutcome]):
    """(_load_id, _source_row, reason) of every raw row that breaks a row-level rule whose
    failures stayed within tolerance; a row breaking several rules gets every reason. `frame`
    holds the failing rows of the ROWS frame, indexed by their position in it."""
    reasons: dict[int, list[str]] = {}
    for outcome in outcomes:
        if not outcome.quarantined_count:
            continue
        check, column = outcome.check, outcome.check.columns[0]
        for index in outcome.failing_indexes:
            reasons.setdefault(index, []).append(
                f"{column}: {display(frame.at[index, column])} fails {check.name} "
                f"({check.description})"
            )
    indexes = sorted(reasons)
    return pd.DataFrame(
        {
            "_load_id": frame.loc[indexes, "_load_id"].to_numpy() if indexes else [],
            "_source_row": frame.loc[indexes, "_source_row"].to_numpy() if indexes else [],
            "reason": ["; ".join(reasons[i]) for i in indexes],
        }
    )


def move_to_quarantine(con: duckdb.DuckDBPyConnection, suite: Suite, rows: pd.DataFrame) -> None:
    """Failing rows leave raw for audit.quarantine with their reasons and values; the file's
    audit.load_log entry moves them from loaded to quarantined, so landed = loaded +
    quarantined still holds and a re-delivery of the file replaces them like any other."""
    relation = suite.relation
    data_columns = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where schema_name = 'raw' "
            "and table_name = ? order by column_index",
            [suite.table],
        ).fetchall()
        if name not in LINEAGE
    ]
    original = (
        "json_object("
        + ", ".join(f"{quote_literal(c)}, {quote_ident(c)}::varchar" for c in data_columns)
        + ")"
    )
    con.register("failing_rows", rows)
    try:
        con.execute(
            f"""
            insert into audit.quarantine
            select raw._load_id, ?, raw._source_file, raw._source_row, failing.reason,
                {original}::varchar,
                now()::timestamp
            from {relation} as raw
            inner join failing_rows as failing using (_load_id, _source_row)
            """,
            [suite.table],
        )
        con.execute(
            f"delete from {relation} where (_load_id, _source_row) in "
            "(select (_load_id, _source_row) from failing_rows)"
        )
        con.execute(
            """
            update audit.load_log as log
            set rows_loaded = log.rows_loaded - moved.rows,
                rows_quarantined = log.rows_quarantined + moved.rows,
                message = left(concat_ws('; ', log.message, moved.reasons), 1000)
            from (
                select _load_id, count(*) as rows,
                    string_agg(distinct regexp_replace(reason, '"[^"]*"', '…', 'g'),
                        '; ') as reasons
                from failing_rows group by _load_id
            ) as moved
            where log.load_id = moved._load_id
            """
        )
    finally:
        con.unregister("failing_rows")


def record_results(
    con: duckdb.DuckDBPyConnection, suite: Suite, outcomes: list[CheckOutcome], run_id: str
) -> None:
    rows = pd.DataFrame(
        {
            "run_id": run_id,
            "layer": suite.layer,
            "asset": suite.relation,
            "check_name": [o.check.name for o in outcomes],
            "expectation": [camel_to_snake(o.check.expectation) for o in outcomes],
            "column_name": [", ".join(o.check.columns) or None for o in outcomes],
            "description": [o.check.description for o in outcomes],
            "success": [o.success for o in outcomes],
            "severity": [o.severity for o in outcomes],
            "rows_checked": [o.rows_checked for o in outcomes],
            "failing_count": [o.failing_count for o in outcomes],
            "quarantined_count": [o.quarantined_count for o in outcomes],
            "observed_value": [o.observed_value for o in outcomes],
            "sample_values": [json.dumps(o.samples, ensure_ascii=False) for o in outcomes],
            "message": [o.message for o in outcomes],
        }
    )
    con.register("new_results", rows)
    try:
        con.execute(
            "insert into audit.quality_results by name "
            "select *, now()::timestamp as checked_at from new_results"
        )
    finally:
        con.unregister("new_results")


def camel_to_snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
