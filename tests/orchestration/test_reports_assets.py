"""The report assets run last: the BI snapshot after every mart and ML table, the dbt docs after
every dbt model, in the one job that builds the warehouse."""

import dagster as dg

from tests.orchestration import test_definitions

# The definitions as test_definitions.py loads them, with a warehouse path of this module's own.
defs = test_definitions.defs
monkeypatch_module = test_definitions.monkeypatch_module

BI_SNAPSHOT = dg.AssetKey(["reports", "bi_snapshot"])
DBT_DOCS = dg.AssetKey(["reports", "dbt_docs"])


def upstream_of(defs: dg.Definitions, key: dg.AssetKey) -> set[dg.AssetKey]:
    graph = defs.resolve_asset_graph()
    return dg.AssetSelection.assets(key).upstream().resolve(graph) - {key}


def test_the_bi_snapshot_waits_for_every_mart_and_ml_table(defs):
    graph = defs.resolve_asset_graph()
    published_layers = {
        key
        for key in graph.get_all_asset_keys()
        if key.path[0] in ("marts", "ml") and graph.get(key).is_materializable
    }
    assert published_layers - upstream_of(defs, BI_SNAPSHOT) == set()


def test_the_dbt_docs_wait_for_every_dbt_model(defs):
    graph = defs.resolve_asset_graph()
    dbt_models = {
        key
        for key in graph.get_all_asset_keys()
        if "dbt" in graph.get(key).kinds and graph.get(key).is_materializable and key != DBT_DOCS
    }
    assert dbt_models and dbt_models - upstream_of(defs, DBT_DOCS) == set()


def test_the_warehouse_job_publishes_them(defs):
    job = defs.resolve_job_def("build_warehouse")
    assert {BI_SNAPSHOT, DBT_DOCS} <= set(job.asset_layer.executable_asset_keys)
