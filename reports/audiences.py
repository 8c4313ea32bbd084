"""Marketing audiences: who to reach, and with what, as the files a marketing tool imports.

    <directory>/<audience>__<channel>.csv       one per audience and channel (email, sms)
    <directory>/<audience>__<channel>.parquet   the same rows
    <directory>/manifest.json                   every file, members exported and left out

An audience is built from one ML table (AUDIENCE_KINDS): a behavioural segment, a high churn
risk, a lead grade, the category of the next best offer. It exists while it has members: an
empty ML table (a business without that data) gives no audience, not an error.

A channel's file holds only people who may be contacted on it: not suppressed (erased: their
customer id, email or phone on audit.suppression, as defence in depth, since erasure already
deletes them), who consented to it (has_email_consent, has_sms_consent in marts.dim_customers;
no consent recorded is no consent) and whose address for it is known. Everyone else is counted
in the manifest, by that first reason. A file carries what a tool needs to send: customer_id,
first_name, the address and the audience's own fields, nothing else of the personal data.

The export is written into a staging folder beside `directory` and swapped in with renames: a
reader sees the previous export or the new one, never part of one (for an instant between the
two renames, no folder), and the files of audiences that no longer exist go with the old one.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from privacy.suppression import CUSTOMER, active_salt, is_suppressed_sql
from reports.warehouse import existing_tables
from sources.contract import EMAIL, PHONE
from sources.readers import quote_literal

MANIFEST = "manifest.json"
CUSTOMERS = "marts.dim_customers"
MEMBERS = "binesh_audience_members"  # a temporary table, while one kind is written

# Why a member is not in a channel's file, in the order they are tested.
SUPPRESSED, WITHOUT_CONSENT, WITHOUT_ADDRESS, EXPORTED = (
    "suppressed",
    "without_consent",
    "without_address",
    "exported",
)
LEFT_OUT = (WITHOUT_CONSENT, WITHOUT_ADDRESS, SUPPRESSED)


@dataclass(frozen=True)
class Channel:
    """A way to reach a customer: the address it needs and the consent that allows it."""

    name: str
    address: str  # its column of marts.dim_customers
    consent: str  # the column that says the customer agreed to it


CHANNELS = (
    Channel("email", "email", "has_email_consent"),
    Channel("sms", "phone", "has_sms_consent"),
)


def slug_sql(value: str) -> str:
    """SQL for a name usable in a file name: lowercase ASCII words joined by single
    underscores ("Home & Kitchen" -> home_kitchen), so `__` only ever separates the channel."""
    return f"trim(regexp_replace(lower(strip_accents({value})), '[^a-z0-9]+', '_', 'g'), '_')"


@dataclass(frozen=True)
class AudienceKind:
    """Audiences from one table. `sql` selects audience, description, as_of, customer_id and
    `fields` (what a message needs besides the address), one row per customer and audience."""

    table: str
    fields: tuple[str, ...]
    sql: str


AUDIENCE_KINDS = (
    AudienceKind(
        "ml.customer_segments",
        ("rfm_segment",),
        f"""
        select 'segment_' || {slug_sql("cluster_profile")} as audience,
            'Behavioural segment "' || cluster_profile || '"'
                || coalesce('. Suggested action: ' || cluster_action, '') as description,
            as_of, customer_id, segment as rfm_segment
        from ml.customer_segments
        where {slug_sql("cluster_profile")} <> ''
        """,
    ),
    AudienceKind(
        "ml.churn_predictions",
        ("churn_probability",),
        """
        select 'churn_risk_high' as audience,
            'Customers at high risk of churn (risk band high): for a win-back message'
                as description,
            as_of, customer_id, round(churn_probability, 3) as churn_probability
        from ml.churn_predictions
        where risk_band = 'high'
        """,
    ),
    AudienceKind(
        "ml.lead_scores",
        ("lead_id", "lead_score"),
        """
        select 'lead_grade_' || lower(grade) as audience,
            'Customers whose best-scored lead is graded ' || grade as description,
            as_of, customer_id, lead_id, score as lead_score
        from (
            select * from ml.lead_scores
            where customer_id is not null
            qualify row_number() over (
                partition by customer_id order by conversion_probability desc, lead_id) = 1
        )
        where grade in ('A', 'B')
        """,
    ),
    AudienceKind(
        "ml.next_best_offers",
        ("product_id", "offer", "coupon_code"),
        f"""
        select 'offer_' || {slug_sql("category")} as audience,
            'Customers whose next best offer is in ' || category as description,
            as_of, customer_id, product_id, offer, coupon_code
        from ml.next_best_offers
        where offer_rank = 1 and {slug_sql("category")} <> ''
        qualify row_number() over (partition by customer_id order by product_id) = 1
        """,
    ),
)


# What the audiences are made from (the Dagster asset runs after them).
INPUTS = (CUSTOMERS, *(kind.table for kind in AUDIENCE_KINDS))


@dataclass(frozen=True)
class AudienceFile:
    """One audience on one channel: its files and who is in them or left out, and why."""

    audience: str
    channel: str
    csv: str  # file names in the export's directory
    parquet: str
    members: int  # in the audience, before any channel's rules
    exported: int
    without_consent: int
    without_address: int
    suppressed: int


@dataclass(frozen=True)
class Audience:
    """Who an audience is for and how fresh it is, for the manifest's reader."""

    name: str
    source: str  # the table it comes from
    description: str
    as_of: str | None  # the scoring day of that table (ISO)
    members: int


@dataclass(frozen=True)
class AudienceExport:
    """What one export wrote, for the asset's metadata and the tests."""

    directory: Path
    manifest: Path
    exported_at: datetime  # UTC
    audiences: list[Audience]
    files: list[AudienceFile]

    def total(self, count: str) -> int:
        """A count of `files` (exported, without_consent, ...) summed over every file: a
        customer in three audiences counts three times."""
        return sum(getattr(file, count) for file in self.files)


def export_audiences(con: duckdb.DuckDBPyConnection, directory: Path) -> AudienceExport:
    """Write every audience's files and the manifest into `directory`, replacing what was there
    (see the module's docstring). `con` is only read, apart from a temporary table."""
    exported_at = datetime.now(UTC).replace(tzinfo=None)
    directory.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(directory)
    version = f"{exported_at:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    staged = directory.with_name(f".{directory.name}.{version}.tmp")
    staged.mkdir()
    try:
        audiences, files = write_audiences(con, staged)
        export = AudienceExport(directory, directory / MANIFEST, exported_at, audiences, files)
        write_manifest(export, staged / MANIFEST)
        swap_in(staged, directory, retired=directory.with_name(f".{directory.name}.{version}.old"))
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return export


def write_audiences(
    con: duckdb.DuckDBPyConnection, folder: Path
) -> tuple[list[Audience], list[AudienceFile]]:
    """Every kind whose table exists, its audiences in name order; nothing without customers
    (no dim_customers: nobody can be contacted)."""
    tables = existing_tables(con)
    audiences, files = [], []
    if CUSTOMERS not in tables:
        return audiences, files
    salt = active_salt(con)
    for kind in AUDIENCE_KINDS:
        if kind.table in tables:
            found, written = write_kind(con, kind, salt, folder)
            audiences += found
            files += written
    return audiences, files


def write_kind(
    con: duckdb.DuckDBPyConnection, kind: AudienceKind, salt: str | None, folder: Path
) -> tuple[list[Audience], list[AudienceFile]]:
    """The members of one kind's audiences, each with a status per channel, held in a
    temporary table while its files are written from it."""
    con.execute(f"create or replace temporary table {MEMBERS} as {members_sql(kind, salt)}")
    try:
        audiences = [
            Audience(name, kind.table, description, as_of and as_of.isoformat(), members)
            for name, description, as_of, members in con.execute(
                f"select audience, any_value(description), max(as_of), count(*) from {MEMBERS} "
                "group by audience order by audience"
            ).fetchall()
        ]
        files = [
            write_channel(con, kind, audience, channel, folder)
            for audience in audiences
            for channel in CHANNELS
        ]
    finally:
        con.execute(f"drop table if exists {MEMBERS}")
    return audiences, files


def members_sql(kind: AudienceKind, salt: str | None) -> str:
    """The kind's members with their customer's name and addresses, and `<channel>_status`:
    exported, or the first reason they are left out (suppressed, without consent, without an
    address). A member missing from dim_customers has no consent recorded."""
    suppressed = "false"
    if salt is not None:
        suppressed = " or ".join(
            is_suppressed_sql(quote_literal(identifier), column, salt)
            for identifier, column in (
                (CUSTOMER, "members.customer_id"),
                (EMAIL, "customers.email"),
                (PHONE, "customers.phone"),
            )
        )
    statuses = ", ".join(
        f"""case when is_suppressed then '{SUPPRESSED}'
            when not coalesce({channel.consent}, false) then '{WITHOUT_CONSENT}'
            when nullif(trim({channel.address}), '') is null then '{WITHOUT_ADDRESS}'
            else '{EXPORTED}' end as {channel.name}_status"""
        for channel in CHANNELS
    )
    return f"""
        select *, {statuses}
        from (
            select members.*, customers.first_name, customers.email, customers.phone,
                customers.has_email_consent, customers.has_sms_consent,
                {suppressed} as is_suppressed
            from ({kind.sql}) as members
            left join {CUSTOMERS} as customers using (customer_id)
        )
    """


def write_channel(
    con: duckdb.DuckDBPyConnection,
    kind: AudienceKind,
    audience: Audience,
    channel: Channel,
    folder: Path,
) -> AudienceFile:
    """One audience's CSV and Parquet file for one channel (only a header when nobody may be
    contacted on it, so that an import empties the list), and its counts."""
    name = f"{audience.name}__{channel.name}"
    columns = ", ".join(["customer_id", "first_name", channel.address, *kind.fields])
    rows = (
        f"select {columns} from {MEMBERS} where audience = {quote_literal(audience.name)} "
        f"and {channel.name}_status = '{EXPORTED}' order by customer_id"
    )
    for suffix, options in ((".csv", "format csv, header"), (".parquet", "format parquet")):
        con.execute(f"copy ({rows}) to {quote_literal(str(folder / (name + suffix)))} ({options})")
    counts = dict(
        con.execute(
            f"select {channel.name}_status, count(*) from {MEMBERS} "
            f"where audience = {quote_literal(audience.name)} group by all"
        ).fetchall()
    )
    return AudienceFile(
        audience=audience.name,
        channel=channel.name,
        csv=f"{name}.csv",
        parquet=f"{name}.parquet",
        members=audience.members,
        **{status: counts.get(status, 0) for status in (EXPORTED, *LEFT_OUT)},
    )


def write_manifest(export: AudienceExport, path: Path) -> None:
    """What a reader needs to trust the files: the rule, each audience, and per channel its
    files, members exported and members left out by reason."""
    channels = {
        audience.name: [
            {
                "channel": file.channel,
                "csv": file.csv,
                "parquet": file.parquet,
                "exported": file.exported,
                "left_out": {reason: getattr(file, reason) for reason in LEFT_OUT},
            }
            for file in export.files
            if file.audience == audience.name
        ]
        for audience in export.audiences
    }
    manifest = {
        "exported_at": export.exported_at.isoformat(timespec="seconds") + "Z",
        "rule": (
            "A channel's file holds the audience's members who consented to the channel "
            "(email: has_email_consent, sms: has_sms_consent), have an address for it (email, "
            "phone) and are not suppressed; the others are counted in left_out by the first "
            "of: suppressed, without_consent, without_address."
        ),
        "audiences": [
            {**asdict(audience), "channels": channels[audience.name]}
            for audience in export.audiences
        ],
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def swap_in(staged: Path, directory: Path, retired: Path) -> None:
    """Replace `directory` with `staged`: the old one is renamed away, the new one renamed in,
    then the old one removed; if the second rename fails, the old one is put back."""
    if directory.exists():
        os.replace(directory, retired)
    try:
        os.replace(staged, directory)
    except BaseException:
        if retired.exists():
            os.replace(retired, directory)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def remove_leftovers(directory: Path) -> None:
    """Staged or retired folders an interrupted export left beside `directory` (they may hold
    people erased since)."""
    if directory.parent.is_dir():
        for entry in directory.parent.glob(f".{directory.name}.*"):
            if entry.suffix in (".tmp", ".old"):
                shutil.rmtree(entry, ignore_errors=True)
