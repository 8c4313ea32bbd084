"""The second delivery of test_incremental_equals_full_refresh.py: what lands after the first
build of a small simulation (FIRST_DAYS days from START_DATE) and how it changes files that build
loaded:
  - append_days() adds days, whose files carry late-arriving events (dated before the first
    build's last day);
  - re-delivered files drop rows and change values of others, keys kept: a web events file
    (page_url; it also drops every event of a device that visited on other days), a CRM
    contacts file (last name, email), an ecommerce orders file (amount) and an email messages
    file (rows dropped only);
  - an orders file is emptied to its header (the documented way to retract a file's rows);
  - a web events file is deleted from the landing zone (its rows are retracted).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sources.simulator import append_days

START_DATE, FIRST_DAYS, APPENDED_DAYS = date(2025, 3, 1), 20, 4

# The second delivery's changes to files the first build loaded.
WEB_EVENTS = f"web/events/{START_DATE}.parquet"  # re-delivered: rows dropped, page_url changed
CONTACTS = f"crm/contacts/{START_DATE}.csv"  # re-delivered: rows dropped, name/email changed
REMOVED = f"web/events/{START_DATE + timedelta(days=9)}.parquet"  # deleted from the landing zone


def redeliver_without_first_rows(path: Path, rows: int = 25) -> None:
    """A corrected export of an already loaded file: the same path, some rows gone."""
    lines = path.read_text().splitlines(keepends=True)
    assert len(lines) > rows
    path.write_text("".join(lines[rows:]))


def redeliver_parquet(
    path: Path, drop: int, change: dict[str, str], count: int, drop_device: str | None = None
) -> dict:
    """Re-deliver a web events parquet file without its first `drop` rows nor any row of
    `drop_device` (an anonymous_id), and with the `change` columns of the next `count` rows
    rewritten (value + suffix); the keys (first column) dropped and the new values of the
    changed rows by key."""
    records = pq.read_table(path).to_pylist()
    schema = pq.read_schema(path)
    key = schema.names[0]
    dropped = [
        record
        for index, record in enumerate(records)
        if index < drop or record["anonymous_id"] == drop_device
    ]
    kept = [record for record in records if record not in dropped]
    assert len(kept) > count
    for record in kept[:count]:
        for column, suffix in change.items():
            record[column] = f"{record[column] or ''}{suffix}"
    pq.write_table(pa.Table.from_pylist(kept, schema=schema), path)
    return {
        "dropped_device": drop_device,
        "dropped": [record[key] for record in dropped],
        "changed": {
            record[key]: {column: record[column] for column in change} for record in kept[:count]
        },
    }


def returning_device(landing: Path, file: str) -> str:
    """Of the devices in web events `file` that also visited on other days, the one whose latest
    other visit is the oldest. Dropping its rows from `file` changes its sessions, though none of
    its remaining events is newly loaded or (likely) within the late-arrival window."""
    latest_elsewhere: dict[str, str] = {}
    for other in (landing / "web" / "events").glob("*.parquet"):
        if other != landing / file:
            for device in pq.read_table(other, columns=["anonymous_id"]).column(0).to_pylist():
                if device is not None:
                    latest_elsewhere[device] = max(latest_elsewhere.get(device, ""), other.stem)
    devices = set(pq.read_table(landing / file, columns=["anonymous_id"]).column(0).to_pylist())
    returning = devices & set(latest_elsewhere)
    assert returning, f"no device of {file} visited on another day"
    return min(returning, key=lambda device: (latest_elsewhere[device], device))


def redeliver_csv(path: Path, drop: int, change: dict, count: int) -> dict:
    """The same for a CSV file; `change` maps a column to a function of its old value. Rows
    changed are well-formed ones (as many fields as the header)."""
    with path.open(newline="") as handle:
        header, *records = csv.reader(handle)
    changed = [record for record in records[drop:] if len(record) == len(header)][:count]
    assert len(records) > drop and len(changed) == count
    for record in changed:
        for column, new_value in change.items():
            record[header.index(column)] = new_value(record[header.index(column)])
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(records[drop:])
    return {
        "dropped": [record[0] for record in records[:drop]],
        "changed": {
            record[0]: {column: record[header.index(column)] for column in change}
            for record in changed
        },
    }


def empty_to_header(path: Path) -> list[str]:
    """Retract a CSV file's rows: re-deliver it with its header only. Returns the keys it had."""
    with path.open(newline="") as handle:
        header, *records = csv.reader(handle)
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow(header)
    return [record[0] for record in records]


def deliver_second_batch(landing: Path) -> dict:
    """What lands after the first build (see the module's docstring); what it changed."""
    loaded_orders = sorted(
        (landing / "ecommerce" / "orders").glob("*.csv"),
        key=lambda path: (-len(path.read_text().splitlines()), path.name),
    )
    append_days(landing, days=APPENDED_DAYS)
    redelivered_orders, emptied_orders = loaded_orders[:2]
    messages = (landing / "marketing" / "messages").glob("*.jsonl")
    redeliver_without_first_rows(max(messages, key=lambda path: path.stat().st_size))
    removed_rows = pq.read_table(landing / REMOVED).num_rows
    (landing / REMOVED).unlink()
    return {
        "web_events": redeliver_parquet(
            landing / WEB_EVENTS,
            drop=10,
            change={"page_url": "?corrected=1"},
            count=5,
            drop_device=returning_device(landing, WEB_EVENTS),
        ),
        "contacts": redeliver_csv(
            landing / CONTACTS,
            drop=3,
            change={
                "last_name": lambda name: f"{name}-Corrected",
                "email": lambda email: f"corrected.{email}" if email else "corrected@example.com",
            },
            count=3,
        ),
        "orders_file": redelivered_orders.relative_to(landing).as_posix(),
        "orders": redeliver_csv(
            redelivered_orders,
            drop=1,
            change={"amount": lambda amount: f"{float(amount) + 10.25:.2f}"},
            count=1,
        ),
        "emptied_file": emptied_orders.relative_to(landing).as_posix(),
        "emptied": empty_to_header(emptied_orders),
        "removed_rows": removed_rows,
    }
