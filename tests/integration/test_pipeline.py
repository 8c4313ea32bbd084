"""The whole pipeline, as a user runs it: `binesh simulate`, then `binesh run` twice.

A tiny simulation keeps it to about a minute on two cores; the CLI runs as a subprocess with
its own warehouse, landing zone and Dagster home in tmp_path, exactly as `make run` would.
"""

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster import DagsterInstance

from ml.identity import evaluate_identity, read_identity_inputs, resolve_identities
from orchestration import definitions
from orchestration.planning import RETRAIN_REASONS_TAG, retrain_reason
from orchestration.project import dbt_project
from sources.contract import LANDING_TABLES
from tests.integration.after_load import (
    DBT_DOCS,
    GRAPH,
    LINKAGE_MODEL,
    SCORING_KEYS,
    TRAINING_KEYS,
    build_after_load_request,
)
from tests.integration.identity_nights import resolve_night_by_night
from tests.integration.small_business import build_small_business, snapshot
from tests.tools import binesh, binesh_env, run_binesh

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_CHECK = PROJECT_ROOT.parent / "shared" / "acceptance" / "contract_check.py"


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict[str, str]:
    return binesh_env(tmp_path_factory.mktemp("pipeline"))


@pytest.fixture(scope="module")
def built(env) -> dict[str, int]:
    return build_small_business(env)


def test_a_successful_build_leaves_no_dbt_target_folders_behind(env, built):
    """dagster-dbt makes a target folder per dbt invocation and never removes it (30 MB a night
    on the default simulation); a successful step's is deleted."""
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [build] = instance.get_runs(filters=dg.RunsFilter(job_name="build_warehouse"), limit=1)
    assert build.status == dg.DagsterRunStatus.SUCCESS
    target = PROJECT_ROOT / "dbt_project" / "target"
    assert not list(target.glob(f"*-{build.run_id[:7]}-*"))


def test_every_landing_table_reaches_raw_and_staging(built):
    for table in LANDING_TABLES:
        assert built[f"raw.{table.qualified_name}"] > 0, table.qualified_name
        assert built[f"staging.stg_{table.qualified_name}"] > 0, table.qualified_name


def test_every_file_balances_and_noise_is_quarantined_not_lost(env, built):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        unbalanced, files = con.execute(
            "select count(*) filter (rows_landed <> rows_loaded + rows_quarantined), count(*) "
            "from audit.load_log"
        ).fetchone()
        landed_files = sum(
            1
            for p in Path(env["BINESH_LANDING_DIR"]).rglob("*")
            if p.is_file() and "_truth" not in p.parts
        )
    assert unbalanced == 0
    assert files == landed_files
    assert built["audit.quarantine"] > 0  # the simulator injects malformed rows by default


def test_staging_has_one_row_per_natural_key(env, built):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        for table in LANDING_TABLES:
            model = f"staging.stg_{table.qualified_name}"
            keys = [c[0] for c in con.execute(f"describe {model}").fetchall()][: len(table.key)]
            total, distinct = con.execute(
                f"select count(*), count(distinct ({', '.join(keys)})) from {model}"
            ).fetchone()
            assert total == distinct, model


def test_a_run_with_nothing_new_loads_and_builds_nothing(env, built):
    """Raw assets look for new files (and find none); every other asset is up to date with
    what Dagster recorded it was built from, so none is materialized."""
    output = binesh(env, "run")
    assert "Nothing new: no file loaded" in output
    again = snapshot(env["BINESH_WAREHOUSE"])
    first = dict(built)
    # the quality log keeps every run's results: here only the raw layer's checks ran
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(raw_checks,)] = con.execute(
            "select count(*) from audit.quality_results where layer = 'raw' "
            "group by run_id order by min(checked_at) desc limit 1"
        ).fetchall()
    assert again.pop("audit.quality_results") == first.pop("audit.quality_results") + raw_checks
    assert again == first
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [latest] = instance.get_runs(limit=1)
        materialized = {
            event.dagster_event.asset_key
            for event in instance.all_logs(latest.run_id)
            if event.dagster_event and event.dagster_event.is_step_materialization
        }
    assert materialized and all(key.path[0] == "raw" for key in materialized)


def test_a_full_run_rebuilds_every_asset_and_changes_no_counts(env, built):
    before = snapshot(env["BINESH_WAREHOUSE"])
    output = binesh(env, "run", "--full")
    assert "Built the warehouse" in output and "every asset" in output
    after = snapshot(env["BINESH_WAREHOUSE"])
    assert after.pop("audit.quality_results") > before.pop("audit.quality_results")
    assert after == before


def test_a_selected_run_builds_only_the_selection(env, built):
    before = snapshot(env["BINESH_WAREHOUSE"])
    output = binesh(env, "run", "--select", 'key:"marts/customer_identity_map"')
    assert "Built the warehouse" in output
    after = snapshot(env["BINESH_WAREHOUSE"])
    # only the map's own checks ran: the mart check step, not every layer's
    added = after.pop("audit.quality_results") - before.pop("audit.quality_results")
    assert 0 < added < built["audit.quality_results"] / 5
    assert after == before

    bad = run_binesh(env, "run", "--select", 'key:"marts/no_such_table"')
    assert bad.returncode == 2
    assert "selects no asset" in bad.stderr


def test_status_reports_layers_and_loads(env, built):
    output = binesh(env, "status")
    assert "raw" in output and "staging" in output
    assert "ecommerce__orders" in output
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(set_aside,)] = con.execute("select count(*) from audit.set_aside_values").fetchall()
    assert (f"{set_aside:,} details that did not type were set aside" in output) == (set_aside > 0)


def test_the_status_headlines_are_the_marts_totals(env, built):
    state = json.loads(binesh(env, "status", "--json"))
    headlines = state["headlines"]
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        [(customers,)] = con.execute("select count(*) from marts.customer_360").fetchall()
        [(orders, revenue)] = con.execute(
            "select sum(orders), sum(revenue) from marts.kpi_daily"
        ).fetchall()
        [(nps,)] = con.execute(
            "select 100.0 * (count(*) filter (score >= 9) - count(*) filter (score <= 6)) "
            "/ count(*) from staging.stg_surveys__responses "
            "where survey_type = 'nps' and score between 0 and 10"
        ).fetchall()
    assert headlines["unified_customers"] == customers
    assert headlines["orders"] == orders
    assert headlines["revenue"] == pytest.approx(revenue)
    assert headlines["average_order_value"] == pytest.approx(revenue / orders)
    assert headlines["nps"] == pytest.approx(nps)
    text = binesh(env, "status")
    assert re.search(rf"\n  unified customers +{customers:,}\n", text)
    assert re.search(rf"\n  NPS +{nps:.1f}\n", text)


def test_the_raw_and_audit_parts_of_the_contract_hold(env, built):
    if not CONTRACT_CHECK.exists():
        pytest.skip(f"{CONTRACT_CHECK} not found")
    done = subprocess.run(
        [sys.executable, str(CONTRACT_CHECK), env["BINESH_WAREHOUSE"]],
        capture_output=True,
        text=True,
    )
    lines = done.stdout.splitlines()
    for table in LANDING_TABLES:
        assert any(line.startswith(f"ok       raw.{table.qualified_name} ") for line in lines)
    assert any(line.startswith("ok       audit.load_log") for line in lines)
    assert "accounting: 0 file(s) where landed <> loaded + quarantined" in lines


def test_every_table_is_a_dbt_model_or_a_declared_source(env, built):
    """A Python step that writes a table for dbt declares it in models/_python__sources.yml;
    `audit` is the loader's, the checks' and erasure's own bookkeeping."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    declared = {
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "snapshot", "seed")
    } | {(source["schema"], source["identifier"]) for source in manifest["sources"].values()}
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        tables = set(
            con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where not internal and schema_name <> 'audit'"
            ).fetchall()
        )
    assert {"identity", "text", "ml", "features"} <= {schema for schema, _ in tables}
    assert tables - declared == set()


def test_evaluate_identity_scores_the_map_against_the_truth(env, built):
    report = json.loads(binesh(env, "evaluate", "identity", "--json", "--no-shared-data"))
    assert report["records"] > 0
    resolved = report["resolved_records"]
    # Deterministic for the seed; the default simulation scores 0.997 on both.
    assert resolved["precision"] > 0.95 and resolved["recall"] > 0.95
    # The F1 target is on the records carrying an identifier (0.996 by default).
    assert report["identifiable_records"]["f1"] > 0.95
    reviews = report["name_only_reviews"]
    assert reviews["records"] >= reviews["linked"] >= reviews["correct"]


def test_the_status_snapshot_holds_one_current_version_per_customer(env, built):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        current, customers = con.execute(
            "select count(*) filter (dbt_valid_to is null), "
            "(select count(*) from marts.dim_customers) from snapshots.customer_status_snapshot"
        ).fetchone()
    assert current == customers > 0


ML_TABLES = (
    "customer_segments",
    "lead_scores",
    "churn_predictions",
    "clv_predictions",
    "next_best_offers",
)


def test_the_ml_tables_carry_as_of_and_model_version_and_sane_scores(env, built):
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        latest_day = con.execute(
            "select max(ordered_date) from features.customer_orders"
        ).fetchone()
        for table in ML_TABLES:
            assert f"ml.{table}" in built, table
            columns = {row[0] for row in con.execute(f"describe ml.{table}").fetchall()}
            assert {"as_of", "model_version"} <= columns, table
            unversioned = con.execute(
                f"select count(*) from ml.{table} where as_of is null or model_version is null"
            ).fetchone()[0]
            assert unversioned == 0, table
        buyers = con.execute("select count(distinct customer_id) from features.customer_orders")
        buyers = buyers.fetchone()[0]
        clv = con.execute(
            "select count(*), count(distinct customer_id), min(p_alive), max(p_alive), "
            "min(expected_value), max(as_of) from ml.clv_predictions"
        ).fetchone()
        churn = con.execute(
            "select count(*), min(churn_probability), max(churn_probability), "
            "count(distinct risk_band) from ml.churn_predictions"
        ).fetchone()
    assert clv[0] == clv[1] == buyers > 0
    assert 0 <= clv[2] <= clv[3] <= 1 and clv[4] >= 0
    assert clv[5] >= latest_day[0]  # as_of defaults to the latest data day
    assert churn[0] == buyers and 0 <= churn[1] <= churn[2] <= 1


def test_evaluate_ml_reports_every_model(env, built):
    report = json.loads(binesh(env, "evaluate", "ml", "--json"))
    assert {"segments", "lead scoring", "churn", "clv", "next best offer"} <= set(report)
    assert -1 <= report["segments"]["ARI clusters vs personas"] <= 1


def test_after_a_quiet_load_the_ui_sensor_builds_nothing(env, built):
    """In the UI the nightly schedule runs load_landing_zone; build_after_load then asks for
    what is out of date: after a load with nothing new, nothing."""
    binesh(env, "run")  # the latest run is then a load that found nothing new
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert isinstance(build_after_load_request(instance), dg.SkipReason)


def test_appended_nights_each_build_on_top_of_the_last(env, built, monkeypatch):
    """The README's night: `binesh simulate --append-days N`, then `binesh run`. Late rows and
    records that arrive a night after what references them warn, never block. Each night
    scores every customer with the current models; a model retrains only when due (here: never
    fitted yet, or a check failed), not on the weekly cadence, and the dbt docs not at all."""
    orders = [built["raw.ecommerce__orders"]]
    for days in (1, 3):
        binesh(env, "simulate", "--append-days", str(days))
        if days == 1:
            # as in the UI: the schedule's load, then what build_after_load asks for
            for variable in ("BINESH_LANDING_DIR", "BINESH_WAREHOUSE", "DAGSTER_HOME"):
                monkeypatch.setenv(variable, env[variable])
            with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
                load = definitions.defs.resolve_job_def("load_landing_zone")
                assert load.execute_in_process(instance=instance).success
                request = build_after_load_request(instance)
            assert isinstance(request, dg.RunRequest)
            assert SCORING_KEYS <= set(request.asset_selection)
            assert DBT_DOCS not in request.asset_selection
            retrained = json.loads(request.tags.get(RETRAIN_REASONS_TAG, "{}"))
            assert {
                key.to_user_string() for key in TRAINING_KEYS & set(request.asset_selection)
            } == set(retrained)
        output = binesh(env, "run")  # loads nothing new then, and builds what is out of date
        assert "Built the warehouse" in output and " 0 failed" in output
        with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
            orders.append(con.execute("select count(*) from raw.ecommerce__orders").fetchone()[0])
            latest = con.execute("select max(as_of) from ml.churn_predictions").fetchone()[0]
            newest_order = con.execute("select max(ordered_at) from staging.stg_ecommerce__orders")
            assert latest >= newest_order.fetchone()[0].date()  # the models moved on too
    assert orders[0] < orders[1] < orders[2]
    # a model that became due (a failed drift check, the cadence) waits for new data
    assert "Nothing new: no file loaded" in binesh(env, "run")

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [build] = instance.get_runs(filters=dg.RunsFilter(job_name="build_warehouse"), limit=1)
        materialized = {
            event.dagster_event.asset_key
            for event in instance.all_logs(build.run_id)
            if event.dagster_event and event.dagster_event.is_step_materialization
        }
        assert SCORING_KEYS <= materialized and DBT_DOCS not in materialized
        reasons = json.loads(build.tags.get(RETRAIN_REASONS_TAG, "{}"))
        assert {key.to_user_string() for key in TRAINING_KEYS & materialized} == set(reasons)
        assert not [reason for reason in reasons.values() if reason.startswith("cadence")]
        kept = TRAINING_KEYS - materialized
        assert kept, f"every model retrained: {reasons}"
        in_eight_days = dt.datetime.now(dt.UTC) + dt.timedelta(days=8)
        for key in kept:
            assert retrain_reason(GRAPH, instance, key) is None
            assert retrain_reason(GRAPH, instance, key, now=in_eight_days).startswith("cadence")
    assert LINKAGE_MODEL in kept


def test_identity_linked_with_the_saved_model_scores_as_a_full_resolution(env, built, tmp_path):
    """After the appended nights, linked with the probabilistic model trained on the first
    night's records: the identity F1 is within 0.005 of resolving the same records with a model
    trained on all of them."""
    truth = Path(env["BINESH_LANDING_DIR"]) / "_truth" / "identity.csv"
    warehouse = tmp_path / "warehouse.duckdb"  # a copy, to write the full resolution into
    shutil.copy(env["BINESH_WAREHOUSE"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        nightly = evaluate_identity(con, truth, "identity.clusters")
        full = resolve_identities(*read_identity_inputs(con))
        con.register("full_clusters", full.clusters)
        con.execute("create table intermediate.full_resolution as select * from full_clusters")
        retrained = evaluate_identity(con, truth, "intermediate.full_resolution")
    assert full.linkage is not None and full.linkage.edges.num_rows > 0
    nightly_f1 = nightly.identifiable_records.f1
    assert abs(nightly_f1 - retrained.identifiable_records.f1) <= 0.005


def test_thirty_incremental_nights_of_identity_score_as_a_full_resolution(env, built, tmp_path):
    """Identity grows with new records: the later half of the records, in the order they were
    recorded, arrives over thirty nights (the simulation's own last thirty days bring too few
    new profiles to test much). Each night is resolved from the night before with the model
    trained on the first half, scoring only new records. No customer's id changes, unless two
    customers merge (then the id is one of theirs); after the thirty nights the identity F1 is
    within 0.005 of a full resolution of the same records from scratch."""
    truth = Path(env["BINESH_LANDING_DIR"]) / "_truth" / "identity.csv"
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(env["BINESH_WAREHOUSE"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        records, identifiers = read_identity_inputs(con)
        scored, linkable = resolve_night_by_night(con, records, identifiers, nights=30)
        incremental = evaluate_identity(con, truth, "nightly.clusters")
        full = resolve_identities(records, identifiers)
        con.register("full_clusters", full.clusters)
        con.execute("create table nightly.full_resolution as select * from full_clusters")
        from_scratch = evaluate_identity(con, truth, "nightly.full_resolution")
    assert scored < linkable / 10, "the nights re-scored the records they had linked before"
    f1 = incremental.identifiable_records.f1
    assert abs(f1 - from_scratch.identifiable_records.f1) <= 0.005, (f1, from_scratch)
