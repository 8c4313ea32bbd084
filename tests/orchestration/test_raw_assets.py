"""A raw asset, materialized by Dagster against a warehouse and landing zone in tmp_path."""

import logging

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from orchestration.defs.raw import defs as raw_defs
from orchestration.resources import LandingZone


def test_materializing_a_raw_asset_loads_new_files_and_reports_accounting(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    products = landing / "ecommerce" / "products"
    products.mkdir(parents=True)
    (products / "2025-01-01.csv").write_text(
        "product_id,name,category,price\np1,Mug,kitchen,8.5\np2,Teapot,kitchen,free\n"
    )
    [asset] = [a for a in raw_defs.assets if a.key == dg.AssetKey(["raw", "ecommerce__products"])]
    resources = {
        "warehouse": DuckDBResource(database=str(warehouse)),
        "landing": LandingZone(path=str(landing)),
    }

    result = dg.materialize([asset], resources=resources)

    [materialization] = result.asset_materializations_for_node(asset.op.name)
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    assert metadata["rows_loaded"] == 1
    assert metadata["rows_quarantined"] == 1
    assert metadata["dagster/row_count"] == 1

    again = dg.materialize([asset], resources=resources)
    [materialization] = again.asset_materializations_for_node(asset.op.name)
    assert materialization.metadata["files_unchanged"].value == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select product_id, price from raw.ecommerce__products").fetchall() == [
            ("p1", 8.5)
        ]


def test_files_with_quarantined_rows_are_one_warning_for_the_table(tmp_path):
    """Each log line is an event Dagster stores: a year of daily files with a bad row each must
    not be hundreds of them."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    products = landing / "ecommerce" / "products"
    products.mkdir(parents=True)
    for day in range(1, 6):
        (products / f"2025-01-0{day}.csv").write_text(
            f"product_id,name,category,price\np{day},Mug,kitchen,8.5\nq{day},Pot,kitchen,free\n"
        )
    [asset] = [a for a in raw_defs.assets if a.key == dg.AssetKey(["raw", "ecommerce__products"])]
    resources = {
        "warehouse": DuckDBResource(database=str(warehouse)),
        "landing": LandingZone(path=str(landing)),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([asset], resources=resources, instance=instance)
        warnings = [
            entry.user_message
            for entry in instance.all_logs(result.run_id)
            if entry.level == logging.WARNING and not entry.is_dagster_event
        ]
    [warning] = warnings
    assert warning.startswith("5 of 5 files had rows quarantined (5 rows;")
    assert "ecommerce/products/2025-01-01.csv: 1 of 2 rows" in warning
    assert warning.endswith("; and 2 more")
