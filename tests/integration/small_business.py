"""The small simulated business the pipeline tests build (300 customers, 45 days, seed 7):
`binesh simulate`, then `binesh run`, in the deployment `env` names (tests.tools.binesh_env),
and the row count of every table it then holds. tests/integration/test_pipeline.py (and
test_bi_access.py, through its fixtures) and the reports tests (tests/reports/conftest.py)
each build it once for their own deployment.
"""

import duckdb

from tests.tools import binesh


def snapshot(warehouse: str) -> dict[str, int]:
    with duckdb.connect(warehouse, read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where not internal"
        ).fetchall()
        return {
            name: con.execute(f"select count(*) from {name}").fetchone()[0] for (name,) in tables
        }


def build_small_business(env: dict[str, str]) -> dict[str, int]:
    """Simulate the small business and `binesh run` it; the tables' row counts."""
    binesh(env, "simulate", "--customers", "300", "--days", "45", "--seed", "7")
    output = binesh(env, "run")
    assert "Built the warehouse" in output and "accounting: holds for every file" in output
    return snapshot(env["BINESH_WAREHOUSE"])
