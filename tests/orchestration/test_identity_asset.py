"""The identity resolution asset, run by Dagster against a warehouse in tmp_path that holds the
two dbt tables it reads."""

from __future__ import annotations

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from orchestration.defs.identity import (
    FULL_RESOLUTION_TAGS,
    identity_linkage_model,
    identity_resolution,
)
from orchestration.model_assets import ModelStore
from tests.ml.identity.records import Records


def test_identity_asset_writes_its_tables_and_reports_what_it_did(tmp_path):
    records = Records()
    records.add("contacts", "C1", first_name="Ann", last_name="Lee", email="ann@x.org")
    records.add("customers", "100", first_name="Ann", last_name="Lee", email="ann@x.org")
    records.add("events", "device-1", customer="100")
    records.add("events", "device-2")
    record_table, identifier_table = records.tables()
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate")
        con.register("records", record_table)
        con.register("identifiers", identifier_table)
        con.execute("create table intermediate.int_identity__records as select * from records")
        con.execute(
            "create table intermediate.int_identity__identifiers as select * from identifiers"
        )

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [identity_linkage_model, identity_resolution],
        instance=instance,
        resources={
            "warehouse": DuckDBResource(database=str(warehouse)),
            "model_store": ModelStore(warehouse=str(warehouse)),
        },
    )

    assert result.success
    materialized = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    assert set(materialized) == {
        "ml/identity_linkage_model",
        "identity/clusters",
        "identity/links",
        "identity/oversized_clusters",
        "identity/shared_identifiers",
        "identity/linked_records",
    }
    clusters = materialized["identity/clusters"]
    assert clusters["resolution"].value == "full"  # nothing resolved before
    assert clusters["dagster/row_count"].value == 4
    assert clusters["customers"].value == 1
    assert clusters["unresolved_records"].value == 1
    assert clusters["links_web_login"].value == 1
    # two named records are too few to train the probabilistic model on: none, and no links
    linkage = materialized["ml/identity_linkage_model"]
    assert linkage["why_no_model"].value.startswith("not enough data: needs 50 records")
    assert clusters["linkage_model_version"].value == linkage["model_version"].value
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "no_oversized_customers" and check.passed
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(customer_id,)] = con.execute(
            "select distinct customer_id from identity.clusters where customer_id is not null"
        ).fetchall()

    # the next runs start from this one: incremental, unless a full re-resolution is asked for
    # (the weekly schedule's run tag); either way the customer keeps its id
    resources = {
        "warehouse": DuckDBResource(database=str(warehouse)),
        "model_store": ModelStore(warehouse=str(warehouse)),
    }
    for tags, resolution in (({}, "incremental"), (FULL_RESOLUTION_TAGS, "full")):
        rerun = dg.materialize(
            [identity_linkage_model, identity_resolution],
            instance=instance,
            resources=resources,
            selection=dg.AssetSelection.assets(identity_resolution),
            tags=tags,
        )
        [clusters] = [
            event.materialization.metadata
            for event in rerun.get_asset_materialization_events()
            if event.asset_key.to_user_string() == "identity/clusters"
        ]
        assert clusters["resolution"].value == resolution
        with duckdb.connect(str(warehouse), read_only=True) as con:
            assert con.execute(
                "select distinct customer_id from identity.clusters where customer_id is not null"
            ).fetchall() == [(customer_id,)]
