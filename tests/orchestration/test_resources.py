"""The warehouse resource lets go of the DuckDB file however the step using it ends."""

import duckdb
import pytest

from orchestration.resources import Warehouse


def test_a_failing_step_closes_its_warehouse_connection(tmp_path):
    warehouse = Warehouse(database=str(tmp_path / "w.duckdb"))
    with pytest.raises(RuntimeError, match="a check failed"):
        with warehouse.get_connection() as con:
            con.execute("create table t as select 1 as x")
            raise RuntimeError("a check failed")
    # another configuration of the same file opens only once no connection holds it; so would
    # the next step's dbt process
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as reader:
        assert reader.execute("select x from t").fetchall() == [(1,)]
