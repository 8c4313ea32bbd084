"""A raw asset, materialized by Dagster against a warehouse and landing zone in tmp_path."""

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
