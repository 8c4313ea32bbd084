"""Every tunable number of the quality checks, in one place (docs/quality.md explains each).

Change a bound here, not in a suite: the suites read these values when they are built, and the
tests build suites from an instance of their own when they need other bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Thresholds:
    # Row-level rules (raw): a few failing rows are the odd bad record and are quarantined; more
    # than both of these in one increment is a systemic break (a source changed its scale or
    # format), which fails the check and blocks downstream with every row left where it is.
    quarantine_tolerance_rows: int = 5
    quarantine_tolerance_share: float = 0.05

    # Timestamps may run ahead of the checking clock by this much (clock skew, time zones);
    # beyond it they are impossible. Before `earliest_event_date` they are placeholder dates.
    future_tolerance: timedelta = timedelta(days=1)
    earliest_event_date: date = date(1990, 1, 1)
    earliest_birth_date: date = date(1900, 1, 1)

    # Share of values that must match a format (emails, phones) or a value set (event types,
    # channels, survey types) in an increment: below it the source has changed, not a row.
    min_valid_share: float = 0.95
    # A blocking share rule fails only on more failing rows than this: in a small increment two
    # surveys naming a quarantined order are 4 % of 48, which says nothing about the source.
    share_tolerance_rows: int = 5

    # Referential coverage: share of new records whose reference (an order's customer, an order
    # item's order) is known or still awaited. A reference to a record that has not arrived yet
    # (a late-arriving dimension: a campaign, a product, a customer) is awaited for this many
    # days of the data's clock after its row's event: it warns, the row flows on, and it is
    # judged again each run; past the grace an unknown reference counts against coverage.
    min_reference_coverage: float = 0.95
    late_reference_grace_days: float = 3.0

    # Volume (the steady daily feeds of data_quality/rules/raw.py): each new file's rows against
    # the median of the previous files delivered under the same name pattern (a daily feed, a
    # weekly backfill). One file outside the ratios warns (a quiet day, a small late file, a
    # header-only re-delivery that retracts a file's rows); the last `volume_collapse_files` of a
    # pattern all below the minimum block: the source collapsed. Checked only once a pattern has
    # `volume_baseline_min_files` earlier files with a median of at least
    # `volume_baseline_min_rows` rows (small feeds vary too much to judge).
    volume_min_ratio: float = 0.1
    volume_max_ratio: float = 20.0
    volume_collapse_files: int = 3
    volume_baseline_files: int = 30
    volume_baseline_min_files: int = 7
    volume_baseline_min_rows: int = 20

    # Freshness: how many days a source's latest event may lag the freshest source in the
    # warehouse ("now" in the data, so a replayed or simulated history is judged fairly).
    freshness_max_lag_days: float = 3.0
    freshness_max_lag_days_by_table: dict[str, float] = field(
        default_factory=lambda: {
            # sparse feeds: a few records a day even for a large business
            "crm__leads": 7.0,
            "support__tickets": 7.0,
            "surveys__responses": 7.0,
            "feedback__reviews": 14.0,
        }
    )

    # Validation streams a table's rows from DuckDB in chunks of at most this many rows, so a
    # first load of every raw row needs the memory of one chunk, not of the table.
    validation_chunk_rows: int = 250_000

    def freshness_max_lag_days_for(self, table: str) -> float:
        return self.freshness_max_lag_days_by_table.get(table, self.freshness_max_lag_days)


THRESHOLDS = Thresholds()
