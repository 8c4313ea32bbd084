"""The ground truth agrees with the files: identities, persons and every injected defect."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

import pytest

from sources.simulator.noise import EVENT_TABLES

IDENTITY_TABLES = {
    "crm__contacts": "contact_id",
    "crm__leads": "lead_id",
    "ecommerce__customers": "customer_id",
    "support__tickets": "ticket_id",
    "surveys__responses": "response_id",
    "feedback__reviews": "review_id",
    "web__events": "anonymous_id",
}
ROW_DEFECTS = {"malformed_row", "missing_required", "invalid_value", "out_of_range"}


def _identity(root, sim_io) -> dict[tuple[str, str], str]:
    mapping = {}
    for row in sim_io.read_csv(root / "_truth" / "identity.csv"):
        key = (f"{row['source']}__{row['source_table']}", row["source_key"])
        assert key not in mapping, f"identity listed twice: {key}"
        mapping[key] = row["person_id"]
    return mapping


def _keys_in_files(root, sim_io, name: str) -> set[str]:
    column = IDENTITY_TABLES[name]
    rows = sim_io.read_rows(root, sim_io.tables[name])
    return {r.values[column] for r in rows if r.values and r.values.get(column)}


@pytest.mark.parametrize("name", sorted(IDENTITY_TABLES))
def test_identity_lists_exactly_the_keys_in_the_files(clean_sim, sim_io, name):
    identity = _identity(clean_sim, sim_io)
    listed = {key for table, key in identity if table == name}
    assert listed, name
    assert listed == _keys_in_files(clean_sim, sim_io, name)


def test_every_person_referenced_exists(clean_sim, sim_io):
    persons = {p["person_id"] for p in sim_io.read_csv(clean_sim / "_truth" / "persons.csv")}
    assert len(persons) == 500
    assert set(_identity(clean_sim, sim_io).values()) <= persons


def test_identity_is_consistent_across_systems(clean_sim, sim_io):
    """The shop's customer email belongs to the person identity.csv says; logins link devices."""
    identity = _identity(clean_sim, sim_io)
    persons = {p["person_id"]: p for p in sim_io.read_csv(clean_sim / "_truth" / "persons.csv")}
    checked = 0
    for row in sim_io.read_rows(clean_sim, sim_io.tables["ecommerce__customers"]):
        email = row.values["email"]
        if not email:
            continue
        person = persons[identity[("ecommerce__customers", row.values["customer_id"])]]
        assert email in (person["email"], person["alternative_email"]), (email, person)
        checked += 1
    assert checked > 50
    linked = 0
    for row in sim_io.read_rows(clean_sim, sim_io.tables["web__events"]):
        v = row.values
        if v["customer_id"] and v["event_type"] in ("login", "sign_up"):
            device = identity[("web__events", v["anonymous_id"])]
            assert device == identity[("ecommerce__customers", v["customer_id"])]
            linked += 1
    assert linked > 20


def test_identity_noise_is_realistic(clean_sim, sim_io):
    """Several keys per person, emails that differ in case, phones in several formats."""
    identity = _identity(clean_sim, sim_io)
    keys_per_person = Counter(identity.values())
    assert max(keys_per_person.values()) >= 4
    contacts = [r.values for r in sim_io.read_rows(clean_sim, sim_io.tables["crm__contacts"])]
    emails = [c["email"] for c in contacts if c["email"]]
    assert any(e != e.lower() for e in emails) and any(e != e.strip() for e in emails)
    assert any(not c["email"] for c in contacts)
    phones = [c["phone"] for c in contacts if c["phone"]]
    assert any(p.startswith("+44 ") for p in phones) and any(p.startswith("07") for p in phones)
    assert any(p.startswith("(07") for p in phones)


def test_noise_free_run_lists_no_defects(clean_sim, sim_io):
    assert sim_io.read_csv(clean_sim / "_truth" / "noise.csv") == []


def test_noise_rate_is_close_to_its_setting(noisy_sim, sim_io):
    noise = sim_io.read_csv(noisy_sim / "_truth" / "noise.csv")
    per_table = Counter(n["source_table"] for n in noise)
    total_rows = 0
    for name, table in sim_io.tables.items():
        rows = len(sim_io.read_rows(noisy_sim, table))
        total_rows += rows
        if rows >= 2000:
            assert 0.03 < per_table[name] / rows < 0.07, (name, per_table[name], rows)
    assert 0.04 < len(noise) / total_rows < 0.06
    kinds = Counter(n["kind"] for n in noise)
    assert set(kinds) == {
        "malformed_row",
        "duplicate_row",
        "resent_row",
        "late_arriving",
        "out_of_range",
        "missing_required",
        "invalid_value",
    }


def test_every_defect_is_listed_and_every_listed_defect_is_real(noisy_sim, sim_io):
    noise = sim_io.read_csv(noisy_sim / "_truth" / "noise.csv")
    listed = {(n["file"], int(n["row"])): n for n in noise}
    for name, table in sim_io.tables.items():
        rows = sim_io.read_rows(noisy_sim, table)
        by_file = defaultdict(list)
        for row in rows:
            by_file[row.file].append(row)
            problems = sim_io.row_problems(table, row.values)
            problems += _out_of_range(name, row.values)
            entry = listed.get((row.file, row.row))
            if problems:
                assert entry and entry["kind"] in ROW_DEFECTS, (name, row, problems)
            elif entry:
                assert entry["kind"] not in ROW_DEFECTS - {"out_of_range"}, (name, row, entry)
        for (file, number), entry in listed.items():
            if entry["source_table"] != name:
                continue
            assert number <= len(by_file[file]), entry
            row = by_file[file][number - 1]
            if entry["kind"] == "duplicate_row":
                original = int(entry["detail"].split()[-1])
                assert (
                    row.raw == by_file[file][original - 1].raw
                    or row.values == by_file[file][original - 1].values
                )
            if entry["kind"] == "late_arriving":
                assert _event_day(name, row.values) < file.rsplit("/", 1)[1][:10], entry


def test_repeated_event_keys_are_listed_as_duplicates(noisy_sim, sim_io):
    noise = sim_io.read_csv(noisy_sim / "_truth" / "noise.csv")
    repeats = {
        (n["file"], int(n["row"])) for n in noise if n["kind"] in ("duplicate_row", "resent_row")
    }
    for name in EVENT_TABLES - {"support__tickets"}:
        table = sim_io.tables[name]
        seen = set()
        for row in sim_io.read_rows(noisy_sim, table):
            if not row.values:
                continue
            key = tuple(row.values.get(k) for k in table.key)
            if key in seen and all(key):
                assert (row.file, row.row) in repeats, (name, row)
            seen.add(key)


def _out_of_range(name: str, values: dict | None) -> list[str]:
    if not values:
        return []

    def number(column):
        try:
            return float(values.get(column) or "nan")
        except (TypeError, ValueError):
            return float("nan")

    checks = {
        "ecommerce__orders": number("amount") < 0 or number("discount_amount") < 0,
        "ecommerce__order_items": number("quantity") < 1 or number("unit_price") < 0,
        "ecommerce__products": number("price") < 0,
        "support__tickets": not (
            number("csat_score") != number("csat_score") or 1 <= number("csat_score") <= 5
        )
        or number("queue_seconds") < 0,
        "feedback__reviews": not 1 <= number("rating") <= 5,
        "surveys__responses": not (0 if values.get("survey_type") == "nps" else 1)
        <= number("score")
        <= (10 if values.get("survey_type") == "nps" else 5),
        "crm__contacts": (values.get("date_of_birth") or "") > "2026",
        "ecommerce__customers": (values.get("date_of_birth") or "") > "2026",
    }
    return ["out of range"] if checks.get(name) else []


def _event_day(name: str, values: dict) -> str:
    column = {
        "ecommerce__orders": "ordered_at",
        "web__events": "occurred_at",
        "marketing__messages": "occurred_at",
        "support__tickets": "created_at",
        "surveys__responses": "submitted_at",
        "feedback__reviews": "posted_at",
    }.get(name)
    if column is None:  # order lines carry no timestamp: compare with their order
        return "0000"
    value = values[column]
    return (
        (value if isinstance(value, datetime) else datetime.fromisoformat(value)).date().isoformat()
    )
