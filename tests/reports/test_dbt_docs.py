"""Every public mart and every one of its columns is described, and the exposures name real
marts: read from a manifest that `dbt parse` writes here (no warehouse needed). The docs site
itself, with the catalog of a built warehouse, is checked in tests/integration/test_bi_access.py.
"""

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reports.contract import public_marts
from reports.dbt_docs import publish_dbt_docs, undocumented_columns

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = PROJECT_ROOT / "dbt_project"
WAREHOUSE_DOC = PROJECT_ROOT / "docs" / "warehouse.md"
DBT = str(Path(sys.executable).with_name("dbt"))


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target = tmp_path_factory.mktemp("dbt_target")
    parsed = subprocess.run(
        [DBT, "parse", "--quiet", "--profiles-dir", ".", "--target", "lint"]
        + ["--target-path", str(target)],
        cwd=DBT_PROJECT,
        capture_output=True,
        text=True,
    )
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    return json.loads((target / "manifest.json").read_text())


def test_every_public_mart_and_column_is_described(manifest):
    assert undocumented_columns(manifest) == []


def test_the_public_marts_are_those_the_warehouse_contract_lists(manifest):
    listed = re.findall(r"^\| `marts\.(\w+)` \|", WAREHOUSE_DOC.read_text(), flags=re.MULTILINE)
    assert sorted(listed) == list(public_marts(manifest))


def test_a_missing_description_is_reported(manifest):
    broken = copy.deepcopy(manifest)
    kpi_daily = public_marts(broken)["kpi_daily"]
    kpi_daily["columns"]["revenue"]["description"] = " "
    unique_id = kpi_daily["unique_id"]
    catalog = {"nodes": {unique_id: {"columns": {"REVENUE": {}, "added_in_sql": {}}}}}
    assert undocumented_columns(broken, catalog) == [
        "marts.kpi_daily.revenue",
        "marts.kpi_daily.added_in_sql",
    ]


def test_the_report_and_the_dashboard_are_exposures_of_real_marts(manifest):
    exposures = {exposure["name"]: exposure for exposure in manifest["exposures"].values()}
    assert exposures["insight_report"]["type"] == "analysis"
    assert exposures["marketing_dashboard"]["type"] == "dashboard"
    marts = {node["unique_id"] for node in public_marts(manifest).values()}
    report_inputs = set(exposures["insight_report"]["depends_on"]["nodes"])
    report_marts = {name for name in report_inputs if name.startswith("model.")}
    assert report_marts <= marts
    assert "source.binesh.ml.churn_predictions" in report_inputs
    assert {"model.binesh.customer_360", "model.binesh.journey_funnel"} <= report_marts
    kpi_marts = {f"model.binesh.{name}" for name in public_marts(manifest) if name[:4] == "kpi_"}
    assert kpi_marts and kpi_marts <= report_marts
    assert set(exposures["marketing_dashboard"]["depends_on"]["nodes"]) <= marts


def test_publishing_needs_what_dbt_docs_generate_writes(tmp_path):
    with pytest.raises(FileNotFoundError, match="static_index.html, manifest.json, catalog.json"):
        publish_dbt_docs(tmp_path, tmp_path / "docs")
