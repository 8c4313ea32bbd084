"""The ML assets, run by Dagster on a small simulation built by `binesh run`: artifacts are
versioned on disk with their metadata, scoring assets take the trained artifacts as inputs,
the UI metadata carries figures and plots, and the checks report (and catch leakage)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from ml.models import MODEL_NAMES
from ml.pipeline.checks import leakage_findings
from orchestration.defs import ml
from tests.tools import binesh, binesh_env

pytestmark = pytest.mark.integration

ML_ASSETS = [*ml.TRAINING_ASSETS, *ml.SCORING_ASSETS]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    env = binesh_env(tmp_path_factory.mktemp("ml_assets"))
    binesh(env, "simulate", "--customers", "500", "--days", "240", "--seed", "8", "--noise-rate=0")
    binesh(env, "run", "--churn-horizon-days", "60")
    return Path(env["BINESH_WAREHOUSE"])


@pytest.fixture(scope="module")
def materialized(warehouse):
    return dg.materialize(
        ML_ASSETS,
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "model_store": ml.ModelStore(warehouse=str(warehouse)),
        },
    )


def test_training_writes_versioned_artifacts_that_scoring_uses(warehouse, materialized):
    assert materialized.success
    events = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in materialized.get_asset_materialization_events()
    }
    for model in MODEL_NAMES:
        metadata = events[f"ml/{model}_model"]
        folder = Path(metadata["artifact_path"].value)
        version = metadata["model_version"].value
        assert folder == warehouse.parent / "models" / model / version
        described = json.loads((folder / "metadata.json").read_text())
        assert {"version", "as_of", "data_hash", "method", "training_window"} <= set(described)
        assert (folder / "model.joblib").exists()
    with duckdb.connect(str(warehouse)) as con:
        versions = dict(
            con.execute(
                "select 'churn', any_value(model_version) from ml.churn_predictions union all "
                "select 'clv', any_value(model_version) from ml.clv_predictions"
            ).fetchall()
        )
    assert versions["churn"] == events["ml/churn_model"]["model_version"].value
    assert versions["clv"] == events["ml/clv_model"]["model_version"].value


def test_the_ui_shows_figures_and_plots_and_the_checks_report(materialized):
    churn = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in materialized.get_asset_materialization_events()
    }["ml/churn_model"]
    assert churn["method"].value == "logistic_regression"
    assert 0.5 < churn["validation.model.roc_auc"].value <= 1
    for plot in ("plot_roc", "plot_calibration", "plot_lift"):
        assert "data:image/png;base64," in churn[plot].value
    checks = {
        (check.asset_key.to_user_string(), check.check_name): check
        for check in materialized.get_asset_check_evaluations()
    }
    assert checks[("ml/churn_model", "beats_baseline")].passed
    assert checks[("ml/next_best_offer_model", "beats_baseline")].passed
    # the same data as `binesh run` scored: the same versions, so no drift
    assert checks[("ml/churn_predictions", "score_distribution_stable")].passed
    assert checks[("ml/churn_predictions", "score_distribution_stable")].metadata[
        "population_stability_index"
    ].value == pytest.approx(0)


def test_the_leakage_check_catches_a_feature_that_counts_a_later_sale(warehouse, tmp_path):
    with duckdb.connect(str(warehouse)) as con:  # this process already holds it read-write
        assert leakage_findings(con) == []
    leaky = tmp_path / "leaky.duckdb"
    shutil.copy(warehouse, leaky)
    with duckdb.connect(str(leaky)) as con:
        con.execute(
            "update features.customer_features set orders = orders + 1 "
            "where cutoff_name = 'churn_training' and customer_id in "
            "(select customer_id from features.customer_labels where not is_churned limit 5)"
        )
        findings = leakage_findings(con)
    assert findings and "differ from the sales up to their cutoff" in findings[0]
