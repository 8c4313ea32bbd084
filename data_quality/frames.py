"""The SQL of the frames the suites validate: a table's rows, and for raw tables its new files,
their volume and the table's freshness. Parameters: $watermark (the end of the rows validated
before) and $table.
"""

from __future__ import annotations

from dataclasses import dataclass

from data_quality.checks import Layer
from data_quality.thresholds import Thresholds


def rows_sql(layer: Layer, table: str, derived: str = "") -> str:
    """A table's rows, with the columns its rules derive (`derived`: ", <sql> as <name>" each):
    for raw and staging the increment, for marts the whole table."""
    if layer == "raw":
        return (
            f"select *{derived} from raw.{table} where _loaded_at > $watermark "
            "order by _load_id, _source_row"
        )
    if layer == "staging":
        return f"select *{derived} from staging.{table} as rows where _loaded_at > $watermark"
    return f"select *{derived} from marts.{table}"


# Tables with an event time: freshness compares each one's latest event with the freshest.
EVENT_COLUMNS = {
    "crm__leads": "created_at",
    "ecommerce__orders": "ordered_at",
    "web__events": "occurred_at",
    "marketing__messages": "occurred_at",
    "support__tickets": "created_at",
    "surveys__responses": "submitted_at",
    "feedback__reviews": "posted_at",
}


# The warehouse's data clock: the latest event of any source ("now" in the data).
DATA_CLOCK_SQL = (
    "select max(latest) as freshest_at from ("
    + " union all ".join(
        f"select max({c}) as latest from raw.{t}" for t, c in EVENT_COLUMNS.items()
    )
    + ")"
)


LOADS_SQL = """
    select
        source_file,
        rows_landed,
        case
            when status = 'unreadable' then 'unreadable: ' || message
            when rows_landed = 0 then 'empty (no rows: its earlier version, if any, is retracted)'
            when rows_loaded = 0 then 'every row quarantined: ' || coalesce(message, '')
            else 'loaded'
        end as outcome
    from audit.load_log
    where source_table = $table and superseded_at is null and loaded_at > $watermark
    order by source_file
"""


def freshness_sql(table: str, column: str) -> str:
    return f"""
        with
            freshest as ({DATA_CLOCK_SQL}),
            latest as (select max({column}) as latest_event_at from raw.{table})
        select
            '{table}' as source_table,
            latest_event_at,
            freshest_at,
            date_diff('minute', latest_event_at, freshest_at) / 1440.0 as lag_days
        from latest cross join freshest
    """


def volume_sql(t: Thresholds) -> str:
    """New files of the table against the median rows of the files delivered before them under
    the same name pattern (digits masked: `2025-01-09.csv` and `2025-01-10.csv` are one daily
    feed, `late-orders-7.csv` another), and the largest of the pattern's last few files against
    that median (a collapse lasts; a quiet day or a small late file does not)."""
    return f"""
        with files as (
            select source_file, rows_landed, loaded_at,
                regexp_replace(source_file, '[0-9]', '#', 'g') as delivery_pattern
            from audit.load_log
            where source_table = $table and superseded_at is null
        ),
        recent as (
            select *,
                max(rows_landed) over (
                    partition by delivery_pattern order by loaded_at, source_file
                    rows between {t.volume_collapse_files - 1} preceding and current row
                ) as recent_max_rows
            from files
        ),
        earlier as (
            select delivery_pattern, rows_landed,
                row_number() over (
                    partition by delivery_pattern order by loaded_at desc, source_file desc
                ) as recency
            from files where loaded_at <= $watermark
        ),
        baseline as (
            select delivery_pattern, median(rows_landed) as median_rows, count(*) as files
            from earlier where recency <= {t.volume_baseline_files}
            group by delivery_pattern
        )
        select
            recent.source_file,
            recent.rows_landed,
            baseline.median_rows as baseline_median_rows,
            recent.rows_landed / baseline.median_rows as rows_vs_baseline,
            recent.recent_max_rows / baseline.median_rows as recent_rows_vs_baseline
        from recent inner join baseline using (delivery_pattern)
        where recent.loaded_at > $watermark
            and baseline.files >= {t.volume_baseline_min_files}
            and baseline.median_rows >= {t.volume_baseline_min_rows}
        order by recent.source_file
    """


# The state of one reference, as a coverage frame's `<name>_reference` column holds it (null
# when a row references nothing): the record is known; it is not, but the row is younger than
# the grace period (a late-arriving dimension: the row flows on and is judged again next run);
# or it is still unknown past the grace period.
KNOWN, AWAITED, MISSING = "known", "awaited", "missing"


@dataclass(frozen=True)
class Reference:
    """A staging column naming a record of another source table (its staging model's `key`,
    by default the column's own name); `event_at` dates the referencing row."""

    column: str
    source_table: str  # e.g. ecommerce__customers
    event_at: str | None = None
    key: str | None = None

    @property
    def state_column(self) -> str:
        return f"{self.column}_reference"

    def state_sql(self, grace_days: float) -> str:
        """The reference's state. A row is dated on the warehouse's data clock (the latest event
        of any source), so a replayed history is judged as it was delivered; a row without an
        event time (an order line whose order is unknown) is dated by when it was loaded."""
        grace = f"interval ({grace_days * 86400:.0f}) second"
        young = f"rows._loaded_at >= now()::timestamp - {grace}"
        if self.event_at:
            young = f"coalesce(rows.{self.event_at} >= ({DATA_CLOCK_SQL}) - {grace}, {young})"
        return (
            f", case when rows.{self.column} is null then null "
            f"when rows.{self.column} in "
            f"(select {self.key or self.column} from staging.stg_{self.source_table}) "
            f"then '{KNOWN}' when {young} then '{AWAITED}' else '{MISSING}' end "
            f"as {self.state_column}"
        )
