"""What the Dagster UI and dbt docs show of the dbt project: every dbt test is an asset check
with a description in words, the public marts have an owner, dbt docs open on Binesh's own
overview, and metadata numbers are rounded to what they mean."""

import json

import dagster as dg
import pytest
from dagster_dbt.asset_utils import DAGSTER_DBT_UNIQUE_ID_METADATA_KEY

from orchestration.dbt_translation import describe_dbt_test
from orchestration.metadata import round_metric, rounded_metadata, with_rounded_metadata
from orchestration.project import dbt_project
from reports.contract import public_marts


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


@pytest.fixture(scope="module")
def defs(tmp_path_factory):
    root = tmp_path_factory.mktemp("defs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BINESH_WAREHOUSE", str(root / "warehouse.duckdb"))
        patch.setenv("BINESH_LANDING_DIR", str(root / "landing"))
        from orchestration.definitions import defs

        yield defs


@pytest.fixture(scope="module")
def dbt_check_specs(defs) -> dict[str, dg.AssetCheckSpec]:
    """dbt test unique_id -> the asset check spec dagster-dbt made of it."""
    return {
        spec.metadata[DAGSTER_DBT_UNIQUE_ID_METADATA_KEY]: spec
        for assets_def in defs.resolve_asset_graph().assets_defs
        for spec in assets_def.check_specs
        if DAGSTER_DBT_UNIQUE_ID_METADATA_KEY in spec.metadata
    }


def dbt_tests(manifest: dict) -> dict[str, dict]:
    return {uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}


def test_every_dbt_test_is_an_asset_check(manifest, dbt_check_specs):
    """A test without a check spec has its results logged as AssetObservations instead."""
    tests = dbt_tests(manifest)
    assert tests
    assert sorted(set(tests) - set(dbt_check_specs)) == []


def test_tests_on_several_models_are_checks_on_one_of_them(manifest, dbt_check_specs):
    """relationships tests and singular tests that read several models (those need
    meta.dagster.ref) are still one check each, on a model they read."""
    several = {
        uid: test
        for uid, test in dbt_tests(manifest).items()
        if len(test["depends_on"]["nodes"]) > 1
    }
    singular = [uid for uid, test in several.items() if not test.get("test_metadata")]
    assert singular, "the singular test reading int_journeys__orders and fct_order_attribution"
    for uid, test in several.items():
        spec = dbt_check_specs[uid]
        parents = {
            dg.AssetKey([node["schema"], node["name"]])
            for node in (manifest["nodes"][parent] for parent in test["depends_on"]["nodes"])
        }
        assert spec.asset_key in parents, uid


def test_every_dbt_check_has_a_description(dbt_check_specs):
    undescribed = sorted(uid for uid, spec in dbt_check_specs.items() if not spec.description)
    assert undescribed == []


def test_generic_tests_are_described_from_their_arguments(manifest):
    def described(name: str, column: str | None = None, **kwargs) -> str:
        test = {
            "name": f"{name}_x",
            "description": "",
            "attached_node": "model.binesh.fct_customer_touchpoints",
            "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}},
            "config": {},
        }
        return describe_dbt_test(test, manifest)

    assert described("unique", "customer_id") == "customer_id is unique"
    assert described("not_null", "order_id") == "order_id is never null"
    assert described("accepted_values", "status", values=["a", "b", "c"]) == (
        "status is one of: a, b, c"
    )
    assert described(
        "relationships", "customer_id", to="ref('dim_customers')", field="customer_id"
    ) == ("every customer_id of fct_customer_touchpoints exists in dim_customers")
    assert described("unique_combination_of_columns", combination_of_columns=["a", "b"]) == (
        "one row per (a, b)"
    )
    assert described("a_new_test", "x", limit=3) == "a_new_test(column_name=x, limit=3)"


def test_a_description_in_the_yml_wins(manifest):
    singular = manifest["nodes"]["test.binesh.assert_order_attribution_credits_sum_to_one"]
    assert singular["description"]
    assert describe_dbt_test(singular, manifest) == singular["description"]


def test_public_marts_have_an_owner(defs, manifest):
    graph = defs.resolve_asset_graph()
    marts = public_marts(manifest)
    assert {"customer_360", "kpi_monthly", "insight_loyalty", "campaign_ab_results"} <= set(marts)
    unowned = sorted(name for name in marts if not graph.get(dg.AssetKey(["marts", name])).owners)
    assert unowned == []


def test_dbt_docs_open_on_the_binesh_overview(manifest):
    overview = manifest["docs"].get("doc.binesh.__overview__")
    assert overview is not None
    assert "customer_360" in overview["block_contents"]


def test_metadata_numbers_are_rounded_to_what_they_mean():
    assert round_metric("validation.model.roc_auc", 0.8355435629021097) == 0.8355
    assert round_metric("f1", 0.666666666) == 0.6667
    assert round_metric("expected_value_mean", 123.456789) == 123.46
    assert round_metric("customers", 1234.0) == 1234
    assert isinstance(round_metric("customers", 1234.0), int)
    assert round_metric("correlation_value", 0.123456) == 0.1235  # a rate, not money
    assert round_metric("mean_orders", 123456.789) == 123457  # no digits before the point lost
    assert round_metric("flag", True) is True
    assert round_metric("method", "bg_nbd") == "bg_nbd"

    rounded = rounded_metadata(
        {
            "roc_auc": dg.MetadataValue.float(0.8355435629021097),
            "training_window": {"hit_rate": 0.123456, "rows": 10.0},
            "findings": dg.MetadataValue.json([{"population_stability_index": 0.0123456}]),
            "report": dg.MetadataValue.path("/tmp/report.html"),
        }
    )
    assert rounded["roc_auc"] == dg.MetadataValue.float(0.8355)
    assert rounded["training_window"] == {"hit_rate": 0.1235, "rows": 10}
    assert rounded["findings"] == dg.MetadataValue.json([{"population_stability_index": 0.01235}])
    assert rounded["report"] == dg.MetadataValue.path("/tmp/report.html")


def test_library_events_get_rounded_metadata():
    result = dg.AssetCheckResult(
        asset_key="x", passed=True, metadata={"Execution Duration": 1.23456789}
    )
    [event] = with_rounded_metadata([result])
    assert event.metadata["Execution Duration"] == dg.MetadataValue.float(1.235)
