"""`make bench`: simulate a business and build its warehouse at a few scales, and measure it.

Each stage runs as its own process, so its wall time and peak memory (from wait4: the largest
resident set of any one process of the stage) are its own:

  simulate    `binesh simulate` writing the landing zone
  scan floor  one DuckDB scan of all landing data (bench/scan_floor.py): every column of every
              row of every landing file, found and read as the loader finds and reads them, in
              one in-memory connection with default settings; the least any build must do
  pipeline    `binesh run` on a fresh warehouse: every asset, through Dagster, as `make run` does
  rerun       `binesh run` again with nothing new landed (what a quiet nightly run costs)
  append      `binesh simulate --append-days 1` (not timed), then `binesh run`: a night with
              one new day of data
  erase       with --erase N: `binesh erase --file` of N people drawn from the simulator's
              truth (one source key each; erasure finds the rest of them), its rebuild and
              final scan

Every run is also printed as a share of the fresh build (`pipeline`), and the fresh build as a
multiple of the scan floor ("pipeline = 23.4× scan floor").

The fresh build is also split into its stages (raw load, raw checks, staging, identity, text,
marts, features, training, scoring, reports, BI; STEP_STAGES says which Dagster step is in which)
and printed as a second table, stored as the pipeline's `per_stage`: each stage's seconds (its
steps' durations from Dagster's step statistics of that run) and peak memory (the largest
resident memory of the build's whole process tree, summed over the processes and sampled every
0.2 s with psutil, within its steps), and the run's time outside any step (startup, planning,
Dagster's own work). Identity resolution is scored with `binesh evaluate identity`. Results go
to bench/results/<timestamp>.json and latest.json, and the tables are printed.

    python -m bench.run                         # 10k and 100k customers over 365 days
    python -m bench.run --scales 1000000 --days 180 --no-rerun \
        --select '+key:"marts/customer_identity_map"'   # identity at a million customers
    python -m bench.run --scales 100000 --no-rerun --erase 1000   # erasing 1,000 people
    python -m bench.run --erase 1000 --built DIR   # erasing them from a business built in DIR
    python -m bench.run --simulated LANDING       # build what `binesh simulate --out LANDING` wrote
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path

import duckdb
import psutil

from reports.status import rows_per_layer

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "bench" / "results"


def run_stage(
    name: str,
    command: list[str],
    env: dict[str, str],
    sample: bool = False,
    cwd: Path | None = None,
) -> dict:
    """Run one stage in a child process; wall time and peak RSS (wait4: the largest of the
    process and the children it waited for). With `sample`, also the resident memory of its
    whole process tree over time (`rss_samples`, see TreeMemory)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    with TreeMemory(process.pid) if sample else contextlib.nullcontext() as memory:
        output = process.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: stage {name} failed:\n{output[-4000:]}")
    stage = {
        "stage": name,
        "seconds": round(seconds, 2),
        "peak_rss_mb": usage.ru_maxrss // 1024,
        "output": output,
    }
    if memory is not None:
        stage["rss_samples"] = memory.samples
    return stage


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants, summed (pages they share are
    counted in each); 0 once it has exited."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.Error):  # exited since, or not ours to read
            total += member.memory_info().rss
    return total


class TreeMemory:
    """Samples the resident memory of a process tree (tree_rss) every `interval` seconds in a
    background thread while in the `with` block: `samples` holds (time.time(), bytes)."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="tree-memory", daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while True:
            now, rss = time.time(), tree_rss(self.process)
            if rss:
                self.samples.append((now, rss))
            if self._stop.wait(self.interval):
                return


def scan_floor_stage(landing: Path, env: dict[str, str]) -> dict:
    """One DuckDB scan of all landing data in a child process (bench/scan_floor.py): what any
    build must at least do; with the rows it read."""
    command = [sys.executable, "-m", "bench.scan_floor", str(landing)]
    stage = run_stage("scan floor", command, env, cwd=PROJECT_ROOT)
    stage["rows"] = json.loads(stage["output"].splitlines()[-1])["rows"]
    return stage


def warehouse_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {schema: rows for schema, _, rows in rows_per_layer(con)}


# The stages of a build, in the order they run, and which one each Dagster step belongs to: the
# first pattern its key matches. Training and scoring steps are named by
# orchestration/model_assets.py (ml__<model>_model, ml__<table>). A step that matches no pattern
# is OTHER, which tests/bench/test_run.py fails on: a new step needs its stage here.
STAGES = (
    "raw load",
    "raw checks",
    "staging",
    "identity",
    "text",
    "marts",
    "features",
    "training",
    "scoring",
    "reports",
    "BI",
)
OTHER = "other"
OUTSIDE_STEPS = "outside steps"  # startup, planning and Dagster's own work between steps
STEP_STAGES = (
    ("raw__*", "raw load"),
    ("raw_quality_checks", "raw checks"),
    ("staging_and_identity_input_models", "staging"),
    ("staging_quality_checks", "staging"),
    ("ml__identity_linkage_model", "identity"),
    ("identity_resolution", "identity"),
    ("text__*", "text"),
    ("warehouse_models", "marts"),
    ("models_after_ml", "marts"),
    ("marts_quality_checks", "marts"),
    ("ml_feature_models", "features"),
    ("features__*", "features"),
    ("ml__*_model", "training"),
    ("ml__*", "scoring"),
    ("reports__bi_snapshot", "BI"),
    ("reports__*", "reports"),
)


def stage_of_step(step_key: str) -> str:
    return next((stage for pattern, stage in STEP_STAGES if fnmatchcase(step_key, pattern)), OTHER)


@dataclass(frozen=True)
class Step:
    key: str
    start: float | None  # epoch seconds; None for a step that did not run
    end: float | None

    @property
    def window(self) -> tuple[float, float] | None:
        return (self.start, self.end) if self.start is not None and self.end is not None else None

    @property
    def seconds(self) -> float:
        return self.end - self.start if self.window else 0.0


def steps_of_last_run(dagster_home: Path) -> list[Step]:
    """The Dagster steps of the latest `binesh run` (its load run and its build run), from
    Dagster's own step statistics."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=2)
        if runs[0].job_name == "load_landing_zone" or runs[-1].job_name != "load_landing_zone":
            runs = runs[:1]  # a run that loaded nothing new, or one --full run
        stats = [step for run in runs for step in instance.get_run_step_stats(run.run_id)]
    return [Step(step.step_key, step.start_time, step.end_time) for step in stats]


def seconds_per_step(steps: list[Step]) -> dict[str, float]:
    """Seconds of each step, slowest first."""
    ordered = sorted(steps, key=lambda step: -step.seconds)
    return {step.key: round(step.seconds, 2) for step in ordered}


def per_stage(steps: list[Step], samples: list[tuple[float, int]], seconds: float) -> list[dict]:
    """Seconds (its steps' durations, summed) and peak memory (the largest sample of the build's
    process tree within any of its steps) of each stage of a build that took `seconds`, in
    STAGES order, OTHER after them; then the time outside every step and its peak."""

    def peak_mb(inside: bool, windows: list[tuple[float, float]]) -> int | None:
        sampled = [
            rss
            for at, rss in samples
            if any(start <= at <= end for start, end in windows) == inside
        ]
        return round(max(sampled) / 2**20) if sampled else None

    by_stage: dict[str, list[Step]] = {}
    for step in steps:
        by_stage.setdefault(stage_of_step(step.key), []).append(step)
    rows = [
        {
            "stage": stage,
            "steps": len(by_stage[stage]),
            "seconds": round(sum(step.seconds for step in by_stage[stage]), 2),
            "peak_rss_mb": peak_mb(True, [s.window for s in by_stage[stage] if s.window]),
        }
        for stage in (*STAGES, OTHER)
        if stage in by_stage
    ]
    windows = sorted(step.window for step in steps if step.window)
    inside, reached = 0.0, float("-inf")  # the union of the windows, should any overlap
    for start, end in windows:
        inside += max(0.0, end - max(start, reached))
        reached = max(reached, end)
    rows.append(
        {
            "stage": OUTSIDE_STEPS,
            "steps": 0,
            "seconds": round(max(0.0, seconds - inside), 2),
            "peak_rss_mb": peak_mb(False, windows),
        }
    )
    return rows


def identity_scores(binesh: str, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [binesh, "evaluate", "identity", "--json", "--no-shared-data"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"bench: binesh evaluate identity failed:\n{done.stderr[-4000:]}")
    report = json.loads(done.stdout)
    return {
        population: {
            name: round(report[population][name], 4) for name in ("precision", "recall", "f1")
        }
        for population in ("all_records", "identifiable_records", "resolved_records")
    } | {"name_only_reviews": report["name_only_reviews"]}


def erasure_requests(
    landing: Path, warehouse: Path, people: int, path: Path, seed: int = 14
) -> int:
    """Write one source key (`<source>__<table>:<key>`) for each of `people` persons drawn from
    the simulator's truth, a key the identity map holds (noise may have lost a record); returns
    how many were written."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mapped = {
            key
            for (key,) in con.execute(
                "select source || '__' || source_table || ':' || source_key "
                "from marts.customer_identity_map"
            ).fetchall()
        }
    with (landing / "_truth" / "identity.csv").open() as handle:
        first_record: dict[str, str] = {}
        for row in csv.DictReader(handle):
            key = f"{row['source']}__{row['source_table']}:{row['source_key']}"
            if key in mapped:
                first_record.setdefault(row["person_id"], key)
    chosen = random.Random(seed).sample(sorted(first_record), min(people, len(first_record)))
    path.write_text("".join(f"{first_record[person]}\n" for person in chosen))
    return len(chosen)


def erase_stage(workdir: Path, binesh: str, env: dict[str, str], people: int) -> dict:
    """`binesh erase --file` of `people` drawn from the truth of the built business in
    `workdir`, with what it found and took out, and what its final scan said."""
    # beside the data folder, not in it: erasure redacts identifiers in the text files there
    requests = workdir.with_name(f"{workdir.name}-erase.txt")
    landing, warehouse = workdir / "landing", workdir / "warehouse.duckdb"
    erased = erasure_requests(landing, warehouse, people, requests)
    stage = run_stage("erase", [binesh, "erase", "--file", str(requests)], env)
    stage["people_requested"] = erased
    lines = stage["output"].splitlines()
    said = [line for line in lines if line.startswith(("Erasure ", "Took out ", "Rewrote "))]
    receipt = next((i for i, line in enumerate(lines) if line.startswith("Receipt")), -1)
    stage["summary"] = said + lines[receipt + 1 :][:20]
    return stage


def bench_scale(
    customers: int,
    days: int,
    workdir: Path,
    binesh: str,
    select: str | None,
    rerun: bool,
    erase: int = 0,
    simulated: Path | None = None,
) -> dict:
    landing, warehouse = simulated or workdir / "landing", workdir / "warehouse.duckdb"
    dagster_home = workdir / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", dagster_home)
    env = dict(
        os.environ,
        BINESH_LANDING_DIR=str(landing),
        BINESH_WAREHOUSE=str(warehouse),
        DAGSTER_HOME=str(dagster_home),
    )
    run = [binesh, "run", *(["--select", select] if select else [])]
    simulate = [binesh, "simulate", "--customers", str(customers), "--days", str(days)]
    stages = [] if simulated else [run_stage("simulate", simulate, env)]
    stages += [scan_floor_stage(landing, env), run_stage("pipeline", run, env, sample=True)]
    pipeline = stages[-1]
    by_stage = per_stage(
        steps_of_last_run(dagster_home), pipeline.pop("rss_samples"), pipeline["seconds"]
    )
    pipeline["per_stage"] = by_stage
    counts = warehouse_counts(warehouse)
    identity = identity_scores(binesh, env)
    if rerun:
        stages.append(run_stage("rerun", run, env))
        run_stage("simulate one more day", [binesh, "simulate", "--append-days", "1"], env)
        stages.append(run_stage("append", run, env))
        # where a night goes
        stages[-1]["steps_seconds"] = seconds_per_step(steps_of_last_run(dagster_home))
    if erase:
        stages.append(erase_stage(workdir, binesh, env, erase))
    for stage in stages:
        del stage["output"]
    for stage in stages:
        if stage["stage"] != "simulate":
            stage["share_of_fresh_build"] = round(stage["seconds"] / pipeline["seconds"], 3)
    floor = stage_named({"stages": stages}, "scan floor")
    pipeline["scan_floor_multiple"] = round(pipeline["seconds"] / floor["seconds"], 1)

    landed = sum(f.stat().st_size for f in landing.rglob("*") if f.is_file())
    raw_rows = counts.get("raw", 0)
    if not simulated:
        stages[0]["rows_per_second"] = round(raw_rows / stages[0]["seconds"])
    floor["rows_per_second"] = round(floor["rows"] / floor["seconds"])
    pipeline["rows_per_second"] = round(raw_rows / pipeline["seconds"])
    raw_load = next((row["seconds"] for row in by_stage if row["stage"] == "raw load"), 0)
    return {
        "customers": customers,
        "days": days,
        "landing_mb": round(landed / 2**20, 1),
        "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1),
        "rows": counts,
        "selection": select,
        "identity": identity,
        "raw_load_rows_per_second": round(raw_rows / raw_load) if raw_load else None,
        "stages": stages,
    }


def stage_named(result: dict, name: str) -> dict:
    return next(stage for stage in result["stages"] if stage["stage"] == name)


def print_table(results: list[dict]) -> None:
    print(
        f"\n{'customers':>10} {'days':>5} {'stage':<10} {'seconds':>8} {'of fresh':>8} "
        f"{'rows/s':>11} {'peak MB':>8}"
    )
    for result in results:
        for stage in result["stages"]:
            rate = stage.get("rows_per_second")
            share = stage.get("share_of_fresh_build")
            print(
                f"{result['customers']:>10,} {result['days']:>5} {stage['stage']:<10} "
                f"{stage['seconds']:>8.1f} {f'{share:.0%}' if share is not None else '':>8} "
                f"{f'{rate:,}' if rate else '':>11} {stage['peak_rss_mb']:>8,}"
            )
        for stage in result["stages"]:
            for line in stage.get("summary", []):
                print(f"{'':>17} {line}")
        floor, pipeline = (stage_named(result, name) for name in ("scan floor", "pipeline"))
        print(
            f"{'':>17} pipeline = {pipeline['scan_floor_multiple']:.1f}× scan floor "
            f"({floor['rows']:,} landing rows in {floor['seconds']:.1f} s); "
            f"raw rows {result['rows'].get('raw', 0):,}"
        )
        f1 = {name: scores["f1"] for name, scores in result["identity"].items() if "f1" in scores}
        print(f"{'':>17} identity F1: " + ", ".join(f"{k} {v:.4f}" for k, v in f1.items()))
    for result in results:
        pipeline = stage_named(result, "pipeline")
        print(
            f"\nfresh build by stage, {result['customers']:,} customers × {result['days']} days "
            f"(peak: the build's process tree, sampled every 0.2 s)"
        )
        print(f"{'stage':<14} {'steps':>5} {'seconds':>8} {'of build':>8} {'peak MB':>8}")
        for row in pipeline["per_stage"]:
            peak = row["peak_rss_mb"]
            print(
                f"{row['stage']:<14} {row['steps'] or '':>5} {row['seconds']:>8.1f} "
                f"{row['seconds'] / pipeline['seconds']:>8.0%} "
                f"{f'{peak:,}' if peak is not None else '':>8}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="10000,100000", help="customer counts, comma-separated")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--select", help="build only these assets (binesh run --select)")
    parser.add_argument(
        "--no-rerun", action="store_true", help="skip the quiet rerun and the appended day"
    )
    parser.add_argument(
        "--erase", type=int, default=0, metavar="N", help="then erase N people (binesh erase)"
    )
    parser.add_argument(
        "--built",
        type=Path,
        metavar="DIR",
        help="with --erase: only erase, in a business already built there (landing/, "
        "warehouse.duckdb, dagster_home/, as --keep leaves them); DIR is changed",
    )
    parser.add_argument(
        "--simulated",
        type=Path,
        metavar="LANDING",
        help="build this landing zone, which `binesh simulate` already wrote (one scale: "
        "--scales and --days are read from it), instead of simulating; the appended day is "
        "added to it",
    )
    args = parser.parse_args()
    binesh = str(Path(sys.executable).with_name("binesh"))
    if args.simulated:
        args.simulated = args.simulated.resolve()
        simulation = json.loads((args.simulated / "_truth" / "simulation.json").read_text())
        args.scales = str(simulation["parameters"]["customers"])
        args.days = simulation["days"]
    if args.built:
        if not args.erase:
            parser.error("--built measures erasure only: give --erase N")
        workdir = args.built.resolve()
        env = dict(
            os.environ,
            BINESH_LANDING_DIR=str(workdir / "landing"),
            BINESH_WAREHOUSE=str(workdir / "warehouse.duckdb"),
            DAGSTER_HOME=str(workdir / "dagster_home"),
        )
        stage = erase_stage(workdir, binesh, env, args.erase)
        del stage["output"]
        write_report([{"built": str(workdir), "stages": [stage]}])
        print(f"erase {stage['seconds']:.1f} s, peak {stage['peak_rss_mb']:,} MB")
        for line in stage["summary"]:
            print(f"  {line}")
        return

    results = []
    for customers in (int(s) for s in args.scales.split(",")):
        workdir = Path(tempfile.mkdtemp(prefix=f"binesh-bench-{customers}-"))
        try:
            results.append(
                bench_scale(
                    customers,
                    args.days,
                    workdir,
                    binesh,
                    args.select,
                    not args.no_rerun,
                    args.erase,
                    args.simulated,
                )
            )
        finally:
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
                workdir.with_name(f"{workdir.name}-erase.txt").unlink(missing_ok=True)
        print_table(results[-1:])

    write_report(results)
    print_table(results)


def write_report(results: list[dict]) -> None:
    report = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in (f"{stamp}.json", "latest.json"):
        (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
