"""`make bench`: simulate a business and build its warehouse at a few scales, and measure it.

Each stage runs as its own process, so its wall time and peak memory (the largest resident set
of the process and everything it started, from wait4) are its own:

  simulate   `binesh simulate` writing the landing zone
  pipeline   `binesh run` on a fresh warehouse: every asset, through Dagster, as `make run` does
  rerun      `binesh run` again with nothing new landed (what a quiet nightly run costs)
  append     `binesh simulate --append-days 1` (not timed), then `binesh run`: a night with
             one new day of data
  erase      with --erase N: `binesh erase --file` of N people drawn from the simulator's truth
             (one source key each; erasure finds the rest of them), its rebuild and final scan

Every run is also printed as a share of the fresh build (`pipeline`).

The pipeline's raw-load and transform (dbt and Python models) shares come from Dagster's step
statistics for that run; identity resolution is scored with `binesh evaluate identity`.
Results go to bench/results/<timestamp>.json and latest.json, and a table is printed.

    python -m bench.run                         # 10k and 100k customers over 365 days
    python -m bench.run --scales 1000000 --days 180 --no-rerun \
        --select '+key:"marts/customer_identity_map"'   # identity at a million customers
    python -m bench.run --scales 100000 --no-rerun --erase 1000   # erasing 1,000 people
    python -m bench.run --erase 1000 --built DIR   # erasing them from a business built in DIR
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from reports.status import rows_per_layer

RESULTS = Path(__file__).resolve().parent / "results"


def run_stage(name: str, command: list[str], env: dict[str, str]) -> dict:
    """Run one stage in a child process; wall time and peak RSS of its whole process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"bench: stage {name} failed:\n{output[-4000:]}")
    return {
        "stage": name,
        "seconds": round(seconds, 2),
        "peak_rss_mb": usage.ru_maxrss // 1024,
        "output": output,
    }


def warehouse_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {schema: rows for schema, _, rows in rows_per_layer(con)}


def steps_of_last_run(dagster_home: Path) -> dict[str, float]:
    """Seconds per Dagster step of the latest `binesh run` (its load run and its build run),
    slowest first, from Dagster's own step statistics."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(dagster_home)) as instance:
        runs = instance.get_runs(limit=2)
        if runs[0].job_name == "load_landing_zone" or runs[-1].job_name != "load_landing_zone":
            runs = runs[:1]  # a run that loaded nothing new, or one --full run
        stats = [step for run in runs for step in instance.get_run_step_stats(run.run_id)]
    seconds = {step.step_key: round(step.end_time - step.start_time, 2) for step in stats}
    return dict(sorted(seconds.items(), key=lambda item: -item[1]))


def step_seconds(dagster_home: Path) -> dict[str, float]:
    """Raw-load and transform (dbt and Python model steps) time of the latest `binesh run`."""
    totals: dict[str, float] = {}
    for step, seconds in steps_of_last_run(dagster_home).items():
        kind = "raw_load" if step.startswith("raw__") else "transform"
        totals[kind] = totals.get(kind, 0.0) + seconds
    return {kind: round(seconds, 2) for kind, seconds in totals.items()}


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
) -> dict:
    landing, warehouse = workdir / "landing", workdir / "warehouse.duckdb"
    dagster_home = workdir / "dagster_home"
    dagster_home.mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parents[1] / "dagster_home" / "dagster.yaml", dagster_home)
    env = dict(
        os.environ,
        BINESH_LANDING_DIR=str(landing),
        BINESH_WAREHOUSE=str(warehouse),
        DAGSTER_HOME=str(dagster_home),
    )
    run = [binesh, "run", *(["--select", select] if select else [])]
    stages = [
        run_stage(
            "simulate",
            [binesh, "simulate", "--customers", str(customers), "--days", str(days)],
            env,
        ),
        run_stage("pipeline", run, env),
    ]
    counts = warehouse_counts(warehouse)
    steps = step_seconds(dagster_home)
    identity = identity_scores(binesh, env)
    if rerun:
        stages.append(run_stage("rerun", run, env))
        run_stage("simulate one more day", [binesh, "simulate", "--append-days", "1"], env)
        stages.append(run_stage("append", run, env))
        stages[-1]["steps_seconds"] = steps_of_last_run(dagster_home)  # where a night goes
    if erase:
        stages.append(erase_stage(workdir, binesh, env, erase))
    for stage in stages:
        del stage["output"]
    for stage in stages[1:]:
        stage["share_of_fresh_build"] = round(stage["seconds"] / stages[1]["seconds"], 3)

    landed = sum(f.stat().st_size for f in landing.rglob("*") if f.is_file())
    raw_rows = counts.get("raw", 0)
    stages[0]["rows_per_second"] = round(raw_rows / stages[0]["seconds"])
    stages[1]["rows_per_second"] = round(raw_rows / stages[1]["seconds"])
    return {
        "customers": customers,
        "days": days,
        "landing_mb": round(landed / 2**20, 1),
        "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1),
        "rows": counts,
        "selection": select,
        "pipeline_steps_seconds": steps,
        "identity": identity,
        "raw_load_rows_per_second": round(raw_rows / steps["raw_load"])
        if steps.get("raw_load")
        else None,
        "stages": stages,
    }


def print_table(results: list[dict]) -> None:
    print(
        f"\n{'customers':>10} {'days':>5} {'stage':<9} {'seconds':>8} {'of fresh':>8} "
        f"{'rows/s':>11} {'peak MB':>8}"
    )
    for result in results:
        for stage in result["stages"]:
            rate = stage.get("rows_per_second")
            share = stage.get("share_of_fresh_build")
            print(
                f"{result['customers']:>10,} {result['days']:>5} {stage['stage']:<9} "
                f"{stage['seconds']:>8.1f} {f'{share:.0%}' if share is not None else '':>8} "
                f"{f'{rate:,}' if rate else '':>11} {stage['peak_rss_mb']:>8,}"
            )
        for stage in result["stages"]:
            for line in stage.get("summary", []):
                print(f"{'':>17} {line}")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result["pipeline_steps_seconds"].items())
        print(f"{'':>17} pipeline steps: {steps}; raw rows {result['rows'].get('raw', 0):,}")
        f1 = {name: scores["f1"] for name, scores in result["identity"].items() if "f1" in scores}
        print(f"{'':>17} identity F1: " + ", ".join(f"{k} {v:.4f}" for k, v in f1.items()))


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
    args = parser.parse_args()
    binesh = str(Path(sys.executable).with_name("binesh"))
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
