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
run still running, and the BI snapshot must be published whole.

Where a run is: the killed deployment's dagster.yaml adds a logging handler that writes every
Dagster event of its runs (step starts and asset materializations included, which the CLI does
not print) to a file the test follows; the run is killed when the event of its kill point is
written there. A point a run never reaches (it ended by itself first) is reported, and the
raw-load and dbt kills must have happened.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.tools import BINESH, binesh, binesh_env, group_alive, run_binesh, stop_process_group

pytestmark = pytest.mark.integration

# The ml tables too, row for row: training and scoring use fixed seeds, and two clean builds of
# the same landing zone give identical ml.* tables (model versions included; checked).
COMPARED_SCHEMAS = (
    "raw", "staging", "intermediate", "identity", "text", "marts", "features", "ml", "snapshots"
)
# The loader's own audit rows (the other audit tables are per run, or dbt's test failures).
COMPARED_AUDIT_TABLES = ("audit.quarantine", "audit.set_aside_values")

# Columns that hold when something ran or a per-run identity, not data: two clean builds of the
# same landing zone differ in them (found by diffing two clean builds), so they are left out of
# the comparison; every other column, keys and lineage columns (_source_file, _source_row,
# _load_id) included, must be equal.
WALL_CLOCK_COLUMNS = {
    "_loaded_at",  # raw and staging: when the loader loaded the row's file
    "loaded_at",  # int_journeys__touchpoints: its rows' _loaded_at (the incremental watermark)
    "events_loaded_at",  # int_web__sessions: the same for a session's events
    "analysed_at",  # text.insights: when the text of the row was analysed
    "quarantined_at",  # audit.quarantine: when the row was quarantined
    "set_aside_at",  # audit.set_aside_values: when the value was set aside
    # snapshots.customer_status_snapshot (strategy: check): the time of the snapshot run, and
    # dbt_scd_id, a hash of the key and that time; dbt_valid_to is compared (null or not)
    "dbt_updated_at",
    "dbt_valid_from",
    "dbt_scd_id",
    # identity.linked_records: a digest of the trained Splink model (and of the
    # record), and the model's settings carry Splink's random linker_uid, new on every training
    "link_fingerprint",
}
DOUBLE_DECIMALS = 6  # sums and averages rebuilt from the same rows differ in their last bits

EVENTS_LOG = "dagster-events.log"
KILLED_RUN_TIMEOUT = 600  # seconds; a killed-to-be run ending by itself takes about 2.5 min
FINAL_RUN_TIMEOUT = 300  # a run that waits for a pool slot a killed run holds waits forever
# reports/bi_snapshot.py: the snapshot database being written, before its swap into place
BI_STAGED_DATABASE = ".binesh_bi.duckdb."


@dataclass(frozen=True)
class KillPoint:
    """Kill the run `delay` seconds after the Dagster event line `event` matches; with
    `staged_snapshot`, when the BI snapshot's staged database file appears after it instead."""

    stage: str
    event: str  # regular expression on a line of EVENTS_LOG
    delay: float = 0.0
    staged_snapshot: bool = False
    required: bool = False


def step_event(step: str, event: str, then: str = "") -> str:
    return rf" - {re.escape(step)} - {event} - {then}"


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


@dataclass
class Kill:
    point: KillPoint
    hit: bool
    output: str  # the run's stdout and stderr
    run_id: str | None = None  # the Dagster run it killed
    line: str = ""  # the event line it was killed after
    group: tuple[str, ...] = ()  # the programs of its process group when killed
    returncode: int | None = None  # how it ended when not killed


def add_event_log_handler(env: dict[str, str], path: Path) -> None:
    """Every Dagster event of the deployment's runs, DEBUG ones included, one line each to
    `path` (Dagster's python_logs.dagster_handler_config)."""
    config_file = Path(env["DAGSTER_HOME"]) / "dagster.yaml"
    config = yaml.safe_load(config_file.read_text()) or {}
    config.setdefault("python_logs", {})["dagster_handler_config"] = {
        "handlers": {
            "crash_test_events": {
                "class": "logging.FileHandler",
                "level": "DEBUG",
                "filename": str(path),
            }
        }
    }
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


class Follower:
    """New whole lines of a file another process appends to."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self.rest = b""

    def lines(self) -> list[str]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        self.offset += len(chunk)
        *whole, self.rest = (self.rest + chunk).split(b"\n")
        return [line.decode("utf-8", "replace") for line in whole]


def group_programs(group: int) -> tuple[str, ...]:
    """The programs (script names) of a process group's live members: binesh, dbt while a dbt
    step runs, and the `tail` processes Dagster mirrors step output with. Linux: reads /proc."""
    programs = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != group or fields[0] == "Z":
                continue
            argv = (stat.parent / "cmdline").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        # a console script runs as `python <script>`: name the script
        names = [Path(arg.decode()).name for arg in argv[:2] if arg]
        programs.append(names[-1] if names and names[0].startswith("python") else names[0])
    return tuple(sorted(set(programs)))


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL to the process group of `process` (started with start_new_session=True), then
    wait until no member is left."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while group_alive(process.pid):
        assert time.monotonic() < deadline, f"processes of group {process.pid} outlived SIGKILL"
        time.sleep(0.05)


def killed(process: subprocess.Popen, point: KillPoint, line: str, output: Path) -> Kill:
    programs = group_programs(process.pid)
    kill_group(process)
    return Kill(
        point,
        hit=True,
        output=output.read_text(),
        run_id=line.split(" - ")[1],
        line=line,
        group=programs,
    )


def start_run(env: dict[str, str], output: Path) -> subprocess.Popen:
    """`binesh run` in a process group of its own (to kill it with its dbt), output to a file."""
    with output.open("w") as out:
        return subprocess.Popen(
            [BINESH, "run"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def run_and_kill(env: dict[str, str], events: Path, point: KillPoint, output: Path) -> Kill:
    """`binesh run`, killed at `point`; or, if it ends by itself first, how it ended."""
    follower = Follower(events)
    process = start_run(env, output)
    bi_directory = Path(env["BINESH_WAREHOUSE"]).parent / "bi"
    pattern = re.compile(point.event)
    reached: str | None = None
    deadline = time.monotonic() + KILLED_RUN_TIMEOUT
    try:
        while process.poll() is None:
            assert time.monotonic() < deadline, (
                f"binesh run still running after {KILLED_RUN_TIMEOUT} s:\n{output.read_text()}"
            )
            lines = follower.lines()
            if reached is None:
                for index, line in enumerate(lines):
                    if pattern.search(line):
                        reached, lines = line, lines[index + 1 :]
                        break
                if reached is not None and not point.staged_snapshot:
                    time.sleep(point.delay)
                    return killed(process, point, reached, output)
            if reached is not None and point.staged_snapshot:
                if any(
                    re.search(r" - reports__bi_snapshot - STEP_(SUCCESS|FAILURE) ", line)
                    for line in lines
                ):
                    break  # published (or failed) before its staged file was seen: too late
                if bi_directory.is_dir() and any(
                    entry.name.startswith(BI_STAGED_DATABASE) for entry in bi_directory.iterdir()
                ):
                    return killed(process, point, reached, output)
            time.sleep(0.005)
        process.wait(timeout=KILLED_RUN_TIMEOUT)
    finally:
        if process.poll() is None or group_alive(process.pid):
            stop_process_group(process, grace_seconds=5)
    return Kill(point, hit=False, output=output.read_text(), returncode=process.returncode)


def run_to_the_end(env: dict[str, str], output: Path, timeout: float) -> tuple[int | None, str]:
    """`binesh run` left alone for up to `timeout` seconds: its exit code (None when it had to
    be stopped) and output."""
    process = start_run(env, output)
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        stop_process_group(process, grace_seconds=5)
    return returncode, output.read_text()


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


def compared_tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    schemas = ", ".join(f"'{schema}'" for schema in COMPARED_SCHEMAS)
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            f"select schema_name, table_name from duckdb_tables() "
            f"where database_name = '{database}' and schema_name in ({schemas})"
        ).fetchall()
    }


def columns_of(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple]:
    schema, name = table.split(".")
    return con.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [database, schema, name],
    ).fetchall()


def table_differences(con: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """How `table` differs between the attached databases clean and killed, or None."""
    columns = columns_of(con, "clean", table)
    if columns != columns_of(con, "killed", table):
        return f"{table}: columns {columns} != {columns_of(con, 'killed', table)}"
    selected = ", ".join(
        f'round("{name}", {DOUBLE_DECIMALS}) as "{name}"' if kind == "DOUBLE" else f'"{name}"'
        for name, kind in columns
        if name not in WALL_CLOCK_COLUMNS
    )
    differences = []
    for left, right in (("clean", "killed"), ("killed", "clean")):
        rows = con.execute(
            f"select {selected} from {left}.{table} except all "
            f"select {selected} from {right}.{table}"
        ).fetchall()
        if rows:
            differences.append(f"{len(rows)} rows only in the {left} build, e.g. {rows[:2]}")
    if not differences:
        return None
    counts = [
        con.execute(f"select count(*) from {database}.{table}").fetchone()[0]
        for database in ("clean", "killed")
    ]
    return f"{table} ({counts[0]} rows clean, {counts[1]} killed): " + "; ".join(differences)


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
