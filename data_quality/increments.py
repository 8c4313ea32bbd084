"""What each incremental suite has validated (audit.quality_watermarks) and the blocking failures
people accepted (`binesh accept`, audit.quality_acceptances)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import duckdb

from data_quality.audit import AUDIT_DDL
from data_quality.checks import Suite
from data_quality.outcomes import NOT_JUDGED, CheckOutcome

NEVER = datetime(1970, 1, 1)


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
