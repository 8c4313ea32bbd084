"""The audit tables of the quality checks, and the results of a suite written to
audit.quality_results."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from data_quality.checks import Suite
from data_quality.outcomes import CheckOutcome, camel_to_snake

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
