"""A `binesh run` killed with SIGKILL at any point leaves nothing the next run cannot recover
from by itself (issue 12, part 6): no stale lock, no Dagster run left running, no half-loaded
file counted as loaded, no row loaded twice; the next run finishes, and the warehouse equals a
clean build of the same landing zone.

One small simulation (300 customers, 45 days) is built twice:
  - clean: a copy of the landing zone, built by one uninterrupted `binesh run` in a deployment
    of its own (Dagster home, warehouse);
  - killed: `binesh run` on the same files is killed with SIGKILL, the whole process group (dbt
    too), at each point of KILL_POINTS in turn, each run going on from where the last one
    stopped; then one more `binesh run` must finish by itself within FINAL_RUN_TIMEOUT.
Then every table of raw, staging, intermediate, marts and ml, the dbt snapshot and the loader's
audit tables must hold the same rows in both (but for the columns in WALL_CLOCK_COLUMNS), the
load log the same current files with the same counts, each once, no raw row twice, no Dagster
run still running, and the BI snapshot must be published whole; the raw-load and dbt kills must
have happened. How a run is followed and killed: killed_runs.py; what is compared, and how:
build_comparison.py.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from tests.integration.build_comparison import (
    COMPARED_AUDIT_TABLES,
    COMPARED_SCHEMAS,
    compared_tables,
    table_differences,
)
from tests.integration.killed_runs import (
    EVENTS_LOG,
    KillPoint,
    add_event_log_handler,
    run_and_kill,
    run_to_the_end,
    step_event,
)
from tests.tools import binesh, binesh_env, run_binesh

pytestmark = pytest.mark.integration

FINAL_RUN_TIMEOUT = 300  # a run that waits for a pool slot a killed run holds waits forever


KILL_POINTS = (
    # the last of the twelve raw tables, web events (45 files, one transaction): the others
    # are loaded and committed; the kill lands before or during its transaction (by timing:
    # the next run's "Loaded ..." line, printed, says whether its files were left to load)
    KillPoint(
        "raw load",
        step_event("raw__web__events", "STEP_START"),
        delay=0.05,
        required=True,
    ),
    # dbt has committed int_web__sessions (incremental) and goes on with the models after it
    KillPoint(
        "dbt",
        step_event(
            "warehouse_models",
            "ASSET_MATERIALIZATION",
            "Materialized value intermediate int_web__sessions",
        ),
        required=True,
    ),
    # the five models are trained and churn scored; CLV is being scored
    KillPoint("ML", step_event("ml__clv_predictions", "STEP_START"), delay=0.15),
    KillPoint(
        "BI snapshot", step_event("reports__bi_snapshot", "STEP_START"), staged_snapshot=True
    ),
)


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    started = time.monotonic()
    root = tmp_path_factory.mktemp("crash-recovery")
    killed_env = binesh_env(root / "killed")
    done = run_binesh(killed_env, "simulate", "--customers", "300", "--days", "45", "--seed", "7")
    assert done.returncode == 0, done.stderr

    clean_env = binesh_env(root / "clean")
    shutil.copytree(killed_env["BINESH_LANDING_DIR"], clean_env["BINESH_LANDING_DIR"])
    clean_started = time.monotonic()
    binesh(clean_env, "run")
    clean_seconds = time.monotonic() - clean_started

    events = root / "killed" / EVENTS_LOG
    add_event_log_handler(killed_env, events)
    kills = []
    for number, point in enumerate(KILL_POINTS, start=1):
        kills.append(run_and_kill(killed_env, events, point, root / f"run-{number}.out"))
    final_started = time.monotonic()
    final_code, final_output = run_to_the_end(killed_env, root / "final-run.out", FINAL_RUN_TIMEOUT)
    final_seconds = time.monotonic() - final_started

    print(f"\nclean build: {clean_seconds:.0f} s; killed runs:")
    next_outputs = [kill.output for kill in kills[1:]] + [final_output]
    for kill, next_output in zip(kills, next_outputs, strict=True):
        if kill.hit:
            print(f"  killed during {kill.point.stage} (group: {', '.join(kill.group)})")
            print(f"    after: {kill.line[:160]}")
        else:
            print(f"  NOT killed during {kill.point.stage}: the run ended with {kill.returncode}")
        redone = [
            line.strip()
            for line in next_output.splitlines()
            if line.startswith(("Loaded ", "Building ", "Nothing new"))
        ]
        print(f"    the next run: {'; '.join(redone)}")
    hits = sum(kill.hit for kill in kills)
    print(f"  {hits} of {len(kills)} kill points hit")
    print(f"final run: exit {final_code} in {final_seconds:.0f} s")
    print(f"builds and kills: {time.monotonic() - started:.0f} s")
    return {
        "clean": clean_env,
        "killed": killed_env,
        "kills": kills,
        "final": (final_code, final_output),
    }


def test_the_runs_were_killed_where_planned(builds):
    kills = builds["kills"]
    missed = [kill.point.stage for kill in kills if kill.point.required and not kill.hit]
    assert not missed, f"never killed during: {', '.join(missed)}"
    dbt_kill = next(kill for kill in kills if kill.point.stage == "dbt")
    assert "dbt" in dbt_kill.group, f"no dbt process in the killed group: {dbt_kill.group}"


def test_the_next_run_recovers_each_killed_run(builds):
    """It marks the killed Dagster run failed and frees its pool slot, and says so; and it does
    not wait for the killed run's lock on the warehouse (the OS released it)."""
    kills = builds["kills"]
    next_outputs = [kill.output for kill in kills[1:]] + [builds["final"][1]]
    for kill, next_output in zip(kills, next_outputs, strict=True):
        if kill.hit:
            assert f"Recovered: run {kill.run_id} " in next_output, (
                f"the run after the kill during {kill.point.stage} did not recover run "
                f"{kill.run_id}:\n{next_output[-3000:]}"
            )
        assert "Waiting for the run of" not in next_output, next_output[-3000:]


def test_the_run_after_the_kills_finishes_by_itself(builds):
    code, output = builds["final"]
    assert code is not None, f"binesh run did not end within {FINAL_RUN_TIMEOUT} s:\n{output}"
    assert code == 0, output[-5000:]


def test_no_dagster_run_is_left_running(builds):
    state = json.loads(binesh(builds["killed"], "status", "--json", "--runs", "100"))
    outcomes = [(run["job"], run["outcome"]) for run in state["runs"]]
    assert len(outcomes) < 100
    assert not [run for run in outcomes if run[1] in ("running", "queued")], outcomes
    killed = sum(kill.hit for kill in builds["kills"])
    assert [outcome for _, outcome in outcomes].count("failed") >= killed, outcomes


@pytest.fixture(scope="module")
def both(builds):
    with duckdb.connect() as con:
        for name in ("clean", "killed"):
            warehouse = builds[name]["BINESH_WAREHOUSE"].replace("'", "''")
            con.execute(f"attach '{warehouse}' as {name} (read_only)")
        yield con


def test_every_table_equals_the_clean_build(builds, both):
    code, _ = builds["final"]
    assert code == 0, "the run after the kills failed: nothing to compare"
    tables = compared_tables(both, "clean")
    assert compared_tables(both, "killed") == tables
    assert {table.split(".")[0] for table in tables} == set(COMPARED_SCHEMAS)
    differences = [
        difference
        for table in sorted(tables) + list(COMPARED_AUDIT_TABLES)
        if (difference := table_differences(both, table)) is not None
    ]
    assert not differences, "\n".join(differences)


def test_the_load_log_holds_each_current_file_once_with_the_clean_counts(builds, both):
    current = (
        "select source_file, source_table, content_hash, status, rows_landed, rows_loaded, "
        "rows_quarantined, load_id from {}.audit.load_log where superseded_at is null "
        "order by source_file"
    )
    clean, killed = (both.execute(current.format(name)).fetchall() for name in ("clean", "killed"))
    assert killed == clean
    assert len(clean) == len({row[0] for row in clean}) > 200
    # the landing files never changed: each was loaded once, by the run that committed it
    loaded_again = both.execute(
        "select source_file, count(*) from killed.audit.load_log group by all having count(*) > 1"
    ).fetchall()
    assert not loaded_again


def test_no_raw_row_is_loaded_twice(builds, both):
    raw = sorted(table for table in compared_tables(both, "killed") if table.startswith("raw."))
    assert len(raw) == 12
    twice = {
        table: rows
        for table in raw
        if (
            rows := both.execute(
                f"select _source_file, _source_row, count(*) from killed.{table} "
                "group by all having count(*) > 1 limit 3"
            ).fetchall()
        )
    }
    assert not twice


def test_the_bi_snapshot_is_published_whole(builds):
    """No staged file or folder of the killed publication is left, and the published snapshot
    holds the tables of the clean build's with as many rows, but for audit.quality_results:
    each run appends its checks' results, and the killed deployment ran more runs."""
    published = {}
    for name in ("clean", "killed"):
        directory = Path(builds[name]["BINESH_WAREHOUSE"]).parent / "bi"
        staged = [entry.name for entry in directory.iterdir() if entry.name.startswith(".")]
        assert not staged, f"{name}: staged snapshot files left: {staged}"
        link = directory / "parquet"
        assert link.is_symlink() and link.resolve().is_dir()
        versions = [entry.name for entry in directory.glob("parquet-*")]
        assert versions == [link.resolve().name], versions
        with duckdb.connect(str(directory / "binesh_bi.duckdb"), read_only=True) as con:
            published[name] = con.execute(
                "select schema_name, table_name, if(table_name = 'quality_results', null, "
                "row_count) from snapshot_tables order by all"
            ).fetchall()
    assert published["killed"] == published["clean"]
    assert len(published["clean"]) > 20


def test_every_quality_check_of_the_clean_build_ran_on_the_data(builds, both):
    """A kill between a layer's build and its quality checks must not leave what it built
    unchecked: every check the clean build ran has a result in the killed deployment."""
    checks = "select distinct layer, asset, check_name from {}.audit.quality_results"
    clean, killed = (
        set(both.execute(checks.format(name)).fetchall()) for name in ("clean", "killed")
    )
    never_ran = sorted(clean - killed)
    assert not never_ran, f"{len(never_ran)} checks never ran, e.g. {never_ran[:5]}"
