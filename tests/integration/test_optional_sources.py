"""Every source is optional: `binesh run` on a business that delivers only some landing tables.

One small business is simulated once (noise-free: this is about absent sources; noise and the
quality thresholds are tested elsewhere) and each case copies only some of its table folders
into a landing zone of its own, then runs the whole pipeline. Every run succeeds, builds the
marts (empty where a source is absent) and the models its data allow, and writes the models it
cannot fit as empty ml.* tables, with "not enough data: needs X, found Y" in the run summary.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from ml.pipeline.tables import TABLE_SCHEMAS
from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

ORDER_COLUMNS = ("order_id", "customer_id", "ordered_at", "amount")  # the required ones
MARTS = (
    "dim_customers",
    "customer_identity_map",
    "customer_360",
    "fct_customer_touchpoints",
    "kpi_daily",
    "kpi_monthly",
    "insight_sales_trends",
    "insight_channels",
)
ORDER_MODELS = ("customer_segments", "churn_predictions", "clv_predictions")
MODEL_OF_TABLE = {
    "customer_segments": "segmentation",
    "lead_scores": "lead_scoring",
    "churn_predictions": "churn",
    "clv_predictions": "clv",
    "next_best_offers": "next_best_offer",
}


@dataclass(frozen=True)
class Case:
    tables: tuple[str, ...]  # <source>/<table> folders copied from the simulation
    built: tuple[str, ...] = ()  # ml.* tables with rows; every other one is skipped


CASES = {
    "crm_only": Case(("crm/contacts", "crm/leads")),
    "shop_customers_only": Case(("ecommerce/customers",)),
    # the required columns only, and no customers file for the orders' customer_id to match
    "orders_only": Case(("ecommerce/orders",), ORDER_MODELS),
    "web_events_only": Case(("web/events",)),
    "orders_and_web_events": Case(("ecommerce/orders", "web/events"), ORDER_MODELS),
}


@pytest.fixture(scope="module")
def simulation(tmp_path_factory) -> Path:
    env = binesh_env(tmp_path_factory.mktemp("simulation"))
    # 60 days: too few leads with a known outcome to score leads, enough buyers for CLV
    binesh(
        env, "simulate", "--customers", "300", "--days", "60", "--seed", "7", "--noise-rate", "0"
    )
    return Path(env["BINESH_LANDING_DIR"])


def copy_tables(simulation: Path, landing: Path, tables: tuple[str, ...]) -> None:
    for table in tables:
        if table != "ecommerce/orders":
            shutil.copytree(simulation / table, landing / table)
            continue
        (landing / table).mkdir(parents=True)
        for path in sorted((simulation / table).glob("*.csv")):
            with (
                path.open(newline="") as source,
                (landing / table / path.name).open("w", newline="") as target,
            ):
                writer = csv.DictWriter(target, ORDER_COLUMNS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(csv.DictReader(source))


@dataclass(frozen=True)
class Run:
    case: Case
    landing: Path
    warehouse: str
    output: str

    def skipped(self) -> dict[str, str]:
        """ml table -> reason, from the run summary's "Models skipped" section."""
        section = self.output.split("Models skipped", 1)[-1].split("\n\n", 1)[0]
        return dict(re.findall(r"^  ml\.(\w+)\s+(not enough data: .+)$", section, re.M))

    def query(self, sql: str) -> tuple:
        with duckdb.connect(self.warehouse, read_only=True) as con:
            return con.execute(sql).fetchone()


@pytest.fixture(scope="module", params=list(CASES))
def run(request, simulation, tmp_path_factory) -> Run:
    case = CASES[request.param]
    env = binesh_env(tmp_path_factory.mktemp(request.param))
    landing = Path(env["BINESH_LANDING_DIR"])
    copy_tables(simulation, landing, case.tables)
    output = binesh(env, "run")  # fails the test unless the run exits 0
    return Run(case, landing, env["BINESH_WAREHOUSE"], output)


def landed_csv(landing: Path, table: str) -> list[dict[str, str]]:
    return [
        row
        for path in sorted((landing / table).glob("*.csv"))
        for row in csv.DictReader(path.read_text().splitlines())
    ]


def test_the_run_builds_the_marts_reports_and_every_ml_table(run):
    assert "Built the warehouse" in run.output
    for mart in MARTS:
        run.query(f"select count(*) from marts.{mart}")  # exists (empty when its source is)
    customers, profiles = run.query(
        "select (select count(*) from marts.dim_customers), count(*) from marts.customer_360"
    )
    assert profiles == customers > 0
    for table, schema in TABLE_SCHEMAS.items():
        with duckdb.connect(run.warehouse, read_only=True) as con:
            columns = con.execute(f"describe ml.{table}").fetchall()
        assert {name: type_.lower() for name, type_, *_ in columns} == schema, table
    reports = Path(run.warehouse).parent / "reports"
    assert (reports / "insight" / "latest.html").is_file()
    assert (reports / "quality" / "latest.html").is_file()


def test_models_without_enough_data_are_skipped_with_the_reason(run):
    skipped = run.skipped()
    assert set(skipped) == set(TABLE_SCHEMAS) - set(run.case.built), run.output
    models = Path(run.warehouse).parent / "models"
    for table, reason in skipped.items():
        rows = run.query(f"select count(*) from ml.{table}")[0]
        assert rows == 0, table
        assert re.fullmatch(r"not enough data: needs .+, found \d+.*", reason), reason
        # the same reason in the model's artifact (a fresh warehouse has one version of each)
        (artifact,) = (models / MODEL_OF_TABLE[table]).glob("*/metadata.json")
        assert json.loads(artifact.read_text())["why_no_model"] == reason
    for table in run.case.built:
        assert run.query(f"select count(*) from ml.{table}")[0] > 0, table
    if "ecommerce/orders" not in run.case.tables:
        assert skipped["clv_predictions"].endswith(", found 0")
    if "crm/leads" in run.case.tables:  # leads, but none whose conversion window has passed
        assert "leads (crm/leads) with a known outcome" in skipped["lead_scores"]


def test_identity_resolution_maps_every_record_of_the_sources_delivered(run):
    expected = 0
    if "crm/contacts" in run.case.tables:
        expected += len({row["contact_id"] for row in landed_csv(run.landing, "crm/contacts")})
        expected += len({row["lead_id"] for row in landed_csv(run.landing, "crm/leads")})
    if "ecommerce/customers" in run.case.tables:
        rows = landed_csv(run.landing, "ecommerce/customers")
        expected += len({row["customer_id"] for row in rows})
    if "ecommerce/orders" in run.case.tables:  # the shop's customer ids, known only from orders
        expected += len({row["customer_id"] for row in landed_csv(run.landing, "ecommerce/orders")})
    if "web/events" in run.case.tables:  # a device per anonymous_id
        events = pq.read_table(run.landing / "web" / "events").column("anonymous_id")
        expected += len({value for value in events.to_pylist() if value})
    assert run.query("select count(*) from marts.customer_identity_map")[0] == expected


def test_order_figures_and_models_count_the_orders_delivered(run):
    orders = landed_csv(run.landing, "ecommerce/orders")  # none when not delivered
    buyers = len({row["customer_id"] for row in orders})
    for table in ORDER_MODELS:
        assert run.query(f"select count(distinct customer_id) from ml.{table}")[0] == buyers
    filled = run.query("select count(clv), count(churn_probability) from marts.customer_360")
    assert filled == (buyers, buyers)
    kpi_orders, kpi_revenue = run.query(
        "select coalesce(sum(orders), 0), coalesce(sum(revenue), 0) from marts.kpi_monthly"
    )
    assert kpi_orders == len(orders)
    assert kpi_revenue == pytest.approx(sum(float(row["amount"]) for row in orders))
    if orders:  # 60 days cannot train a 90-day churn classifier with a backtest: the fallback
        methods = run.query("select string_agg(distinct method) from ml.churn_predictions")
        assert methods == ("bg_nbd_1_minus_p_alive",)
