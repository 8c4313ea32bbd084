"""`binesh erase` on a real build of the small simulated business, as a user runs it: four
people (asked for by email, by unified customer id, by source key and by an order's key, picked
from the simulator's answer key) are erased with the command killed once on the way and run
again; then every table and every file is scanned for them, the raw layer is compared with a
load of the rewritten landing zone that never held them, and the original exports are delivered
again.
With a PostgreSQL server (always in CI), the build is first copied there as `make postgres`
does, and the erasure and the scan reach that copy too."""

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import duckdb
import pytest

from data_quality.suites import quality_suites
from data_quality.validation import run_suites
from sources.contract import LANDING_TABLES
from sources.loader import load_table
from targets.postgres.connection import connect, postgres_dsn_from_env
from targets.postgres.sync import DBT_PROJECT_DIR
from tests.tools import (
    BINESH,
    binesh,
    binesh_env,
    postgres_database,
    postgres_server,
    postgres_settings,
    run_binesh,
    signal_group,
)

pytestmark = pytest.mark.integration

TRUTH = Path("_truth")
DBT = str(Path(sys.executable).with_name("dbt"))


@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    """BINESH_PG_* of a database of its own when there is a PostgreSQL server (always in CI),
    so the erasure reaches a copy there too; {} without one, and the PostgreSQL test skips."""
    if not os.environ.get("BINESH_PG_HOST") and os.environ.get("CI") != "true":
        yield {}
        return
    with postgres_database(postgres_server()) as dsn:
        yield postgres_settings(dsn)


@pytest.fixture(scope="module")
def env(tmp_path_factory, postgres) -> dict[str, str]:
    root = tmp_path_factory.mktemp("erase")
    env = binesh_env(root, **postgres)
    binesh(env, "simulate", "--customers", "300", "--days", "45", "--seed", "7")
    binesh(env, "run")
    if postgres:  # the copy `make postgres` makes
        binesh(env, "sync-postgres")
        dbt = subprocess.run(
            [DBT, "build", "--target", "postgres", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(root / "dbt_target"),
             "--log-path", str(root / "dbt_logs")],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert dbt.returncode == 0, dbt.stdout[-3000:]
    return env


@pytest.fixture(scope="module")
def people(env) -> dict[str, dict]:
    """Four people with several source records each (the last with an order), and how a user
    would name them."""
    landing = Path(env["BINESH_LANDING_DIR"])
    with (landing / TRUTH / "identity.csv").open() as handle:
        records = list(csv.DictReader(handle))
    counts = Counter(row["person_id"] for row in records)
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        chosen, customers = {}, set()
        for person, _ in counts.most_common():
            keys = [
                "/".join((row["source"], row["source_table"], row["source_key"]))
                for row in records
                if row["person_id"] == person
            ]
            found = con.execute(
                "select m.customer_id, m.source || '__' || m.source_table, m.source_key, "
                "r.email, r.first_name, r.last_name "
                "from marts.customer_identity_map as m "
                "inner join intermediate.int_identity__records as r "
                "on r.source = m.source and r.source_table = m.source_table "
                "and r.source_key = m.source_key "
                "where r.record_id in (select unnest(?))",
                [keys],
            ).fetchall()
            ids = {row[0] for row in found}
            emails = {row[3] for row in found if row[3]}
            orders = con.execute(
                "select o.order_id from raw.ecommerce__orders as o "
                "inner join marts.customer_identity_map as m on m.source = 'ecommerce' "
                "and m.source_table = 'customers' and m.source_key = o.customer_id "
                "where m.customer_id = ? order by 1",
                [found[0][0]],
            ).fetchall()
            if len(ids) != 1 or ids & customers or not emails or len(found) < 3:
                continue
            if len(chosen) == 3 and not orders:
                continue
            customers |= ids
            chosen[person] = {
                "customer_id": found[0][0],
                "source_key": f"{found[0][1]}:{found[0][2]}",
                "emails": emails,
                "names": {(r[4], r[5]) for r in found if r[4] and r[5]},
                "order": f"ecommerce__orders:{orders[0][0]}" if orders else None,
            }
            if len(chosen) == 4:
                break
    assert len(chosen) == 4, "the simulation has four people with three linked records"
    return chosen


@pytest.fixture(scope="module")
def request_(people) -> list[str]:
    """One person by email, one by unified customer id, one by source key, one by an order (the
    identity map does not hold orders: erase follows the order to its customer)."""
    first, second, third, fourth = people.values()
    return [sorted(first["emails"])[0], second["customer_id"], third["source_key"], fourth["order"]]


@pytest.fixture(scope="module")
def originals(env, tmp_path_factory) -> Path:
    """The landing zone as delivered, before any erasure."""
    copy = tmp_path_factory.mktemp("delivered") / "landing"
    shutil.copytree(env["BINESH_LANDING_DIR"], copy, ignore=shutil.ignore_patterns("_truth"))
    return copy


@pytest.fixture(scope="module")
def erased(env, request_, originals) -> str:
    """`binesh erase`, SIGKILLed once its source erasure is done, then run again to the end."""
    erase = subprocess.Popen(
        [BINESH, "erase", *request_],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    for line in erase.stdout:
        if line.startswith("Rebuilding"):
            signal_group(erase.pid, signal.SIGKILL)
            break
    erase.wait()
    assert erase.returncode == -signal.SIGKILL, "the erasure was killed on its way"
    return binesh(env, "erase", *request_)


def identifiers_of(people: dict[str, dict]) -> list[str]:
    return [
        value
        for person in people.values()
        for value in (person["customer_id"], person["source_key"], *person["emails"])
    ]


def digests(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_an_unknown_identifier_is_not_found_and_changes_nothing(env, originals):
    landing = Path(env["BINESH_LANDING_DIR"])
    before = digests(landing), Path(env["BINESH_WAREHOUSE"]).read_bytes()
    done = run_binesh(env, "erase", "nobody.at.all@example.org")
    assert done.returncode == 1
    assert "not found: nobody.at.all@example.org" in done.stderr
    assert "nothing was changed" in done.stderr
    assert (digests(landing), Path(env["BINESH_WAREHOUSE"]).read_bytes()) == before

    garbled = run_binesh(env, "erase", "not an identifier")
    assert garbled.returncode == 2
    assert "is not an email, a phone number, a customer id" in garbled.stderr


def test_erased_people_leave_no_trace_in_any_table_or_file(env, people, erased):
    assert "Verified: no trace" in erased
    check = run_binesh(env, "erase", "--verify", *identifiers_of(people))
    assert check.returncode == 0, check.stdout
    # nor in the warehouse file's bytes: deleted rows stay readable in freed blocks until the
    # file is rewritten
    warehouse = Path(env["BINESH_WAREHOUSE"]).read_bytes().lower()
    emails = {email for person in people.values() for email in person["emails"]}
    assert not [email for email in emails if email.lower().encode() in warehouse]
    # the scan does find what is there: the answer key still names them
    truth = Path(env["BINESH_LANDING_DIR"]) / TRUTH / "persons.csv"
    assert any(email in truth.read_text().lower() for email in emails)


def test_the_receipt_counts_what_was_erased_and_names_no_one(env, people, erased):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(status, customers, found)] = con.execute(
            "select status, people, found from audit.erasures"
        ).fetchall()
        suppressed = con.execute("select identifier_hash from audit.suppression").fetchall()
    assert status == "erased" and customers == len(people)
    assert '"raw_rows"' in found and '"landing_files_rewritten"' in found
    for value in identifiers_of(people):
        assert value.lower() not in found.lower()
        assert value not in str(suppressed)


def test_the_postgresql_copy_is_erased_and_scanned(env, postgres, people, erased):
    if not postgres:
        pytest.skip("no PostgreSQL server (BINESH_PG_HOST is not set)")
    assert "dbt rebuilt every model" in erased
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(found,)] = con.execute("select found from audit.erasures").fetchall()
        emails = {email for person in people.values() for email in person["emails"]}
        [(someone_else,)] = con.execute(
            "select min(email) from marts.dim_customers where not list_contains(?, email)",
            [sorted(emails)],
        ).fetchall()
    copy = json.loads(found)["postgres_copy"]
    assert copy["copy_found"] and copy["rebuilt"] and copy["tables_synced"] > 0
    # dbt snapshots keep history a rebuild does not replace: the sweep took their rows out
    assert copy["swept"].get("snapshots.customer_status_snapshot", 0) > 0
    # the scan reads PostgreSQL: someone not erased is found there, raw and marts alike
    check = run_binesh(env, "erase", "--verify", someone_else)
    assert check.returncode == 1
    assert "postgresql:raw." in check.stdout and "postgresql:marts.dim_customers" in check.stdout
    # the salt and the suppression list stay in the warehouse
    assert "postgresql:audit.suppression" not in check.stdout
    with closing(connect(postgres_dsn_from_env(postgres))) as pg, pg.cursor() as cur:
        cur.execute(
            "select count(*) from pg_tables where schemaname = 'audit' "
            "and tablename in ('suppression', 'privacy_salt')"
        )
        assert cur.fetchall() == [(0,)]


def test_raw_equals_a_load_of_the_landing_zone_that_never_held_them(env, erased, tmp_path):
    """The rewritten files, loaded into an empty warehouse and checked by the raw quality
    suites (which quarantine rows breaking a row-level rule), give the raw layer and the
    accounting the erasure left: row numbers, load ids and hashes included."""
    landing = Path(env["BINESH_LANDING_DIR"])
    with duckdb.connect(str(tmp_path / "fresh.duckdb")) as fresh:
        for table in LANDING_TABLES:
            load_table(fresh, landing, table)
        run_suites(fresh, quality_suites("raw"), "fresh")
        fresh.execute(f"attach '{env['BINESH_WAREHOUSE']}' as erased (read_only)")
        for table in LANDING_TABLES:
            columns = [
                name
                for (name,) in fresh.execute(
                    "select column_name from duckdb_columns() where database_name = 'fresh' "
                    "and schema_name = 'raw' and table_name = ? and column_name <> '_loaded_at'",
                    [table.qualified_name],
                ).fetchall()
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            for left, right in (("fresh", "erased"), ("erased", "fresh")):
                [(extra,)] = fresh.execute(
                    f"select count(*) from (select {listed} from {left}.raw.{table.qualified_name}"
                    f" except all select {listed} from {right}.raw.{table.qualified_name})"
                ).fetchall()
                assert extra == 0, f"{table.qualified_name}: {extra} rows only in {left}"
        accounting = (
            "select load_id, source_table, source_file, content_hash, file_bytes, rows_landed, "
            "rows_loaded, rows_quarantined from {}.audit.load_log where superseded_at is null "
            "order by all"
        )
        assert (
            fresh.execute(accounting.format("fresh")).fetchall()
            == fresh.execute(accounting.format("erased")).fetchall()
        )
        quarantine = (
            "select load_id, source_file, source_row, reason, original_row "
            "from {}.audit.quarantine order by all"
        )
        assert (
            fresh.execute(quarantine.format("fresh")).fetchall()
            == fresh.execute(quarantine.format("erased")).fetchall()
        )


def test_a_redelivered_export_does_not_bring_them_back(env, people, erased, originals):
    landing = Path(env["BINESH_LANDING_DIR"])
    shutil.copytree(originals, landing, dirs_exist_ok=True)
    output = binesh(env, "run")
    assert "accounting: holds for every file" in output
    check = run_binesh(env, "erase", "--verify", *identifiers_of(people))
    assert check.returncode == 0, check.stdout
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(suppressed, text)] = con.execute(
            "select count(*), count(original_row) from audit.quarantine where reason = 'suppressed'"
        ).fetchall()
    assert suppressed > 0 and text == 0
