"""Journeys and KPIs, built for real: incremental builds equal a full refresh.

A small simulation is built with `binesh run`, extended with append_days() (whose files carry
late-arriving events, dated before the first build's last day), given a re-delivered web events
file and email messages file that dropped rows, and built again, so the incremental models
(staging events and messages, sessions, touchpoints) take their incremental path.
A copy of that warehouse is then rebuilt with `dbt run --full-refresh`: every journey and KPI
mart, and both incremental models, must come out identical. The A/B p-values computed in SQL are
checked against scipy on the same counts.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from scipy.stats import norm

from sources.simulator import append_days, simulate
from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT = str(Path(sys.executable).with_name("dbt"))

START_DATE, FIRST_DAYS, APPENDED_DAYS = date(2025, 3, 1), 20, 4
INCREMENTAL_MODELS = [
    "staging.stg_web__events",
    "staging.stg_marketing__messages",
    "intermediate.int_web__sessions",
    "intermediate.int_journeys__touchpoints",
]
MARTS = [
    "marts.fct_customer_touchpoints",
    "marts.fct_lifecycle_stages",
    "marts.journey_funnel",
    "marts.fct_order_attribution",
    "marts.kpi_daily",
    "marts.kpi_monthly",
    "marts.cohort_retention",
    "marts.campaign_ab_results",
]


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


def redeliver_without_first_rows(path: Path, rows: int = 25) -> None:
    """A corrected export of an already loaded file: the same path, some rows gone."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        assert table.num_rows > rows
        pq.write_table(table.slice(rows), path)
    else:
        lines = path.read_text().splitlines(keepends=True)
        assert len(lines) > rows
        path.write_text("".join(lines[rows:]))


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("journeys")
    landing = root / "landing"
    incremental = root / "incremental.duckdb"
    env = binesh_env(root, BINESH_WAREHOUSE=str(incremental))

    simulate(landing, customers=250, days=FIRST_DAYS, seed=11, start_date=START_DATE)
    binesh(env, "run")
    first_build_until = rows(
        incremental, "(select max(session_ended_at) from intermediate.int_web__sessions)"
    )[0][0]
    append_days(landing, days=APPENDED_DAYS)
    redeliver_without_first_rows(landing / "web" / "events" / f"{START_DATE}.parquet")
    messages = (landing / "marketing" / "messages").glob("*.jsonl")
    redeliver_without_first_rows(max(messages, key=lambda path: path.stat().st_size))
    binesh(env, "run")

    full_refresh = root / "full_refresh.duckdb"
    shutil.copy(incremental, full_refresh)
    run(
        [
            DBT,
            "run",
            "--full-refresh",
            "--profiles-dir",
            ".",
            "--target-path",
            str(root / "dbt_target"),
            "--select",
            "stg_web__events",
            "stg_marketing__messages",
            "int_web__sessions+",
            "int_journeys__touchpoints+",
        ],
        dict(env, BINESH_WAREHOUSE=str(full_refresh)),
        cwd=DBT_PROJECT_DIR,
    )
    return {
        "landing": landing,
        "incremental": incremental,
        "full_refresh": full_refresh,
        "first_build_until": first_build_until,
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


@pytest.mark.parametrize("table", INCREMENTAL_MODELS + MARTS)
def test_incremental_build_equals_full_refresh(warehouses, table):
    incremental = rows(warehouses["incremental"], table)
    full_refresh = rows(warehouses["full_refresh"], table)
    assert incremental, f"{table} is empty"
    assert len(incremental) == len(full_refresh), table
    for left, right in zip(incremental, full_refresh, strict=True):
        assert all(map(same_value, left, right)), f"{table}: {left} != {right}"


def test_rows_of_a_redelivered_file_that_dropped_them_are_gone(warehouses):
    with duckdb.connect(str(warehouses["incremental"]), read_only=True) as con:
        staged, raw = con.execute(
            "select (select count(*) from staging.stg_web__events where _source_file = ?),"
            " (select count(distinct event_id) from raw.web__events where _source_file = ?)",
            [f"web/events/{START_DATE}.parquet"] * 2,
        ).fetchone()
    assert 0 < staged <= raw


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
