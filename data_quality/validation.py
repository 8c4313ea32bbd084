"""Run the suites: validate each frame of a suite's increment chunk by chunk
(data_quality/tally.py), judge what each check found (outcomes.py), let accepted failures through
(increments.py), quarantine impossible raw rows (quarantine.py), record every result in
audit.quality_results (audit.py) and advance the suite's watermark.

Writes go through the caller's connection, in one transaction per suite: in a Dagster run that is
the run's single writer (orchestration/defs/quality.py).
"""

from __future__ import annotations

import duckdb

from data_quality.audit import AUDIT_DDL, record_results
from data_quality.checks import ROWS, Suite
from data_quality.increments import (
    NEVER,
    accept_failures,
    advance_watermark,
    current_watermark,
    with_way_out,
)
from data_quality.outcomes import NOT_JUDGED, CheckOutcome, judge, not_applicable, not_judged
from data_quality.quarantine import move_to_quarantine, quarantine_rows
from data_quality.tally import validate_frame
from data_quality.thresholds import THRESHOLDS, Thresholds
from sources.load_log import has_load_log


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
