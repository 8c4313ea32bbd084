"""What each check found, judged: a verdict, a severity and a message naming the table, the
expectation and sample bad values. Row-level raw rules within tolerance quarantine their rows;
references not delivered yet are awaited, not missing."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from data_quality.checks import ROWS, Check, Suite
from data_quality.samples import display
from data_quality.tally import Tally
from data_quality.thresholds import Thresholds

NOT_JUDGED = "not judged"
NOT_APPLICABLE = "not applicable"


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


def camel_to_snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
