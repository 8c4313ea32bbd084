"""`make bench` (bench/run.py): every Dagster step of a build is in a known stage, the scan floor
reads every row the loader reads, and the build's memory is sampled over its whole process tree.
"""

import os
import sys

import duckdb
import pytest

from bench.run import (
    OTHER,
    OUTSIDE_STEPS,
    STAGES,
    Step,
    per_stage,
    run_stage,
    scan_floor_stage,
    stage_of_step,
)
from sources.contract import LANDING_TABLES
from sources.loader import load_table
from sources.simulator import simulate


def test_every_step_of_the_build_jobs_is_in_a_known_stage():
    from orchestration.definitions import defs

    stages = {}
    for name in ("load_landing_zone", "build_warehouse"):
        for step in defs.resolve_job_def(name).graph.node_dict:
            stages[step] = stage_of_step(step)
    assert [step for step, stage in stages.items() if stage == OTHER] == []
    # and every stage has a step: no pattern of STEP_STAGES is left behind by a rename
    assert set(stages.values()) == set(STAGES)
    assert {step for step, stage in stages.items() if stage == "raw load"} == {
        f"raw__{table.qualified_name}" for table in LANDING_TABLES
    }


def test_a_step_of_no_known_stage_is_other_not_dropped():
    rows = per_stage([Step("raw__crm__contacts", 0, 1), Step("something_new", 1, 3)], [], 4)
    assert [(row["stage"], row["seconds"]) for row in rows] == [
        ("raw load", 1),
        (OTHER, 2),
        (OUTSIDE_STEPS, 1),
    ]


def test_each_stage_has_its_steps_time_and_the_peak_sampled_within_them():
    steps = [
        Step("raw__crm__contacts", 100.0, 102.0),
        Step("raw__web__events", 102.0, 104.5),
        Step("raw_quality_checks", 105.0, 106.0),
        Step("ml__churn_model", 110.0, 111.0),
        Step("reports__audiences", None, None),  # skipped: no time, no window
    ]
    mb = 2**20
    samples = [(99.0, 40 * mb), (101.0, 300 * mb), (104.0, 500 * mb), (104.8, 900 * mb)]
    samples += [(105.5, 200 * mb), (112.0, 60 * mb)]
    rows = per_stage(steps, samples, seconds=14.0)
    assert rows == [
        {"stage": "raw load", "steps": 2, "seconds": 4.5, "peak_rss_mb": 500},
        {"stage": "raw checks", "steps": 1, "seconds": 1.0, "peak_rss_mb": 200},
        {"stage": "training", "steps": 1, "seconds": 1.0, "peak_rss_mb": None},
        {"stage": "reports", "steps": 1, "seconds": 0.0, "peak_rss_mb": None},
        {"stage": OUTSIDE_STEPS, "steps": 0, "seconds": 7.5, "peak_rss_mb": 900},
    ]


def test_the_scan_floor_reads_every_record_the_loader_reads(tmp_path):
    landing = tmp_path / "landing"
    simulate(landing, customers=300, days=30, seed=5, noise_rate=0.05)
    floor = scan_floor_stage(landing, dict(os.environ))
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for table in LANDING_TABLES:
            load_table(con, landing, table)
        [(landed, files, tables)] = con.execute(
            "select sum(rows_landed), count(*), count(distinct source_table) from audit.load_log"
        ).fetchall()
        # lines DuckDB cannot split into the header's fields: the scan reads and skips them
        [(unparsed,)] = con.execute(
            "select count(*) from audit.quarantine where reason like 'could not parse the line%'"
        ).fetchall()
    assert unparsed > 0 and tables == len(LANDING_TABLES)
    assert floor["rows"] == landed - unparsed
    assert floor["output"].strip().endswith(f'"files": {files}, "tables": {tables}}}')


def test_the_memory_sampler_sees_what_the_stage_s_descendants_hold():
    holder = "x = b'x' * 200_000_000; import time; time.sleep(1.5)"
    spawner = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {holder!r}])"
    stage = run_stage("memory", [sys.executable, "-c", spawner], dict(os.environ), sample=True)
    peak = max(rss for _, rss in stage["rss_samples"])
    assert peak >= 190 * 2**20
    times = [at for at, _ in stage["rss_samples"]]
    assert times == sorted(times) and len(times) >= 5
    assert stage["seconds"] == pytest.approx(times[-1] - times[0], abs=0.5)
