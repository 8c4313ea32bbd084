"""The landing zone looks like real exports: layout, formats, contract columns, clean values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pyarrow.parquet as pq

from sources.contract import LANDING_TABLES
from sources.simulator import simulate
from sources.simulator.schema import LEAD_EXTRAS

FORMATS = {"web__events": ".parquet", "marketing__messages": ".jsonl"}


def test_one_file_per_table_and_day_in_the_right_format(clean_sim):
    for table in LANDING_TABLES:
        files = sorted((clean_sim / table.source / table.name).iterdir())
        assert files, f"{table.qualified_name} has no files"
        suffix = FORMATS.get(table.qualified_name, ".csv")
        for path in files:
            assert path.suffix == suffix
            date.fromisoformat(path.stem)  # named by day
            assert path.stat().st_size > 0
    events = sorted((clean_sim / "web" / "events").iterdir())
    assert len(events) == 30, "web events arrive every day"
    assert (clean_sim / "_truth" / "simulation.json").is_file()


def test_columns_are_the_contract_names(clean_sim):
    for table in LANDING_TABLES:
        first = sorted((clean_sim / table.source / table.name).iterdir())[0]
        if first.suffix == ".parquet":
            names = pq.read_schema(first).names
        elif first.suffix == ".jsonl":
            names = list(json.loads(first.read_text().splitlines()[0]))
        else:
            names = first.read_text(encoding="utf-8-sig").splitlines()[0].replace('"', "")
            names = names.split(",")
        expected = table.column_names + (list(LEAD_EXTRAS) if table.name == "leads" else [])
        assert names == expected, table.qualified_name


def test_without_noise_every_row_parses_with_the_contract_types(clean_sim, sim_io):
    for name, table in sim_io.tables.items():
        rows = sim_io.read_rows(clean_sim, table)
        assert rows, name
        bad = [
            (r.file, r.row, sim_io.row_problems(table, r.values))
            for r in rows
            if sim_io.row_problems(table, r.values)
        ]
        assert not bad, f"{name}: {bad[:3]}"


def test_timestamps_are_iso_8601_utc(clean_sim, sim_io):
    orders = sim_io.read_rows(clean_sim, sim_io.tables["ecommerce__orders"])
    assert all(r.values["ordered_at"].endswith("Z") for r in orders)
    stamp = datetime.fromisoformat(orders[0].values["ordered_at"])
    assert stamp.tzinfo is not None and stamp.utcoffset().total_seconds() == 0
    surveys = sim_io.read_rows(clean_sim, sim_io.tables["surveys__responses"])
    assert datetime.fromisoformat(surveys[0].values["submitted_at"]).tzinfo is None  # UTC
    events = pq.read_table(sorted((clean_sim / "web" / "events").iterdir())[0])
    assert str(events.schema.field("occurred_at").type) == "timestamp[ms, tz=UTC]"


def test_event_timestamps_fall_on_the_day_of_their_file_without_noise(clean_sim, sim_io):
    for name, column in (
        ("ecommerce__orders", "ordered_at"),
        ("web__events", "occurred_at"),
        ("marketing__messages", "occurred_at"),
        ("feedback__reviews", "posted_at"),
    ):
        for row in sim_io.read_rows(clean_sim, sim_io.tables[name]):
            value = row.values[column]
            stamp = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)
            assert stamp.date().isoformat() == row.file.rsplit("/", 1)[1][:10], (name, row)


def test_first_day_is_a_full_export_of_existing_records(clean_sim, sim_io):
    contacts = sim_io.read_rows(clean_sim, sim_io.tables["crm__contacts"])
    first = [r for r in contacts if r.file.endswith("2025-01-01.csv")]
    created = [datetime.fromisoformat(r.values["created_at"]) for r in first]
    assert sum(c.date() < date(2025, 1, 1) for c in created) > 0.8 * len(first)
    products = sim_io.read_rows(clean_sim, sim_io.tables["ecommerce__products"])
    assert sum(r.file.endswith("2025-01-01.csv") for r in products) >= 250


def test_keys_are_unique_within_a_clean_file(clean_sim, sim_io):
    for name, table in sim_io.tables.items():
        seen: dict[str, set] = {}
        for row in sim_io.read_rows(clean_sim, table):
            key = tuple(row.values[k] for k in table.key)
            assert key not in seen.setdefault(row.file, set()), (name, row.file, key)
            seen[row.file].add(key)


def test_order_amounts_add_up(clean_sim, sim_io):
    items: dict[str, float] = {}
    for row in sim_io.read_rows(clean_sim, sim_io.tables["ecommerce__order_items"]):
        v = row.values
        items[v["order_id"]] = items.get(v["order_id"], 0) + int(v["quantity"]) * float(
            v["unit_price"]
        )
    for row in sim_io.read_rows(clean_sim, sim_io.tables["ecommerce__orders"]):
        v = row.values
        assert abs(items[v["order_id"]] - float(v["discount_amount"]) - float(v["amount"])) < 0.01
        assert v["currency"] == "GBP" and v["channel"] in ("web", "app", "store")
        assert (v["store_id"] != "") == (v["channel"] == "store")
        assert bool(v["coupon_code"]) == (float(v["discount_amount"]) > 0)


def test_leads_carry_custom_attributes(clean_sim, sim_io):
    leads = sim_io.read_rows(clean_sim, sim_io.tables["crm__leads"])
    assert all(set(LEAD_EXTRAS) <= set(r.values) for r in leads)
    assert any(r.values["how_heard"] for r in leads)
    assert {r.values["status"] for r in leads} >= {"new", "contacted", "converted"}


def test_web_events_cover_the_funnel(clean_sim, sim_io):
    rows = sim_io.read_rows(clean_sim, sim_io.tables["web__events"])
    types = {r.values["event_type"] for r in rows}
    assert types == {
        "page_view",
        "product_view",
        "search",
        "add_to_cart",
        "checkout",
        "purchase",
        "sign_up",
        "login",
    }


def test_every_campaign_is_exported_before_its_first_email_even_across_new_year(tmp_path, sim_io):
    """A real marketing export holds a campaign from when it is set up; January campaigns are
    set up in December, so the nights around new year must deliver them before they send."""
    out = tmp_path / "landing"
    simulate(out, customers=200, days=12, seed=5, start_date=date(2025, 12, 26), noise_rate=0.0)
    exported: dict[str, str] = {}
    for row in sim_io.read_rows(out, sim_io.tables["marketing__campaigns"]):
        exported.setdefault(row.values["campaign_id"], row.file.split("/")[-1][:10])
    sent = {}
    for row in sim_io.read_rows(out, sim_io.tables["marketing__messages"]):
        sent.setdefault(row.values["campaign_id"], row.file.split("/")[-1][:10])
    assert any(day >= "2026-01-01" for day in sent.values()), "no January campaign was sent"
    late = {c: day for c, day in sent.items() if exported.get(c, "9999") > day}
    assert not late, f"campaigns emailed before their export: {late}"
