"""The nightly build equals a full rebuild of the same landing zone, table for table.

A small simulation is built with `binesh run`, then the second delivery of second_delivery.py
lands (appended days with late-arriving events; re-delivered files with rows dropped and values
changed; a file emptied to its header; a file deleted) and is built with `binesh run` again, so
the incremental models (staging events and messages, sessions, touchpoints) take their
incremental path and every other model is rebuilt from what changed. A copy of that warehouse is
then rebuilt with `dbt run --full-refresh` of the whole dbt project: raw data and the tables
Python writes (identity, text insights, ML scores) are the same in both, only dbt differs. Every
table of the marts schema and every dbt model of the other schemas (the ML features included),
incremental ones too, must come out identical, row for row; the re-delivered,
emptied and deleted files' rows must be replaced or gone. The A/B p-values computed in SQL are
checked against scipy on the same counts.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from scipy.stats import norm

from sources.simulator import simulate
from tests.dbt_project.second_delivery import (
    CONTACTS,
    FIRST_DAYS,
    REMOVED,
    START_DATE,
    WEB_EVENTS,
    deliver_second_batch,
)
from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))

# The public contract (docs: warehouse contract): the marts BI tools, tests and users query.
PUBLIC_MARTS = {
    "dim_customers",
    "customer_identity_map",
    "customer_360",
    "fct_customer_touchpoints",
    "fct_lifecycle_stages",
    "journey_funnel",
    "kpi_daily",
    "kpi_monthly",
    "cohort_retention",
    "insight_sales_trends",
    "insight_product_demand",
    "insight_feedback",
    "insight_channels",
    "insight_interests",
    "insight_loyalty",
}
INCREMENTAL_MODELS = {
    "staging.stg_web__events",
    "staging.stg_marketing__messages",
    "intermediate.int_web__sessions",
    "intermediate.int_journeys__touchpoints",
}


def run(command: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def rows(warehouse: Path, table: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from {table} order by all").fetchall()


def same_value(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    return left == right


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    incremental = root / "incremental.duckdb"
    env = binesh_env(root, BINESH_WAREHOUSE=str(incremental))

    simulate(landing, customers=250, days=FIRST_DAYS, seed=11, start_date=START_DATE)
    binesh(env, "run")
    first_build_until = rows(
        incremental, "(select max(session_ended_at) from intermediate.int_web__sessions)"
    )[0][0]

    second_delivery = deliver_second_batch(landing)
    binesh(env, "run")

    full_refresh = root / "full_refresh.duckdb"
    shutil.copy(incremental, full_refresh)
    target = root / "dbt_target"
    run(
        [DBT, "run", "--full-refresh", "--profiles-dir", "."]
        + ["--target-path", str(target), "--log-path", str(root / "dbt_logs")],
        dict(env, BINESH_WAREHOUSE=str(full_refresh)),
        cwd=DBT_PROJECT_DIR,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    dbt_models = {
        f"{node['schema']}.{node['alias']}": node["config"]["materialized"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == "binesh"
    }
    return {
        "landing": landing,
        "incremental": incremental,
        "full_refresh": full_refresh,
        "first_build_until": first_build_until,
        "dbt_models": dbt_models,
        "second_delivery": second_delivery,
    }


def tables_in(warehouse: Path, schema: str) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            f"{schema}.{name}"
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [schema],
            ).fetchall()
        }


def test_the_appended_days_bring_late_events(warehouses):
    """Otherwise the comparison would not exercise the late-arrival window."""
    appended_from = (START_DATE + timedelta(days=FIRST_DAYS)).isoformat()
    with (warehouses["landing"] / "_truth" / "noise.csv").open() as handle:
        late = [
            row
            for row in csv.DictReader(handle)
            if row["kind"] == "late_arriving"
            and row["file"].startswith("web/events/")
            and Path(row["file"]).stem >= appended_from
        ]
    assert late, "the appended days delivered no late web events"
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        sessions_after = con.execute(
            "select count(*) from intermediate.int_web__sessions where session_started_at > ?",
            [warehouses["first_build_until"]],
        ).fetchone()[0]
    assert sessions_after > 0


def test_every_mart_and_model_is_compared(warehouses):
    """The compared tables come from the warehouse and dbt's manifest, not from a list here:
    a new mart is compared without anyone adding it."""
    marts = tables_in(warehouses["incremental"], "marts")
    assert {f"marts.{name}" for name in PUBLIC_MARTS} <= marts
    assert any(table.startswith("features.") for table in warehouses["dbt_models"])
    incremental = {
        table
        for table, materialized in warehouses["dbt_models"].items()
        if materialized == "incremental"
    }
    assert incremental == INCREMENTAL_MODELS
    assert tables_in(warehouses["full_refresh"], "marts") == marts


def test_incremental_build_equals_full_refresh(warehouses):
    """Every mart and dbt model, row for row: floats to 1e-9, everything else exactly."""
    tables = sorted(tables_in(warehouses["incremental"], "marts") | set(warehouses["dbt_models"]))
    differences = []
    with (
        duckdb.connect(str(warehouses["incremental"]), read_only=True) as incremental_con,
        duckdb.connect(str(warehouses["full_refresh"]), read_only=True) as full_refresh_con,
    ):
        for table in tables:
            built = []
            for con in (incremental_con, full_refresh_con):
                result = con.execute(f"select * from {table} order by all")
                built.append(([column[0] for column in result.description], result.fetchall()))
            (columns, incremental), (full_refresh_columns, full_refresh) = built
            if columns != full_refresh_columns:
                differences.append(f"{table}: columns {columns} != {full_refresh_columns}")
            elif len(incremental) != len(full_refresh):
                differences.append(
                    f"{table}: {len(incremental)} rows built incrementally,"
                    f" {len(full_refresh)} by the full refresh"
                )
            else:
                for left, right in zip(incremental, full_refresh, strict=True):
                    if not all(map(same_value, left, right)):
                        differences.append(f"{table}: {left} != {right}")
                        break
        for table in PUBLIC_MARTS:
            assert incremental_con.execute(f"select count(*) from marts.{table}").fetchone()[0], (
                f"marts.{table} is empty"
            )
    assert not differences, "\n".join(differences)


def test_redelivered_files_replace_their_rows(warehouses):
    """The dropped rows are gone from staging and the changed values are staged."""
    delivery = warehouses["second_delivery"]
    checks = [
        ("web__events", "stg_web__events", "event_id", WEB_EVENTS, delivery["web_events"]),
        ("crm__contacts", "stg_crm__contacts", "contact_id", CONTACTS, delivery["contacts"]),
        (
            "ecommerce__orders",
            "stg_ecommerce__orders",
            "order_id",
            delivery["orders_file"],
            delivery["orders"],
        ),
    ]
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        for raw, staged, key, file, redelivered in checks:
            dropped = redelivered["dropped"]
            assert dropped
            still_raw = con.execute(
                f"select {key} from raw.{raw} where {key} in (select unnest(?))", [dropped]
            ).fetchall()
            gone = [k for k in dropped if k not in {found for (found,) in still_raw}]
            assert gone, f"every dropped {key} of {file} is delivered by another file too"
            assert not con.execute(
                f"select {key} from staging.{staged} where {key} in (select unnest(?))", [gone]
            ).fetchall(), f"rows dropped from {file} are still in staging.{staged}"
            for changed_key, values in redelivered["changed"].items():
                for column, value in values.items():
                    staged_column = "email_raw" if column == "email" else column
                    staged_value = con.execute(
                        f"select cast({staged_column} as varchar) from staging.{staged}"
                        f" where {key} = ? and _source_file = ?",
                        [changed_key, file],
                    ).fetchone()
                    assert staged_value is not None, f"{changed_key} of {file} is not staged"
                    assert staged_value[0] is not None and (
                        staged_value[0] == value or same_value(float(staged_value[0]), float(value))
                    ), f"{staged}.{column} of {changed_key}: {staged_value[0]} != {value}"
        # the device whose every event the web events file dropped still visits on other days
        device = delivery["web_events"]["dropped_device"]
        assert con.execute(
            "select count(*) from intermediate.int_web__sessions where anonymous_id = ?", [device]
        ).fetchone()[0]


def test_a_file_emptied_to_its_header_retracts_its_rows(warehouses):
    """Its rows are gone from raw, and from staging the orders no other file delivers."""
    file, orders = (warehouses["second_delivery"][key] for key in ("emptied_file", "emptied"))
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        raw, staged, retracted, still_staged, status = con.execute(
            "with retracted as (select unnest(?) as order_id"
            " except select order_id from raw.ecommerce__orders)"
            " select (select count(*) from raw.ecommerce__orders where _source_file = ?),"
            " (select count(*) from staging.stg_ecommerce__orders where _source_file = ?),"
            " (select count(*) from retracted),"
            " (select count(*) from staging.stg_ecommerce__orders"
            "  where order_id in (select order_id from retracted)),"
            " (select status from audit.load_log where source_file = ?"
            "  and superseded_at is null)",
            [orders, file, file, file],
        ).fetchone()
    assert (raw, staged, still_staged, status) == (0, 0, 0, "empty")
    assert retracted > 0, f"every order of {file} is delivered by another file too"


def test_a_file_removed_from_the_landing_zone_takes_its_rows_with_it(warehouses):
    assert not (warehouses["landing"] / REMOVED).exists()
    assert warehouses["second_delivery"]["removed_rows"] > 0
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        raw, staged, logged = con.execute(
            "select (select count(*) from raw.web__events where _source_file = ?),"
            " (select count(*) from staging.stg_web__events where _source_file = ?),"
            " (select count(*) from audit.load_log"
            "  where source_file = ? and superseded_at is null)",
            [REMOVED, REMOVED, REMOVED],
        ).fetchall()[0]
    assert (raw, staged, logged) == (0, 0, 0)


def test_attribution_credits_sum_to_one(warehouses):
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        worst = con.execute(
            "select max(abs(total - 1)) from ("
            " select sum(credit) as total from marts.fct_order_attribution"
            " group by order_id, attribution_model)"
        ).fetchone()[0]
    assert worst < 1e-9


def test_ab_test_p_values_match_scipy(warehouses):
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        results = con.execute(
            "select variant.delivered, variant.opens, control.delivered, control.opens,"
            " variant.open_rate_p_value"
            " from marts.campaign_ab_results as variant"
            " inner join marts.campaign_ab_results as control"
            " on variant.control_campaign_id = control.campaign_id"
        ).fetchall()
    compared = 0
    for trials_b, successes_b, trials_a, successes_a, p_value in results:
        pooled = (successes_a + successes_b) / (trials_a + trials_b)
        if pooled in (0, 1):
            assert p_value is None
            continue
        standard_error = math.sqrt(pooled * (1 - pooled) * (1 / trials_a + 1 / trials_b))
        z = (successes_b / trials_b - successes_a / trials_a) / standard_error
        assert p_value == pytest.approx(2 * norm.sf(abs(z)), abs=1e-6)
        compared += 1
    assert compared > 0
