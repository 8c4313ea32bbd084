"""The expectation suites: one per raw table, staging model and public mart, built from the rule
tables in data_quality/rules/ (raw.py, staging.py, marts.py: which rules each table has).

A suite names the DataFrames it validates (`frames`: SQL run against the warehouse, see
data_quality/frames.py) and its checks. Each check is one Great Expectations expectation and one
Dagster asset check.

Layers and what a failure means:
- raw: the rows loaded since the table was last validated (the increment). Row-level rules
  (`quarantine=True`: impossible values) move failing rows to audit.quarantine; too many of them,
  and every other error-severity rule, block downstream assets.
- staging: the increment of each model (rows whose raw row was loaded since the last
  validation): referential coverage, formats, time order. Error-severity failures block.
- marts: the whole table, every run; failures warn, never block.

dbt tests stay the structural layer (keys unique and not null, relationships, accepted values).
"""

from __future__ import annotations

from datetime import UTC, datetime

from data_quality.checks import LAYERS, ROWS, Layer, Suite
from data_quality.frames import rows_sql
from data_quality.rules.kinds import Rule, Scope
from data_quality.rules.marts import MART_FRAMES, MART_RULES
from data_quality.rules.raw import RAW_RULES
from data_quality.rules.staging import STAGING_RULES
from data_quality.thresholds import THRESHOLDS, Thresholds

RULES: dict[Layer, dict[str, list[Rule]]] = {
    "raw": RAW_RULES,
    "staging": STAGING_RULES,
    "marts": MART_RULES,
}


def quality_suites(
    layer: Layer, thresholds: Thresholds = THRESHOLDS, now: datetime | None = None
) -> list[Suite]:
    """Every suite of one layer, with bounds relative to the clock `now` (by default, now)."""
    if layer not in RULES:
        raise ValueError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
    now = now or datetime.now(UTC)
    return [
        build_suite(layer, table, rules, Scope(table, thresholds, now))
        for table, rules in RULES[layer].items()
    ]


def build_suite(layer: Layer, table: str, rules: list[Rule], scope: Scope) -> Suite:
    """The suite of one table: its rules' checks, and the frames they read (the table's rows,
    with the columns its rules derive, first)."""
    checks = tuple(rule.check(scope) for rule in rules)
    derived = "".join(dict.fromkeys(rule.derives(scope) for rule in rules if rule.derives))
    own_query = MART_FRAMES.get(table) if layer == "marts" else None
    frames = {ROWS: own_query or rows_sql(layer, table, derived)}
    for rule, check in zip(rules, checks, strict=True):
        if rule.frame_sql:
            frames.setdefault(check.frame, rule.frame_sql(scope))
    return Suite(
        layer,
        table,
        frames,
        checks,
        incremental=layer != "marts",
        description=f"{layer}.{table}",
    )
