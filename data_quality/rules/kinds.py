"""The kinds of rule the rule tables (raw.py, staging.py, marts.py beside this file) are written
in: one constructor per kind, each returning a Rule.

A Rule becomes a Check when the suites are built, so its bounds are taken then from the
thresholds and the clock (a timestamp "at most a day ahead" moves with the day). A rule that
reads a column its table does not have (a trimmed code, a flag, the state of a reference)
derives it in the table's rows frame; a rule on a frame other than the rows (raw files, loads,
freshness) brings that frame's SQL. Rules on a raw or staging increment tolerate a small share
of odd values (`mostly=VALID_SHARE`: Thresholds.min_valid_share); mart rules judge every row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from data_quality.checks import FILES, FRESHNESS, LOADS, Check, Severity
from data_quality.frames import (
    AWAITED,
    EVENT_COLUMNS,
    KNOWN,
    LOADS_SQL,
    Reference,
    freshness_sql,
    volume_sql,
)
from data_quality.thresholds import Thresholds

BETWEEN = "ExpectColumnValuesToBeBetween"
IN_SET = "ExpectColumnValuesToBeInSet"
MATCH = "ExpectColumnValuesToMatchRegex"
NOT_NULL = "ExpectColumnValuesToNotBeNull"
VALID_SHARE = "min_valid_share"  # `mostly`: Thresholds.min_valid_share, read when suites are built


@dataclass(frozen=True)
class Scope:
    """What a rule's bounds are taken from when the suites are built."""

    table: str
    thresholds: Thresholds
    now: datetime


@dataclass(frozen=True)
class Rule:
    """One line of a rule table; `check` makes it a Check when the suites are built."""

    check: Callable[[Scope], Check]
    derives: Callable[[Scope], str] | None = None  # ", <sql> as <column>" for the rows frame
    frame_sql: Callable[[Scope], str] | None = None  # its frame's SQL when not the rows frame


@dataclass(frozen=True)
class Code:
    """A code column lower-cased and trimmed as staging will read it, derived in the rows frame."""

    column: str
    name: str

    def sql(self, scope: Scope) -> str:
        return f", lower(trim({self.column})) as {self.name}"


def code(column: str, name: str | None = None) -> Code:
    return Code(column, name or f"{column}_kind")


def midnight(day: date) -> datetime:
    """Dates as naive datetimes: DuckDB dates arrive in pandas as datetime64 values."""
    return datetime.combine(day, datetime.min.time())


def tolerance(mostly: float | str | None, thresholds: Thresholds) -> dict[str, float]:
    """GX's `mostly` argument: none (every row must pass), a share, or VALID_SHARE."""
    if mostly is None:
        return {}
    return {"mostly": thresholds.min_valid_share if mostly == VALID_SHARE else mostly}


def bounds(min_value: Any = None, max_value: Any = None) -> dict[str, Any]:
    return {k: v for k, v in (("min_value", min_value), ("max_value", max_value)) if v is not None}


def expect(
    name: str,
    expectation: str,
    description: str,
    arguments: dict[str, Any],
    severity: Severity = "error",
    *,
    mostly: float | str | None = None,
    derives: Callable[[Scope], str] | None = None,
    quarantine: bool = False,
) -> Rule:
    """Any GX expectation judged row by row on the rows frame (the other kinds are shorthands)."""

    def check(scope: Scope) -> Check:
        arguments_now = {**arguments, **tolerance(mostly, scope.thresholds)}
        return Check(name, expectation, arguments_now, description, severity, quarantine)

    return Rule(check, derives)


# Rules on values.


def between(
    name: str,
    column: str,
    description: str,
    severity: Severity = "error",
    *,
    min_value: Any = None,
    max_value: Any = None,
    mostly: float | str | None = None,
) -> Rule:
    arguments = {"column": column, **bounds(min_value, max_value)}
    return expect(name, BETWEEN, description, arguments, severity, mostly=mostly)


def impossible(
    name: str,
    column: str,
    description: str,
    *,
    min_value: Any = None,
    max_value: Any = None,
    row_condition: str | None = None,
) -> Rule:
    """A row-level rule: a value outside these bounds cannot be true. A few failing rows are
    quarantined; more than Thresholds.quarantine_tolerance_* block (the source changed).
    `row_condition` (pandas syntax) limits the rule to some rows."""
    arguments = {"column": column, **bounds(min_value, max_value)}
    if row_condition:
        arguments |= {"row_condition": row_condition, "condition_parser": "pandas"}
    return expect(name, BETWEEN, description, arguments, quarantine=True)


def event_time(column: str) -> Rule:
    """An impossible event time: too far ahead of the checking clock, or a placeholder date."""

    def check(scope: Scope) -> Check:
        t = scope.thresholds
        latest = (scope.now + t.future_tolerance).replace(tzinfo=None)
        return Check(
            f"{column}_plausible",
            BETWEEN,
            {"column": column, "min_value": midnight(t.earliest_event_date), "max_value": latest},
            f"{column} is at most {t.future_tolerance.days} day(s) ahead of the checking clock "
            f"and not before {t.earliest_event_date.isoformat()}",
            quarantine=True,
        )

    return Rule(check)


def birth_date(column: str, description: str, *, mostly: float | str | None = None) -> Rule:
    """Birth dates between Thresholds.earliest_birth_date and today; warns."""

    def check(scope: Scope) -> Check:
        arguments = {
            "column": column,
            "min_value": midnight(scope.thresholds.earliest_birth_date),
            "max_value": midnight(scope.now.date()),
            **tolerance(mostly, scope.thresholds),
        }
        return Check(f"{column}_plausible", BETWEEN, arguments, description, "warn")

    return Rule(check)


def not_in_future(name: str, column: str, description: str) -> Rule:
    """Timestamps at most Thresholds.future_tolerance ahead of the checking clock; warns."""

    def check(scope: Scope) -> Check:
        latest = (scope.now + scope.thresholds.future_tolerance).replace(tzinfo=None)
        return Check(name, BETWEEN, {"column": column, "max_value": latest}, description, "warn")

    return Rule(check)


def in_set(
    name: str,
    column: str | Code,
    values: tuple[str, ...],
    description: str,
    severity: Severity = "error",
) -> Rule:
    """Values from a set, in at least Thresholds.min_valid_share of the rows."""
    derives = column.sql if isinstance(column, Code) else None
    column = column.name if isinstance(column, Code) else column
    arguments = {"column": column, "value_set": list(values)}
    return expect(
        name, IN_SET, description, arguments, severity, mostly=VALID_SHARE, derives=derives
    )


def matches(
    name: str,
    column: str,
    regex: str,
    description: str,
    severity: Severity = "error",
    *,
    mostly: float | str | None = VALID_SHARE,
) -> Rule:
    """Values in a format (a regular expression)."""
    arguments = {"column": column, "regex": regex}
    return expect(name, MATCH, description, arguments, severity, mostly=mostly)


def not_null(
    name: str,
    column: str,
    description: str,
    severity: Severity = "error",
    *,
    mostly: float | str | None = VALID_SHARE,
) -> Rule:
    return expect(name, NOT_NULL, description, {"column": column}, severity, mostly=mostly)


def ordered(
    name: str, later: str, earlier: str, description: str, severity: Severity = "warn"
) -> Rule:
    """Time order (or any order) of two columns, where both are present."""
    arguments = {
        "column_A": later,
        "column_B": earlier,
        "or_equal": True,
        "ignore_row_if": "either_value_is_missing",
    }
    return expect(
        name, "ExpectColumnPairValuesAToBeGreaterThanB", description, arguments, severity,
        mostly=VALID_SHARE,
    )  # fmt: skip


def unique(*columns: str) -> Rule:
    """A record is not repeated within the new files; warns (staging keeps the latest copy)."""
    description = (
        f"{', '.join(columns)} identifies a record within the new files (duplicates are "
        "resent rows; staging keeps the latest, a high share means a file came twice)"
    )
    if len(columns) > 1:
        kind, arguments = "ExpectCompoundColumnsToBeUnique", {"column_list": list(columns)}
    else:
        kind, arguments = "ExpectColumnValuesToBeUnique", {"column": columns[0]}
    return expect(
        f"{'_'.join(columns)}_unique", kind, description, arguments, "warn", mostly=VALID_SHARE
    )


# Staging: what cleaning made of the values, and references between sources.


def normalises(column: str, description: str) -> Rule:
    """Delivered values of `column` survive staging's normalisation (the staging model keeps the
    delivered value as `<column>_raw` and a normalised one, null when it could not be read)."""
    flag = f"has_valid_{column}"

    def derives(scope: Scope) -> str:
        return f", case when {column}_raw is not null then {column} is not null end as {flag}"

    arguments = {"column": flag, "value_set": [True]}
    return expect(
        f"{column}_normalises", IN_SET, description, arguments, mostly=VALID_SHARE, derives=derives
    )


def covered(name: str, reference: Reference, description: str) -> Rule:
    """Referential coverage: the share of references that name a known record or one that may
    still arrive; only references missing past the grace period fail."""

    def check(scope: Scope) -> Check:
        t = scope.thresholds
        return Check(
            name,
            IN_SET,
            {
                "column": reference.state_column,
                "value_set": [KNOWN, AWAITED],
                "mostly": t.min_reference_coverage,
            },
            f"{description} (or arrive within {t.late_reference_grace_days:g} days)",
            context=(reference.column,),
            references=reference.source_table,
        )

    def derives(scope: Scope) -> str:
        return reference.state_sql(scope.thresholds.late_reference_grace_days)

    return Rule(check, derives)


# Raw deliveries: each new file, the volume of a steady feed, the freshness of an event table.


def file_loaded() -> Rule:
    def check(scope: Scope) -> Check:
        return Check(
            "file_loaded",
            IN_SET,
            {"column": "outcome", "value_set": ["loaded"]},
            "every new file loaded rows: none was unreadable, empty or wholly quarantined by "
            "the loader (warns, naming the file)",
            "warn",
            frame=LOADS,
        )

    return Rule(check, frame_sql=lambda scope: LOADS_SQL)


def file_volume() -> Rule:
    """One file far smaller or larger than the files before it under its name pattern warns."""

    def check(scope: Scope) -> Check:
        t = scope.thresholds
        return Check(
            "file_volume",
            BETWEEN,
            {
                "column": "rows_vs_baseline",
                "min_value": t.volume_min_ratio,
                "max_value": t.volume_max_ratio,
            },
            f"every new file has {t.volume_min_ratio:g}-{t.volume_max_ratio:g} times the "
            f"median rows of the previous {t.volume_baseline_files} files delivered under "
            "its name pattern (a quiet day, a small late file or a backfill warns)",
            "warn",
            frame=FILES,
        )

    return Rule(check, frame_sql=lambda scope: volume_sql(scope.thresholds))


def volume_collapse() -> Rule:
    """The last few files of a name pattern all far smaller than before block."""

    def check(scope: Scope) -> Check:
        t = scope.thresholds
        return Check(
            "volume_collapse",
            BETWEEN,
            {"column": "recent_rows_vs_baseline", "min_value": t.volume_min_ratio},
            f"the source has not collapsed: of the last {t.volume_collapse_files} files "
            "delivered under a name pattern, at least one has "
            f"{t.volume_min_ratio:g} times the median rows of the files before",
            frame=FILES,
        )

    return Rule(check, frame_sql=lambda scope: volume_sql(scope.thresholds))


def freshness() -> Rule:
    """The table's latest event (its column in frames.EVENT_COLUMNS) against the freshest source
    in the warehouse; warns."""

    def check(scope: Scope) -> Check:
        max_lag = scope.thresholds.freshness_max_lag_days_for(scope.table)
        return Check(
            "freshness",
            BETWEEN,
            {"column": "lag_days", "max_value": max_lag},
            f"the latest {EVENT_COLUMNS[scope.table]} is at most {max_lag:g} days behind the "
            "freshest source in the warehouse",
            "warn",
            frame=FRESHNESS,
        )

    return Rule(check, frame_sql=lambda s: freshness_sql(s.table, EVENT_COLUMNS[s.table]))


# Marts: sanity of the whole table; every mart rule warns.


def share(*columns: str) -> list[Rule]:
    return [
        between(f"{c}_is_share", c, f"{c} is between 0 and 1", "warn", min_value=0, max_value=1)
        for c in columns
    ]


def not_negative(*columns: str) -> list[Rule]:
    return [between(f"{c}_not_negative", c, f"{c} is >= 0", "warn", min_value=0) for c in columns]


def score(column: str, low: float, high: float, what: str) -> Rule:
    description = f"{what} is {low:g} to {high:g}"
    return between(f"{column}_in_range", column, description, "warn", min_value=low, max_value=high)
