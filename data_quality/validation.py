"""Run the suites: read each frame from DuckDB into pandas, validate it with Great Expectations,
quarantine impossible raw rows, and record every result in audit.quality_results.

GX's SQL datasource does not work on DuckDB, so frames are pandas DataFrames validated through one
ephemeral GX context per process (its import costs seconds; it happens on first use).

Writes go through the caller's connection, in one transaction per suite: in a Dagster run that is
the run's single writer (orchestration/defs/quality.py).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pandas as pd

from data_quality.suites import ROWS, Check, Suite
from data_quality.thresholds import THRESHOLDS, Thresholds
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
create table if not exists audit.quality_watermarks (
    asset varchar primary key,
    validated_through timestamp not null,
    run_id varchar not null,
    updated_at timestamp not null
);
"""

NEVER = datetime(1970, 1, 1)
SAMPLE_SIZE = 5
LINEAGE = ("_source_file", "_source_row", "_load_id", "_loaded_at")


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

    @property
    def asset(self) -> str:
        return self.suite.relation


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

    gx_suite = gx.ExpectationSuite(name=f"{suite.relation}.{checks[0].frame}")
    for check in checks:
        expectation_class = getattr(gxe, check.expectation)
        gx_suite.add_expectation(expectation_class(**check.arguments, meta={"check": check.name}))
    return gx_suite


def validate_frame(suite: Suite, checks: list[Check], frame: pd.DataFrame) -> dict[str, dict]:
    """GX's result for each check, by check name: its `result` dict, or the exception raised."""
    validation = (
        gx_batch_definition()
        .get_batch(batch_parameters={"dataframe": frame})
        .validate(gx_suite(suite, checks), result_format={"result_format": "COMPLETE"})
    )
    results = {}
    for result in validation.results:
        name = result.expectation_config.meta["check"]
        error = gx_exception(result.exception_info or {})
        if error:
            results[name] = {"exception": error}
        else:
            results[name] = dict(result.result, success=result.success)
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
    frames = {
        name: con.execute(sql, {k: v for k, v in parameters.items() if f"${k}" in sql})
        .df()
        .reset_index(drop=True)
        for name, sql in suite.frames.items()
    }
    outcomes = []
    for frame_name, frame in frames.items():
        checks = [check for check in suite.checks if check.frame == frame_name]
        if not checks:
            continue
        results = validate_frame(suite, checks, frame) if len(frame) else {}
        outcomes += [
            judge(suite, check, frame, results.get(check.name), thresholds) for check in checks
        ]

    con.execute("begin transaction")
    try:
        if any(outcome.quarantined_count for outcome in outcomes):
            move_to_quarantine(con, suite, quarantine_rows(suite, frames[ROWS], outcomes))
        record_results(con, suite, outcomes, run_id)
        blocked = any(o.severity == "error" for o in outcomes)
        if suite.incremental and not blocked:
            advance_watermark(con, suite, run_id)
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


def advance_watermark(con: duckdb.DuckDBPyConnection, suite: Suite, run_id: str) -> None:
    """Everything loaded so far has been validated; a failed increment is checked again next run."""
    if suite.layer == "raw":
        latest = "select max(loaded_at) from audit.load_log where source_table = ?"
        parameters = [suite.table]
    else:
        latest, parameters = f"select max(_loaded_at) from {suite.relation}", []
    through = con.execute(latest, parameters).fetchone()[0]
    if through is None:
        return
    con.execute(
        "insert or replace into audit.quality_watermarks values (?, ?, ?, now()::timestamp)",
        [suite.relation, through, run_id],
    )


def judge(
    suite: Suite,
    check: Check,
    frame: pd.DataFrame,
    result: dict | None,
    thresholds: Thresholds,
) -> CheckOutcome:
    """Turn GX's result into an outcome: a verdict, a severity and a message naming the table,
    the expectation and sample bad values."""
    head = f"{suite.relation}: {check.name} ({camel_to_snake(check.expectation)}: "
    head += f"{check.description})"
    outcome = functools.partial(CheckOutcome, suite, check)
    if result is None:  # an empty frame: nothing new, or too little history to judge
        note = "no new rows" if check.frame == ROWS else f"no {check.frame} to judge yet"
        return outcome(True, None, 0, 0, 0, note, [], f"{head}: {note}")
    if "exception" in result:
        message = f"{head} could not be evaluated: {result['exception']}"
        return outcome(False, check.severity, len(frame), 0, 0, "error", [], message)

    failing = int(result.get("unexpected_count") or 0)
    checked = int(result.get("element_count") or len(frame))
    indexes = tuple(result.get("unexpected_index_list") or ())
    observed = observed_value(result, failing, checked)
    samples = sample_values(check, frame, indexes)
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
    if result["success"] or too_few_to_block:
        within = f" ({failing} within tolerance{example})" if failing else ""
        return outcome(True, None, *found, 0, observed, samples, f"{head}: passed{within}")
    message = f"{head}: failed, {observed}{example}"
    return outcome(False, check.severity, *found, 0, observed, samples, message)


def observed_value(result: dict, failing: int, checked: int) -> str:
    if result.get("observed_value") is not None:
        return str(result["observed_value"])
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


def display(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "null"
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 4)
    return json.dumps(str(value), ensure_ascii=False)


def quarantine_rows(suite: Suite, frame: pd.DataFrame | None, outcomes: list[CheckOutcome]):
    """(_load_id, _source_row, reason) of every raw row that breaks a row-level rule whose
    failures stayed within tolerance; a row breaking several rules gets every reason."""
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
