"""The ML feature marts are point-in-time correct, and an orders-only business gets ML.

A small simulation is built with `binesh run`. Its feature marts are then rebuilt as of a cutoff
inside the history, the raw data after that cutoff is changed (amounts tripled, late orders
added, half the web events and every later lead deleted) and the marts rebuilt from raw: not one
feature may change. The same changes do show at the default cutoff (the latest data), so the
comparison can fail. A second landing zone with only the shop's files still gets segments,
churn (by the BG/NBD fallback on a short history) and CLV. The simulation is noise-free: this
is about time, and the quality checks' blocking thresholds are tested elsewhere.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from ml.leads.pipeline import train_lead_model
from ml.pipeline.frames import FEATURE_SCHEMA, FEATURE_TABLES, read_feature_frames
from sources.simulator import simulate
from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DBT = str(Path(sys.executable).with_name("dbt"))
START_DATE, DAYS = date(2025, 1, 1), 100
CUTOFF = START_DATE + timedelta(days=70)


def run(command: list[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def business(tmp_path_factory) -> dict[str, str]:
    env = binesh_env(tmp_path_factory.mktemp("business"))
    simulate(
        Path(env["BINESH_LANDING_DIR"]),
        customers=400,
        days=DAYS,
        seed=8,
        start_date=START_DATE,
        noise_rate=0.0,
    )
    binesh(env, "run")
    return env


def dbt(env: dict[str, str], target: Path, *args: str) -> None:
    run(
        [DBT, *args, "--profiles-dir", ".", "--target-path", str(target)],
        env,
        cwd=PROJECT_ROOT / "dbt_project",
    )


def feature_rows(warehouse: str) -> dict[str, list[tuple]]:
    with duckdb.connect(warehouse, read_only=True) as con:
        return {
            table: con.execute(f"select * from {FEATURE_SCHEMA}.{table} order by all").fetchall()
            for table in FEATURE_TABLES
        }


def same_rows(left: list[tuple], right: list[tuple]) -> bool:
    def same(a, b) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return a == b

    return len(left) == len(right) and all(
        len(a) == len(b) and all(map(same, a, b)) for a, b in zip(left, right, strict=True)
    )


CHANGES_AFTER_CUTOFF = [
    "update raw.ecommerce__orders set amount = amount * 3 where ordered_at >= $day_after",
    "insert into raw.ecommerce__orders select * replace (order_id || '-late' as order_id, "
    "ordered_at + interval 1 hour as ordered_at) from raw.ecommerce__orders "
    "where ordered_at >= $day_after",
    "delete from raw.web__events where occurred_at >= $day_after and hash(event_id) % 2 = 0",
    "delete from raw.crm__leads where created_at >= $day_after",
]


def test_changing_data_after_the_cutoff_changes_no_feature(business, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(business["BINESH_WAREHOUSE"], warehouse)
    env = business | {"BINESH_WAREHOUSE": str(warehouse)}
    # a 30-day churn horizon keeps both churn cutoffs (as_of - 30, as_of - 60) inside the history
    as_of = json.dumps({"as_of": CUTOFF.isoformat(), "churn_horizon_days": 30})
    dbt(
        env,
        tmp_path / "target",
        "run",
        "--select",
        "path:models/features",
        "--vars",
        as_of,
    )
    before = feature_rows(str(warehouse))
    assert all(before[table] for table in FEATURE_TABLES), "every feature mart has rows"

    with duckdb.connect(str(warehouse)) as con:
        for statement in CHANGES_AFTER_CUTOFF:
            con.execute(statement, {"day_after": CUTOFF + timedelta(days=1)})
    # rebuild everything the features read from raw (identity resolution's tables stay)
    dbt(env, tmp_path / "target", "run", "--full-refresh", "--select",
        "+path:models/features", "--vars", as_of)  # fmt: skip
    after = feature_rows(str(warehouse))
    for table in FEATURE_TABLES:
        assert same_rows(before[table], after[table]), f"{table} changed with later data"

    # the changes are real: at the default cutoff (the latest data) the features see them
    dbt(env, tmp_path / "target", "run", "--select", "path:models/features")
    latest = feature_rows(str(warehouse))
    original = feature_rows(business["BINESH_WAREHOUSE"])
    assert not same_rows(latest["customer_orders"], original["customer_orders"])
    assert not same_rows(latest["customer_features"], original["customer_features"])


def test_a_business_with_only_orders_gets_segments_churn_and_clv(business, tmp_path):
    env = binesh_env(tmp_path)
    shutil.copytree(
        Path(business["BINESH_LANDING_DIR"]) / "ecommerce",
        Path(env["BINESH_LANDING_DIR"]) / "ecommerce",
    )
    binesh(env, "run")
    with duckdb.connect(env["BINESH_WAREHOUSE"], read_only=True) as con:
        counts = {
            table: con.execute(f"select count(*) from ml.{table}").fetchone()[0]
            for table in (
                "customer_segments",
                "churn_predictions",
                "clv_predictions",
                "next_best_offers",
                "lead_scores",
            )
        }
        methods = con.execute("select distinct method from ml.churn_predictions").fetchall()
        filled = con.execute(
            "select count(segment), count(churn_probability), count(clv) from marts.customer_360"
        ).fetchone()
    assert counts["customer_segments"] == counts["churn_predictions"] == counts["clv_predictions"]
    assert counts["customer_segments"] > 50 and counts["next_best_offers"] > 0
    assert counts["lead_scores"] == 0  # no CRM, no leads: an empty table, not a failed run
    # 100 days of history cannot train a 90-day churn classifier with a backtest: the fallback
    assert methods == [("bg_nbd_1_minus_p_alive",)]
    assert all(count == counts["customer_segments"] for count in filled)


def test_a_model_reads_only_the_feature_marts_it_uses(business):
    """At a million customers the product events are tens of millions of rows: the lead model,
    which does not use them, must not read them into memory."""
    with duckdb.connect(business["BINESH_WAREHOUSE"], read_only=True) as con:
        frames = read_feature_frames(con)
        train_lead_model(frames)
        read = {name for name in vars(frames) if not name.startswith("_")} - {"cutoffs"}
        assert read == {"leads"}
        assert (
            len(frames.product_events)
            == con.execute(
                f"select count(*) from {FEATURE_SCHEMA}.customer_product_events"
            ).fetchone()[0]
        )
