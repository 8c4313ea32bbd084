"""The marketing audiences on the small simulated business of test_pipeline.py: the run exports
them; every file holds only customers who consented to its channel (checked against
marts.dim_customers); the manifest's counts are what the data says; a suppressed customer
never appears; an empty or absent ML table gives no audience; a new export replaces the old one
whole. Each test but the first exports from its own in-memory copy of the run's warehouse."""

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from privacy.suppression import CUSTOMER, ensure_suppression, hash_sql
from reports.audiences import CHANNELS, INPUTS, MANIFEST, export_audiences
from reports.locations import audiences_directory
from sources.contract import EMAIL, PHONE
from sources.readers import quote_literal

ADDRESS = {channel.name: channel.address for channel in CHANNELS}
CONSENT = {channel.name: channel.consent for channel in CHANNELS}
ML_TABLES = [table for table in INPUTS if table.startswith("ml.")]


@pytest.fixture(scope="module")
def warehouse(env, built) -> str:
    return env["BINESH_WAREHOUSE"]


@contextmanager
def copy_of(warehouse: str, *, empty=(), absent=()) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory copy of the run's customers and ML tables, `empty` ones without rows and
    `absent` ones left out. The small business (45 days) scores no lead and no high churn risk,
    so the copy gives those audiences members from its real customers and leads: real leads
    graded by a hash of their id, every third customer at high risk."""
    with duckdb.connect() as con:
        con.execute(f"attach {quote_literal(warehouse)} as pipeline (read_only)")
        for table in [*INPUTS, "features.lead_features"]:
            if table not in absent:
                keep = "false" if table in empty else "true"
                con.execute(f"create schema if not exists {table.split('.')[0]}")
                con.execute(f"create table {table} as select * from pipeline.{table} where {keep}")
        con.execute("detach pipeline")
        if "ml.churn_predictions" not in (*empty, *absent):
            con.execute(
                "update ml.churn_predictions set risk_band = 'high' where customer_id in ("
                "select customer_id from ml.churn_predictions qualify "
                "row_number() over (order by customer_id) % 3 = 0)"
            )
        if "ml.lead_scores" not in (*empty, *absent):
            con.execute(
                """
                insert into ml.lead_scores by name
                select lead_id, customer_id, probability as conversion_probability,
                    round(probability * 100)::bigint as score,
                    case when probability >= 0.75 then 'A' when probability >= 0.5 then 'B'
                        when probability >= 0.25 then 'C' else 'D' end as grade,
                    current_date as as_of, 'test' as model_version
                from (select *, hash(lead_id) % 1000 / 1000 as probability
                      from features.lead_features)
                """
            )
        yield con


def manifest_of(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))


def files_of(manifest: dict) -> Iterator[tuple[str, dict]]:
    """(audience, channel entry) for every audience and channel of a manifest."""
    for audience in manifest["audiences"]:
        for channel in audience["channels"]:
            yield audience["name"], channel


def rows_of(directory: Path, channel: dict) -> list[dict[str, str]]:
    """The rows of a channel's CSV file, after checking that its Parquet file holds the same."""
    with open(directory / channel["csv"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with duckdb.connect() as con:
        parquet = con.execute(
            "select columns(*)::varchar "
            f"from read_parquet({quote_literal(str(directory / channel['parquet']))})"
        )
        names = [column[0] for column in parquet.description]
        values = parquet.fetchall()
    assert [dict(zip(names, (value or "" for value in row), strict=True)) for row in values] == rows
    return rows


def assert_only_consenting_customers(con: duckdb.DuckDBPyConnection, directory: Path) -> int:
    """Every file's rows against marts.dim_customers: a customer who consented to the file's
    channel, with that address and first name, once; and as many as the manifest says. The
    folder holds the manifest's files and nothing else. Returns the rows checked."""
    customers = {
        customer: {
            "first_name": first_name,
            "email": email,
            "phone": phone,
            "email_consent": email_consent,
            "sms_consent": sms_consent,
        }
        for customer, first_name, email, phone, email_consent, sms_consent in con.execute(
            "select customer_id, first_name, email, phone, has_email_consent, has_sms_consent "
            "from marts.dim_customers"
        ).fetchall()
    }
    manifest = manifest_of(directory)
    listed = {MANIFEST}
    checked = 0
    for _, channel in files_of(manifest):
        listed |= {channel["csv"], channel["parquet"]}
        rows = rows_of(directory, channel)
        assert len(rows) == channel["exported"], channel["csv"]
        ids = [row["customer_id"] for row in rows]
        assert len(set(ids)) == len(ids), channel["csv"]
        name = channel["channel"]
        for row in rows:
            customer = customers[row["customer_id"]]
            assert customer[f"{name}_consent"] is True, (channel["csv"], row["customer_id"])
            address = ADDRESS[name]
            assert row[address].strip() and row[address] == customer[address], channel["csv"]
            assert row["first_name"] == (customer["first_name"] or "")
        checked += len(rows)
    assert {path.name for path in directory.iterdir()} == listed
    return checked


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def expected_members(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Each audience's customers, read from the ML tables as docs/report.md defines them."""
    members = defaultdict(set)
    for customer, profile in con.execute(
        "select customer_id, cluster_profile from ml.customer_segments"
    ).fetchall():
        members[f"segment_{slug(profile)}"].add(customer)
    for (customer,) in con.execute(
        "select customer_id from ml.churn_predictions where risk_band = 'high'"
    ).fetchall():
        members["churn_risk_high"].add(customer)
    best = {}
    for customer, probability, grade in con.execute(
        "select customer_id, conversion_probability, grade from ml.lead_scores"
    ).fetchall():
        if customer is not None and (customer not in best or probability > best[customer][0]):
            best[customer] = (probability, grade)
    for customer, (_, grade) in best.items():
        if grade in ("A", "B"):
            members[f"lead_grade_{grade.lower()}"].add(customer)
    for customer, category in con.execute(
        "select customer_id, category from ml.next_best_offers where offer_rank = 1"
    ).fetchall():
        members[f"offer_{slug(category)}"].add(customer)
    return dict(members)


def expected_files(
    con: duckdb.DuckDBPyConnection, suppressed: set[str] = frozenset()
) -> dict[tuple[str, str], dict]:
    """(audience, channel) -> who is exported and how many are left out for each reason, by
    the rule of docs/report.md, from the ML tables and marts.dim_customers."""
    customers = {
        row[0]: row[1:]
        for row in con.execute(
            "select customer_id, email, phone, coalesce(has_email_consent, false), "
            "coalesce(has_sms_consent, false) from marts.dim_customers"
        ).fetchall()
    }
    expected = {}
    for audience, members in expected_members(con).items():
        for name, position in (("email", 0), ("sms", 1)):
            counts = {"exported": set(), "suppressed": 0, "without_consent": 0}
            counts["without_address"] = 0
            for customer in members:
                address, consent = customers[customer][position], customers[customer][position + 2]
                if customer in suppressed:
                    counts["suppressed"] += 1
                elif not consent:
                    counts["without_consent"] += 1
                elif not (address or "").strip():
                    counts["without_address"] += 1
                else:
                    counts["exported"].add(customer)
            expected[audience, name] = {"members": len(members), **counts}
    return expected


def actual_files(directory: Path) -> dict[tuple[str, str], dict]:
    """The same, from the manifest and the customers in the CSV files."""
    manifest = manifest_of(directory)
    members = {audience["name"]: audience["members"] for audience in manifest["audiences"]}
    return {
        (audience, channel["channel"]): {
            "members": members[audience],
            "exported": {row["customer_id"] for row in rows_of(directory, channel)},
            **channel["left_out"],
        }
        for audience, channel in files_of(manifest)
    }


# ── the run ───────────────────────────────────────────────────────────────────────────────────


@pytest.mark.integration
def test_the_run_exports_audiences_of_consenting_customers_only(env, warehouse):
    directory = audiences_directory(Path(warehouse))
    with duckdb.connect(warehouse, read_only=True) as con:
        assert assert_only_consenting_customers(con, directory) > 0
    manifest = manifest_of(directory)
    names = [audience["name"] for audience in manifest["audiences"]]
    assert any(name.startswith("segment_") for name in names)
    assert any(name.startswith("offer_") for name in names)
    assert sum(channel["left_out"]["without_consent"] for _, channel in files_of(manifest)) > 0
    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        event = instance.get_latest_materialization_event(dg.AssetKey(["reports", "audiences"]))
    metadata = event.asset_materialization.metadata
    assert Path(metadata["path"].path) == directory
    assert metadata["audiences"].value == len(names)
    assert metadata["dagster/row_count"].value == sum(
        channel["exported"] for _, channel in files_of(manifest)
    )
    assert metadata["left_out_without_consent"].value == sum(
        channel["left_out"]["without_consent"] for _, channel in files_of(manifest)
    )
    assert not list(directory.parent.glob(f".{directory.name}.*"))


# ── on a copy of the run's warehouse ──────────────────────────────────────────────────────────


@pytest.mark.integration
def test_every_file_holds_only_customers_who_consented_to_its_channel(warehouse, tmp_path):
    with copy_of(warehouse) as con:
        export = export_audiences(con, tmp_path / "audiences")
        assert assert_only_consenting_customers(con, export.directory) == export.total("exported")
    names = {audience.name for audience in export.audiences}
    assert {"churn_risk_high", "lead_grade_a", "lead_grade_b"} <= names
    assert {name.split("_")[0] for name in names} == {"segment", "churn", "lead", "offer"}
    assert {file.channel for file in export.files} == {"email", "sms"}
    assert export.total("without_consent") > 0 and export.total("exported") > 0


@pytest.mark.integration
def test_the_manifest_counts_who_was_left_out_as_the_data_says(warehouse, tmp_path):
    with copy_of(warehouse) as con:
        export = export_audiences(con, tmp_path / "audiences")
        expected = expected_files(con)
    assert actual_files(export.directory) == expected
    for file in export.files:
        left_out = file.without_consent + file.without_address + file.suppressed
        assert file.members == file.exported + left_out
    assert export.total("without_address") > 0  # customers who consented to SMS without a phone


@pytest.mark.integration
def test_a_suppressed_customer_never_appears(warehouse, tmp_path):
    """Three exported customers suppressed, one by id, one by email (in another case) and one
    by phone (written as a national number): in no file, counted as suppressed."""
    with copy_of(warehouse) as con:
        before = export_audiences(con, tmp_path / "before")
        exported = {channel.name: set() for channel in CHANNELS}
        for _, channel in files_of(manifest_of(before.directory)):
            rows = rows_of(before.directory, channel)
            exported[channel["channel"]] |= {row["customer_id"] for row in rows}
        by_email = min(exported["email"])
        by_phone = min(exported["sms"] - {by_email})
        by_id = min((exported["email"] | exported["sms"]) - {by_email, by_phone})
        salt = ensure_suppression(con)
        email, phone = con.execute(
            "select (select upper(email) from marts.dim_customers where customer_id = $1), "
            "(select '0' || right(regexp_replace(phone, '[^0-9]', '', 'g'), 10) "
            "from marts.dim_customers where customer_id = $2)",
            [by_email, by_phone],
        ).fetchone()
        for kind, value in ((CUSTOMER, by_id), (EMAIL, email), (PHONE, phone)):
            identifier = hash_sql(quote_literal(kind), quote_literal(value), salt)
            con.execute(
                f"insert into audit.suppression values "
                f"({quote_literal(kind)}, {identifier}, 'test', now())"
            )
        export = export_audiences(con, tmp_path / "after")
        suppressed = {by_id, by_email, by_phone}
        assert actual_files(export.directory) == expected_files(con, suppressed)
        assert_only_consenting_customers(con, export.directory)
    for _, channel in files_of(manifest_of(export.directory)):
        for name in (channel["csv"], channel["parquet"]):
            content = (export.directory / name).read_bytes()
            assert not any(customer.encode() in content for customer in suppressed), name
    assert export.total("suppressed") >= 2 * len(suppressed)  # both channels of an audience
    assert before.total("suppressed") == 0


@pytest.mark.integration
def test_an_empty_or_absent_ml_table_gives_no_audience(warehouse, tmp_path):
    with copy_of(
        warehouse, empty=("ml.next_best_offers", "ml.lead_scores"), absent=("ml.churn_predictions",)
    ) as con:
        export = export_audiences(con, tmp_path / "audiences")
        assert_only_consenting_customers(con, export.directory)
    assert export.audiences and {audience.source for audience in export.audiences} == {
        "ml.customer_segments"
    }
    with copy_of(warehouse, empty=ML_TABLES) as con:
        nothing = export_audiences(con, tmp_path / "nothing")
    assert nothing.audiences == [] and nothing.files == []
    assert [path.name for path in nothing.directory.iterdir()] == [MANIFEST]


@pytest.mark.integration
def test_a_new_export_replaces_the_old_one_whole(warehouse, tmp_path):
    directory = tmp_path / "audiences"
    (tmp_path / ".audiences.interrupted.tmp").mkdir()  # what a killed export left
    with copy_of(warehouse) as con:
        first = export_audiences(con, directory)
    assert any(audience.name.startswith("offer_") for audience in first.audiences)
    with copy_of(warehouse, empty=("ml.next_best_offers",)) as con:
        second = export_audiences(con, directory)
        assert not list(directory.glob("offer_*"))
        assert_only_consenting_customers(con, directory)
        # A failing export (a column missing) leaves the last one as it was, and no staging.
        con.execute("alter table ml.churn_predictions drop column risk_band")
        with pytest.raises(duckdb.BinderException, match="risk_band"):
            export_audiences(con, directory)
    assert manifest_of(directory)["exported_at"] == second.exported_at.isoformat(
        timespec="seconds"
    ) + "Z" and len(second.files) < len(first.files)
    assert [path.name for path in tmp_path.iterdir()] == ["audiences"]


# ── without a pipeline ────────────────────────────────────────────────────────────────────────


def test_a_warehouse_without_customers_exports_no_audience(tmp_path):
    with duckdb.connect() as con:
        export = export_audiences(con, tmp_path / "audiences")
    assert export.audiences == [] and manifest_of(export.directory)["audiences"] == []
