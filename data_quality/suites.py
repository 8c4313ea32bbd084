"""The expectation suites, in code: one per raw table, staging model and public mart.

A suite names the DataFrames it validates (`frames`: SQL run against the warehouse) and its
checks. Each check is one Great Expectations expectation and one Dagster asset check; it is
declared here by the name of its GX class and its arguments, so that declaring suites (which
Dagster does when it loads the definitions) does not import GX (3-7 s); data_quality/validation.py
builds the GX objects when it validates.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from data_quality.thresholds import THRESHOLDS, Thresholds

Layer = Literal["raw", "staging", "marts"]
Severity = Literal["error", "warn"]
LAYERS: tuple[Layer, ...] = ("raw", "staging", "marts")

ROWS = "rows"  # the frame of a table's own rows; raw quarantine works on this frame only
FILES = "files"  # raw: one row per newly loaded file, with its volume against the baseline
FRESHNESS = "freshness"  # raw: one row, the table's latest event against the freshest source
LOADS = "loads"  # raw: one row per newly loaded file version, with what the loader made of it


@dataclass(frozen=True)
class Check:
    """One rule: a GX expectation over one frame of a suite, reported as one asset check."""

    name: str
    expectation: str  # GX expectation class, e.g. "ExpectColumnValuesToBeBetween"
    arguments: Mapping[str, Any]
    description: str
    severity: Severity = "error"
    quarantine: bool = False  # row-level: failing raw rows move to audit.quarantine
    frame: str = ROWS
    context: tuple[str, ...] = ()  # more frame columns shown beside failing values
    # Referential coverage: the raw table of the records referenced. A business that delivers
    # none of them makes the rule not applicable; references not known yet may be awaited.
    references: str | None = None

    @property
    def columns(self) -> list[str]:
        """The frame columns whose values a failure shows as samples."""
        args = self.arguments
        if "column" in args:
            return [args["column"]]
        if "column_A" in args:
            return [args["column_A"], args["column_B"]]
        return list(args.get("column_list", []))


@dataclass(frozen=True)
class Suite:
    layer: Layer
    table: str
    frames: Mapping[str, str]  # frame name -> SQL; parameters $watermark and $table
    checks: tuple[Check, ...]
    incremental: bool = True  # validate only rows loaded after the table's watermark
    description: str = ""

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def asset_path(self) -> list[str]:
        return [self.layer, self.table]


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


@dataclass
class _Rules:
    """Small builders so that each suite below reads as a list of rules."""

    thresholds: Thresholds
    now: datetime
    checks: list[Check] = field(default_factory=list)

    def add(self, name, expectation, description, severity="error", **arguments) -> None:
        quarantine = arguments.pop("quarantine", False)
        frame = arguments.pop("frame", ROWS)
        context = tuple(arguments.pop("context", ()))
        references = arguments.pop("references", None)
        self.checks.append(
            Check(
                name,
                expectation,
                arguments,
                description,
                severity,
                quarantine,
                frame,
                context,
                references,
            )
        )

    def between(self, name, column, description, *, min_value=None, max_value=None, **kw):
        args = {
            k: v for k, v in (("min_value", min_value), ("max_value", max_value)) if v is not None
        }
        self.add(name, "ExpectColumnValuesToBeBetween", description, column=column, **args, **kw)

    def impossible_values(self, name, column, description, **bounds) -> None:
        """A row-level rule: a value outside these bounds cannot be true; the row is quarantined."""
        self.between(name, column, description, quarantine=True, **bounds)

    def event_time(self, column: str) -> None:
        t = self.thresholds
        latest = (self.now + t.future_tolerance).replace(tzinfo=None)
        self.impossible_values(
            f"{column}_plausible",
            column,
            f"{column} is at most {t.future_tolerance.days} day(s) ahead of the checking clock "
            f"and not before {t.earliest_event_date.isoformat()}",
            min_value=midnight(t.earliest_event_date),
            max_value=latest,
        )

    def in_set(self, name, column, values, description, severity="error", **kw) -> None:
        self.add(
            name,
            "ExpectColumnValuesToBeInSet",
            description,
            severity,
            column=column,
            value_set=list(values),
            mostly=self.thresholds.min_valid_share,
            **kw,
        )

    def matches(self, name, column, regex, description, severity="error") -> None:
        self.add(
            name,
            "ExpectColumnValuesToMatchRegex",
            description,
            severity,
            column=column,
            regex=regex,
            mostly=self.thresholds.min_valid_share,
        )

    def covered(self, name, reference: Reference, description) -> None:
        """Referential coverage: the share of references that name a known record or one that
        may still arrive (REFERENCE_STATES); only references missing past the grace fail."""
        self.add(
            name,
            "ExpectColumnValuesToBeInSet",
            f"{description} (or arrive within {self.thresholds.late_reference_grace_days:g} days)",
            column=reference.state_column,
            context=[reference.column],
            value_set=[KNOWN, AWAITED],
            mostly=self.thresholds.min_reference_coverage,
            references=reference.source_table,
        )

    def ordered(self, name, later, earlier, description, severity="warn") -> None:
        self.add(
            name,
            "ExpectColumnPairValuesAToBeGreaterThanB",
            description,
            severity,
            column_A=later,
            column_B=earlier,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            mostly=self.thresholds.min_valid_share,
        )

    def unique_in_increment(self, columns: list[str]) -> None:
        description = (
            f"{', '.join(columns)} identifies a record within the new files (duplicates are "
            "resent rows; staging keeps the latest, a high share means a file came twice)"
        )
        kind = (
            "ExpectCompoundColumnsToBeUnique"
            if len(columns) > 1
            else "ExpectColumnValuesToBeUnique"
        )
        args = {"column_list": columns} if len(columns) > 1 else {"column": columns[0]}
        self.add(
            f"{'_'.join(columns)}_unique",
            kind,
            description,
            "warn",
            mostly=self.thresholds.min_valid_share,
            **args,
        )


def midnight(day: date) -> datetime:
    """Dates as naive datetimes: DuckDB dates arrive in pandas as datetime64 values."""
    return datetime.combine(day, datetime.min.time())


EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
CURRENCY_PATTERN = r"^\s*[A-Za-z]{3}\s*$"
WEB_EVENT_TYPES = (
    "page_view", "product_view", "search", "add_to_cart", "remove_from_cart", "checkout",
    "purchase", "sign_up", "login",
)  # fmt: skip
MESSAGE_EVENT_TYPES = ("sent", "delivered", "bounced", "opened", "clicked", "unsubscribed")
ORDER_CHANNELS = ("web", "app", "store")
TICKET_CHANNELS = ("phone", "chat", "email")
SURVEY_TYPES = ("nps", "csat")


def raw_suites(thresholds: Thresholds = THRESHOLDS, now: datetime | None = None) -> list[Suite]:
    now = now or datetime.now(UTC)
    t = thresholds

    def suite(table: str, build, event_column: str | None = None, derived: str = "") -> Suite:
        rules = _Rules(t, now)
        build(rules)
        frames = {
            ROWS: f"select *{derived} from raw.{table} where _loaded_at > $watermark "
            "order by _load_id, _source_row"
        }
        frames[LOADS] = LOADS_SQL
        rules.add(
            "file_loaded",
            "ExpectColumnValuesToBeInSet",
            "every new file loaded rows: none was unreadable, empty or wholly quarantined by "
            "the loader (warns, naming the file)",
            "warn",
            column="outcome",
            value_set=["loaded"],
            frame=LOADS,
        )
        if table in t.volume_tables:
            frames[FILES] = volume_sql(t)
            rules.between(
                "file_volume",
                "rows_vs_baseline",
                f"every new file has {t.volume_min_ratio:g}-{t.volume_max_ratio:g} times the "
                f"median rows of the previous {t.volume_baseline_files} files delivered under "
                "its name pattern (a quiet day, a small late file or a backfill warns)",
                min_value=t.volume_min_ratio,
                max_value=t.volume_max_ratio,
                severity="warn",
                frame=FILES,
            )
            rules.between(
                "volume_collapse",
                "recent_rows_vs_baseline",
                f"the source has not collapsed: of the last {t.volume_collapse_files} files "
                "delivered under a name pattern, at least one has "
                f"{t.volume_min_ratio:g} times the median rows of the files before",
                min_value=t.volume_min_ratio,
                frame=FILES,
            )
        if event_column:
            frames[FRESHNESS] = freshness_sql(table, event_column)
            max_lag = t.freshness_max_lag_days_for(table)
            rules.between(
                "freshness",
                "lag_days",
                f"the latest {event_column} is at most {max_lag:g} days behind the freshest "
                "source in the warehouse",
                max_value=max_lag,
                severity="warn",
                frame=FRESHNESS,
            )
        return Suite("raw", table, frames, tuple(rules.checks), description=f"raw.{table}")

    def contacts(r: _Rules) -> None:
        r.matches("email_format", "email", EMAIL_PATTERN, "emails look like name@domain.tld")
        r.between(
            "date_of_birth_plausible",
            "date_of_birth",
            "birth dates lie between 1900 and today (staging drops implausible ones)",
            min_value=midnight(t.earliest_birth_date),
            max_value=midnight(now.date()),
            mostly=t.min_valid_share,
            severity="warn",
        )
        r.event_time("created_at")
        r.event_time("updated_at")

    def leads(r: _Rules) -> None:
        r.matches("email_format", "email", EMAIL_PATTERN, "emails look like name@domain.tld")
        r.event_time("created_at")
        r.event_time("converted_at")

    def customers(r: _Rules) -> None:
        r.matches("email_format", "email", EMAIL_PATTERN, "emails look like name@domain.tld")
        r.between(
            "date_of_birth_plausible",
            "date_of_birth",
            "birth dates lie between 1900 and today (staging drops implausible ones)",
            min_value=midnight(t.earliest_birth_date),
            max_value=midnight(now.date()),
            mostly=t.min_valid_share,
            severity="warn",
        )
        r.event_time("created_at")

    def orders(r: _Rules) -> None:
        r.impossible_values("amount_not_negative", "amount", "amounts are >= 0", min_value=0)
        r.impossible_values(
            "discount_not_negative", "discount_amount", "discounts are >= 0", min_value=0
        )
        r.event_time("ordered_at")
        r.in_set("channel_known", "channel_kind", ORDER_CHANNELS, "channel is web, app or store")
        r.matches(
            "currency_code", "currency", CURRENCY_PATTERN, "currency is an ISO 4217 code", "warn"
        )
        r.unique_in_increment(["order_id"])

    def order_items(r: _Rules) -> None:
        r.impossible_values(
            "quantity_positive", "quantity", "quantities are at least 1", min_value=1
        )
        r.impossible_values(
            "unit_price_not_negative", "unit_price", "unit prices are >= 0", min_value=0
        )
        r.unique_in_increment(["order_id", "product_id"])

    def products(r: _Rules) -> None:
        r.impossible_values("price_not_negative", "price", "prices are >= 0", min_value=0)

    def events(r: _Rules) -> None:
        r.event_time("occurred_at")
        r.in_set(
            "event_type_known",
            "event_type_kind",
            WEB_EVENT_TYPES,
            f"event_type is one of {', '.join(WEB_EVENT_TYPES)}",
        )
        r.unique_in_increment(["event_id"])

    def campaigns(r: _Rules) -> None:
        r.ordered("ends_after_start", "ended_at", "started_at", "a campaign ends after it starts")

    def messages(r: _Rules) -> None:
        r.event_time("occurred_at")
        r.in_set(
            "event_type_known",
            "event_type_kind",
            MESSAGE_EVENT_TYPES,
            f"event_type is one of {', '.join(MESSAGE_EVENT_TYPES)}",
        )
        r.unique_in_increment(["message_id"])

    def tickets(r: _Rules) -> None:
        r.impossible_values(
            "csat_score_in_range", "csat_score", "CSAT scores are 1-5", min_value=1, max_value=5
        )
        r.impossible_values(
            "queue_seconds_not_negative", "queue_seconds", "queue times are >= 0", min_value=0
        )
        r.event_time("created_at")
        r.in_set(
            "channel_known", "channel_kind", TICKET_CHANNELS, "channel is phone, chat or email"
        )
        r.ordered(
            "resolved_after_created", "resolved_at", "created_at", "tickets resolve after creation"
        )

    def responses(r: _Rules) -> None:
        r.impossible_values(
            "nps_score_in_range",
            "score",
            "NPS scores are 0-10",
            min_value=0,
            max_value=10,
            row_condition='survey_kind=="nps"',
            condition_parser="pandas",
        )
        r.impossible_values(
            "csat_score_in_range",
            "score",
            "CSAT scores are 1-5",
            min_value=1,
            max_value=5,
            row_condition='survey_kind=="csat"',
            condition_parser="pandas",
        )
        r.event_time("submitted_at")
        r.in_set("survey_type_known", "survey_kind", SURVEY_TYPES, "survey_type is nps or csat")
        r.unique_in_increment(["response_id"])

    def reviews(r: _Rules) -> None:
        r.impossible_values(
            "rating_in_range", "rating", "ratings are 1-5 stars", min_value=1, max_value=5
        )
        r.event_time("posted_at")
        r.unique_in_increment(["review_id"])

    def kind(column: str) -> str:
        """A lower-cased, trimmed copy of a code column, as staging will read it."""
        return f", lower(trim({column})) as {column}_kind"

    return [
        suite("crm__contacts", contacts),
        suite("crm__leads", leads, "created_at"),
        suite("ecommerce__customers", customers),
        suite("ecommerce__orders", orders, "ordered_at", kind("channel")),
        suite("ecommerce__order_items", order_items),
        suite("ecommerce__products", products),
        suite("web__events", events, "occurred_at", kind("event_type")),
        suite("marketing__campaigns", campaigns),
        suite("marketing__messages", messages, "occurred_at", kind("event_type")),
        suite("support__tickets", tickets, "created_at", kind("channel")),
        suite(
            "surveys__responses",
            responses,
            "submitted_at",
            ", lower(trim(survey_type)) as survey_kind",
        ),
        suite("feedback__reviews", reviews, "posted_at"),
    ]


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


def staging_suites(thresholds: Thresholds = THRESHOLDS) -> list[Suite]:
    t = thresholds

    def suite(model: str, build, derived: str = "") -> Suite:
        rules = _Rules(t, datetime.now(UTC))
        build(rules)
        frames = {
            ROWS: f"select *{derived} from staging.{model} as rows where _loaded_at > $watermark"
        }
        return Suite("staging", model, frames, tuple(rules.checks), description=f"staging.{model}")

    customer = Reference("customer_id", "ecommerce__customers", "ordered_at")
    order_of_line = Reference("order_id", "ecommerce__orders")
    product_of_line = Reference("product_id", "ecommerce__products")
    contact = Reference("contact_id", "crm__contacts", "created_at")
    campaign = Reference("campaign_id", "marketing__campaigns", "occurred_at")
    viewed_product = Reference("product_id", "ecommerce__products", "occurred_at")
    surveyed_order = Reference("order_id", "ecommerce__orders", "submitted_at")
    reviewed_product = Reference("product_id", "ecommerce__products", "posted_at")

    def states(*references: Reference) -> str:
        return "".join(r.state_sql(t.late_reference_grace_days) for r in references)

    def email(r: _Rules) -> None:
        r.add(
            "email_normalises",
            "ExpectColumnValuesToBeInSet",
            "delivered emails are shaped like an address (normalised, not dropped)",
            column="has_valid_email",
            value_set=[True],
            mostly=t.min_valid_share,
        )

    def email_and_phone(r: _Rules) -> None:
        email(r)
        r.add(
            "phone_normalises",
            "ExpectColumnValuesToBeInSet",
            "delivered phone numbers normalise to E.164",
            column="has_valid_phone",
            value_set=[True],
            mostly=t.min_valid_share,
        )

    email_flag = ", case when email_raw is not null then email is not null end as has_valid_email"
    phone_flag = ", case when phone_raw is not null then phone is not null end as has_valid_phone"

    def orders(r: _Rules) -> None:
        r.covered(
            "customer_coverage",
            customer,
            "new orders' customers exist in the shop's customer list",
        )

    def order_items(r: _Rules) -> None:
        r.covered("order_coverage", order_of_line, "new order lines belong to a known order")
        r.covered("product_coverage", product_of_line, "new order lines sell a known product")

    def leads(r: _Rules) -> None:
        email(r)
        r.covered("contact_coverage", contact, "new leads' contacts exist in the CRM")
        r.ordered(
            "converted_after_created", "converted_at", "created_at", "leads convert after creation"
        )

    def messages(r: _Rules) -> None:
        r.covered("campaign_coverage", campaign, "new email events belong to a known campaign")

    def events(r: _Rules) -> None:
        r.covered("product_coverage", viewed_product, "products viewed on the web are known")

    def tickets(r: _Rules) -> None:
        email(r)
        r.ordered(
            "first_response_after_created",
            "first_response_at",
            "created_at",
            "first responses come after the ticket",
        )

    def responses(r: _Rules) -> None:
        email(r)
        r.covered("order_coverage", surveyed_order, "surveyed orders are known")

    def reviews(r: _Rules) -> None:
        email(r)
        r.covered("product_coverage", reviewed_product, "reviewed products are known")

    def products(r: _Rules) -> None:
        r.add(
            "product_named",
            "ExpectColumnValuesToNotBeNull",
            "products have a name",
            column="product_name",
            mostly=t.min_valid_share,
        )

    def campaigns(r: _Rules) -> None:
        r.add(
            "campaign_channel_present",
            "ExpectColumnValuesToNotBeNull",
            "campaigns say which channel they ran on",
            column="channel",
            mostly=t.min_valid_share,
        )

    return [
        suite("stg_crm__contacts", email_and_phone, email_flag + phone_flag),
        suite(
            "stg_crm__leads",
            leads,
            email_flag + states(contact),
        ),
        suite("stg_ecommerce__customers", email_and_phone, email_flag + phone_flag),
        suite(
            "stg_ecommerce__orders",
            orders,
            states(customer),
        ),
        suite(
            "stg_ecommerce__order_items",
            order_items,
            states(order_of_line, product_of_line),
        ),
        suite("stg_ecommerce__products", products),
        suite(
            "stg_web__events",
            events,
            states(viewed_product),
        ),
        suite("stg_marketing__campaigns", campaigns),
        suite(
            "stg_marketing__messages",
            messages,
            states(campaign),
        ),
        suite("stg_support__tickets", tickets, email_flag),
        suite(
            "stg_surveys__responses",
            responses,
            email_flag + states(surveyed_order),
        ),
        suite(
            "stg_feedback__reviews",
            reviews,
            email_flag + states(reviewed_product),
        ),
    ]


def mart_suites(thresholds: Thresholds = THRESHOLDS, now: datetime | None = None) -> list[Suite]:
    now = now or datetime.now(UTC)
    latest = (now + thresholds.future_tolerance).replace(tzinfo=None)

    def suite(mart: str, build, sql: str | None = None) -> Suite:
        rules = _Rules(thresholds, now)
        build(rules)
        frames = {ROWS: sql or f"select * from marts.{mart}"}
        return Suite(
            "marts",
            mart,
            frames,
            tuple(rules.checks),
            incremental=False,
            description=f"marts.{mart}",
        )

    def share(r: _Rules, *columns: str) -> None:
        for column in columns:
            r.between(
                f"{column}_is_share",
                column,
                f"{column} is between 0 and 1",
                min_value=0,
                max_value=1,
                severity="warn",
            )

    def not_negative(r: _Rules, *columns: str) -> None:
        for column in columns:
            r.between(
                f"{column}_not_negative", column, f"{column} is >= 0", min_value=0, severity="warn"
            )

    def score(r: _Rules, column: str, low: float, high: float, what: str) -> None:
        r.between(
            f"{column}_in_range",
            column,
            f"{what} is {low:g} to {high:g}",
            min_value=low,
            max_value=high,
            severity="warn",
        )

    def dim_customers(r: _Rules) -> None:
        r.add(
            "email_format",
            "ExpectColumnValuesToMatchRegex",
            "golden-record emails look like name@domain.tld",
            "warn",
            column="email",
            regex=EMAIL_PATTERN,
        )
        r.add(
            "phone_e164",
            "ExpectColumnValuesToMatchRegex",
            "golden-record phones are E.164 (+ and 7-15 digits)",
            "warn",
            column="phone",
            regex=r"^\+[1-9][0-9]{6,14}$",
        )
        r.between(
            "birth_date_plausible",
            "birth_date",
            "birth dates lie between 1900 and today",
            min_value=midnight(thresholds.earliest_birth_date),
            max_value=midnight(now.date()),
            severity="warn",
        )
        r.between(
            "linked_records_at_least_one",
            "linked_records",
            "every customer comes from at least one source record",
            min_value=1,
            severity="warn",
        )

    def identity_map(r: _Rules) -> None:
        share(r, "match_confidence")
        r.add(
            "most_records_resolved",
            "ExpectColumnValuesToNotBeNull",
            "at least half the source records resolve to a customer",
            "warn",
            column="customer_id",
            mostly=0.5,
        )

    def customer_360(r: _Rules) -> None:
        not_negative(
            r, "orders", "revenue", "average_order_value", "recency_days", "tenure_days", "sessions"
        )
        score(r, "last_nps_score", 0, 10, "the last NPS score")
        score(r, "average_csat", 1, 5, "average CSAT")
        score(r, "average_review_rating", 1, 5, "average review rating")
        score(r, "average_sentiment", -1, 1, "average sentiment")
        r.add(
            "email_hash_is_sha256",
            "ExpectColumnValuesToMatchRegex",
            "email_hash is a hex SHA-256, never a raw email",
            "warn",
            column="email_hash",
            regex=r"^[0-9a-f]{64}$",
        )

    def touchpoints(r: _Rules) -> None:
        r.between(
            "occurred_at_not_in_future",
            "occurred_at",
            "touchpoints are not in the future",
            max_value=latest,
            severity="warn",
        )
        r.add(
            "customer_present",
            "ExpectColumnValuesToNotBeNull",
            "every touchpoint belongs to a customer",
            "warn",
            column="customer_id",
        )

    def lifecycle(r: _Rules) -> None:
        r.ordered(
            "exits_after_entry", "exited_at", "entered_at", "a stage is left after it is entered"
        )

    def funnel(r: _Rules) -> None:
        share(r, "conversion_rate_from_previous", "conversion_rate_from_start", "drop_off_rate")
        not_negative(r, "entrants", "drop_offs")

    def kpis(r: _Rules) -> None:
        not_negative(r, "revenue", "orders", "sessions")
        share(r, "session_conversion_rate", "repeat_purchase_rate", "churn_rate", "email_open_rate")
        score(r, "nps", -100, 100, "NPS")
        score(r, "csat", 0, 100, "CSAT (% satisfied)")

    def cohorts(r: _Rules) -> None:
        share(r, "retention_rate")
        r.ordered(
            "retained_within_cohort",
            "cohort_customers",
            "retained_customers",
            "a cohort retains at most its own customers",
        )

    def attribution(r: _Rules) -> None:
        r.between(
            "credit_sums_to_one",
            "total_credit",
            "each order's credit sums to 1 in every model",
            min_value=0.999,
            max_value=1.001,
            severity="warn",
        )

    def ab_results(r: _Rules) -> None:
        share(r, "open_rate", "click_rate", "conversion_rate", "conversion_rate_p_value")

    def sales_trends(r: _Rules) -> None:
        not_negative(r, "revenue", "orders")
        share(r, "revenue_share")

    def product_demand(r: _Rules) -> None:
        not_negative(r, "demand_count")
        share(r, "demand_share", "sales_share")

    def feedback(r: _Rules) -> None:
        share(r, "share_of_texts", "negative_share")
        score(r, "average_sentiment", -1, 1, "average sentiment")
        score(r, "nps", -100, 100, "NPS")

    def channels(r: _Rules) -> None:
        share(r, "success_rate", "failure_rate")
        r.between(
            "hour_of_day_valid",
            "hour_of_day",
            "hours are 0-23",
            min_value=0,
            max_value=23,
            severity="warn",
        )

    def interests(r: _Rules) -> None:
        share(r, "interest_rate", "overall_interest_rate")
        not_negative(r, "affinity_index")

    def loyalty(r: _Rules) -> None:
        share(r, "share_of_customers", "repeat_rate", "share_of_revenue")
        score(r, "nps", -100, 100, "NPS")

    return [
        suite("dim_customers", dim_customers),
        suite("customer_identity_map", identity_map),
        suite("customer_360", customer_360),
        suite(
            "fct_customer_touchpoints",
            touchpoints,
            "select customer_id, occurred_at from marts.fct_customer_touchpoints",
        ),
        suite("fct_lifecycle_stages", lifecycle),
        suite(
            "fct_order_attribution",
            attribution,
            "select order_id, attribution_model, sum(credit) as total_credit "
            "from marts.fct_order_attribution group by order_id, attribution_model",
        ),
        suite("journey_funnel", funnel),
        suite("kpi_daily", kpis),
        suite("kpi_monthly", kpis),
        suite("cohort_retention", cohorts),
        suite("campaign_ab_results", ab_results),
        suite("insight_sales_trends", sales_trends),
        suite("insight_product_demand", product_demand),
        suite("insight_feedback", feedback),
        suite("insight_channels", channels),
        suite("insight_interests", interests),
        suite("insight_loyalty", loyalty),
    ]


def quality_suites(layer: Layer, thresholds: Thresholds = THRESHOLDS) -> list[Suite]:
    """Every suite of one layer, with bounds relative to the clock now."""
    if layer == "raw":
        return raw_suites(thresholds)
    if layer == "staging":
        return staging_suites(thresholds)
    if layer == "marts":
        return mart_suites(thresholds)
    raise ValueError(f"unknown layer {layer!r}; choose one of {', '.join(LAYERS)}")
