"""An older warehouse's identity, text and feature tables, moved to their own schemas."""

import duckdb

from ml.moved_tables import move_tables_of_older_warehouses


def test_old_tables_move_with_their_rows_and_the_old_feature_marts_go(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema intermediate; create schema marts")
    con.execute(
        "create table intermediate.identity_clusters as "
        "select 'r1' as record_id, 'cus_0001' as customer_id, true as is_anchor"
    )
    con.execute("create table intermediate.text_insights as select 't1' as text_hash, 0.5 as s")
    con.execute("create table marts.ml_customer_features as select 'cus_0001' as customer_id")
    con.execute("create table marts.dim_customers as select 'cus_0001' as customer_id")

    done = move_tables_of_older_warehouses(con)

    assert con.execute("select * from identity.clusters").fetchall() == [("r1", "cus_0001", True)]
    assert con.execute("select * from text.insights").fetchall() == [("t1", 0.5)]
    tables = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }
    assert tables == {"identity.clusters", "text.insights", "marts.dim_customers"}
    assert done == [
        "moved intermediate.identity_clusters to identity.clusters",
        "moved intermediate.text_insights to text.insights",
        "dropped marts.ml_customer_features (now features.customer_features)",
    ]
    assert move_tables_of_older_warehouses(con) == []  # a second run finds nothing old


def test_a_table_already_in_its_new_place_is_kept_and_the_old_one_dropped(tmp_path):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("create schema intermediate; create schema identity")
    con.execute("create table intermediate.identity_clusters as select 'old' as customer_id")
    con.execute("create table identity.clusters as select 'new' as customer_id")

    assert move_tables_of_older_warehouses(con) == []
    assert con.execute("select * from identity.clusters").fetchall() == [("new",)]
    assert not con.execute(
        "select * from duckdb_tables() where schema_name = 'intermediate'"
    ).fetchall()
